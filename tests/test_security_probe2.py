"""The second security probe (issue 25): one reproduction per finding, each failing on the
code before its fix. Item 1 (cross-site requests) has its own files:
``test_cross_site.py`` (every route, from the URL map) and ``test_browser_cross_site.py``."""

from __future__ import annotations

import json

import pytest
from conftest import PASSWORD, Site, complaint

from runner.accounts.users import Accounts


def _api_token(klachten, name: str = "api", roles=("klachtenbemiddelaar",)) -> dict:
    accounts = Accounts(klachten)
    accounts.add(name, list(roles), PASSWORD)
    return {"Authorization": f"Bearer {accounts.new_token(name)}"}


# ----- item 8: NUL bytes, deep JSON, the document's categories
@pytest.mark.parametrize(("url", "fields"), [
    ("/status", {"nummer": "KL-2026-\x0000001", "toegangscode": "ABCD"}),
    ("/status/bericht", {"berichtcode": "AB\x00CD"}),
    ("/login", {"naam": "mia\x00", "wachtwoord": "x"}),
    ("/klacht", {"omschrijving": "Een klacht\x00 met een nulteken."}),
])
def test_a_nul_byte_is_a_clear_400(site: Site, url, fields):
    response = site.post(url, fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400, page
    assert "Ongeldige tekens" in page and "niets gewijzigd" in page


def test_a_nul_byte_in_a_query_or_json_is_a_400(client, klachten):
    assert client.get("/bemiddeling/taken?zoek=a%00b").status_code == 400
    headers = _api_token(klachten)
    body = complaint(omschrijving="Een klacht\u0000 met een nulteken.")
    body["ontvangen_op"] = "2026-03-02T09:00:00+01:00"
    response = client.post("/api/v1/klachten", json=body, headers=headers)
    assert response.status_code == 400 and response.mimetype == "application/problem+json"


def test_json_nested_sixty_thousand_levels_is_a_400(client, klachten):
    headers = {**_api_token(klachten), "Content-Type": "application/json"}
    deep = "[" * 60_000 + "]" * 60_000
    response = client.post("/api/v1/klachten", data=deep, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["title"] == "Ongeldige tekens"


def test_every_category_in_the_document_is_accepted(client, klachten):
    """A request valid against the OpenAPI document is accepted: ``categorie`` now carries
    the model's enum, so a client that follows the document sends a known category."""
    document = client.get("/api/v1/openapi.json").get_json()
    schema = document["paths"]["/klachten"]["post"]["requestBody"]["content"][
        "application/json"]["schema"]
    categories = schema["properties"]["categorie"]["enum"]
    assert categories == klachten.latest_model().settings["categorieen"]
    headers = _api_token(klachten)
    for category in categories:
        body = {**complaint(categorie=category), "ontvangen_op": "2026-03-02T09:00:00+01:00"}
        response = client.post("/api/v1/klachten", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
    assert json.dumps(schema)  # the document stays JSON


# ----- item 11: the Secure flag follows HTTPS; a key of one repeated character is refused
def _session_cookie(response) -> str:
    return next(value for value in response.headers.getlist("Set-Cookie")
                if value.startswith("session="))


def test_the_session_cookie_is_secure_over_https_whatever_the_setting(client):
    assert "Secure" in _session_cookie(client.get("/klacht", base_url="https://localhost"))
    assert "Secure" not in _session_cookie(client.get("/klacht"))  # plain HTTP on a laptop


def test_behind_a_proxy_the_forwarded_scheme_decides(database_url, klachten, tmp_path):
    from conftest import SECRET

    from web import create_app
    from web.extension import close

    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "CLOCK": "virtual",
                      "SECRET_KEY": SECRET, "PROXY_COUNT": 1,
                      "INSTANCE_PATH": str(tmp_path / "instance")})
    try:
        forwarded = app.test_client().get("/klacht", headers={
            "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.5"})
        assert "Secure" in _session_cookie(forwarded)
    finally:
        close(app)


@pytest.mark.parametrize("key", ["a" * 32, "ab" * 20, "0" * 64])
def test_a_long_but_predictable_secret_key_is_refused(tmp_path, key):
    from runner.bpmn.errors import ConfigurationError
    from web import create_app

    with pytest.raises(ConfigurationError, match="te voorspelbaar") as refused:
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'k.db'}",
                    "INSTANCE_PATH": str(tmp_path / "instance"), "SECRET_KEY": key})
    assert key not in str(refused.value)
