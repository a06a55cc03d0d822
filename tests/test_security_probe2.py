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
