"""The JSON API v1: tokens, the same guards as the pages, problem documents, and every
response validated against the API's own OpenAPI document."""

from __future__ import annotations

import re

import jsonschema
import pytest
from conftest import Harness, complaint

from runner.accounts.users import Accounts

PASSWORD = "een-lang-wachtwoord"


@pytest.fixture
def tokens(klachten) -> dict[str, str]:
    accounts = Accounts(klachten)
    found = {}
    for name, role in [("mia", "klachtenbemiddelaar"), ("nora", "nationale klachtenbemiddelaar"),
                       ("lea", "lezer")]:
        accounts.add(name, [role], PASSWORD)
        found[name] = accounts.new_token(name)
    return found


@pytest.fixture
def spec(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _check(spec: dict, response, name: str, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    jsonschema.Draft202012Validator({**spec, "$ref": f"#/components/schemas/{name}"}
                                    ).validate(body)
    return body


def _auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_openapi_document_is_valid_and_lists_the_calls(app, spec):
    """Every call of the API is in the document with its methods, and nothing else is."""
    assert spec["openapi"].startswith("3.1")
    for schema in spec["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)
    served = {(re.sub(r"<(?:[^:>]+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1")), method)
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method.upper()) for path, calls in spec["paths"].items()
                  for method in calls}
    assert documented == served - {("/openapi.json", "GET")}
    assert {"/klachten", "/taken", "/dossiers/{number}", "/tokens"} <= set(spec["paths"])


def test_walk_through_the_api(client, spec, tokens, harness: Harness):
    mia = _auth(tokens["mia"])
    submitted = _check(spec, client.post("/api/v1/klachten", json=complaint(kanaal="telefoon"),
                                         headers=mia), "Ingediend", 201)
    harness.number = submitted["dossiernummer"]
    page = _check(spec, client.get("/api/v1/taken", headers=mia), "Taken", 200)
    [task] = page["taken"]
    assert task["termijn"] == "op_tijd" and task["dossiernummer"] == harness.number
    bad = _check(spec, client.post(f"/api/v1/taken/{task['id']}", json={"gegevens": {
        "ontvankelijk": "nee"}}, headers=mia), "Problem", 400)
    assert bad["fouten"] and harness.task("ontvankelijkheid_beoordelen")  # nothing saved
    _check(spec, client.post(f"/api/v1/taken/{task['id']}", json={"gegevens": {
        "ontvankelijk": "ja"}}, headers=mia), "Voltooid", 200)
    again = client.post(f"/api/v1/taken/{task['id']}", json={"gegevens": {}}, headers=mia)
    assert _check(spec, again, "Problem", 409)["voltooid_door"] == "mia"  # and who did
    info = _check(spec, client.get(f"/api/v1/dossiers/{harness.number}",
                                   headers=_auth(tokens["lea"])), "Dossier", 200)
    assert info["klager"]["achternaam"] == "Peeters"
    harness.investigate().answer()
    sent = client.post(f"/api/v1/dossiers/{harness.number}/berichten",
                       json={"naam": "klager_niet_akkoord", "gegevens": {"reden": "Nee."}},
                       headers=mia)
    assert sent.status_code == 204
    assert harness.task("nationaal_onderzoek")


def test_api_errors_are_problem_documents(client, spec, tokens):
    assert client.get("/api/v1/taken").status_code == 401
    _check(spec, client.get("/api/v1/taken", headers=_auth("fout")), "Problem", 401)
    _check(spec, client.get("/api/v1/taken", headers=_auth(tokens["lea"])), "Problem", 403)
    broken = client.post("/api/v1/klachten", data="{niet json", headers={
        **_auth(tokens["mia"]), "Content-Type": "application/json"})
    assert broken.mimetype == "application/problem+json"
    _check(spec, broken, "Problem", 400)
    _check(spec, client.get("/api/v1/dossiers/KL-2026-99999", headers=_auth(tokens["mia"])),
           "Problem", 404)
    long = client.post("/api/v1/klachten", json=complaint(omschrijving="x" * 10001),
                       headers=_auth(tokens["mia"]))
    assert _check(spec, long, "Problem", 400)["codes"] == {"omschrijving": "maxLength"}
    bad_message = client.post("/api/v1/dossiers/KL-2026-99999/berichten",
                              json={"naam": "iets"}, headers=_auth(tokens["mia"]))
    _check(spec, bad_message, "Problem", 400)


def test_first_line_answerer_gets_403_through_the_api(client, spec, klachten, tokens,
                                                      harness: Harness):
    Accounts(klachten).set_roles("mia", ["klachtenbemiddelaar", "nationale klachtenbemiddelaar"])
    harness.submit().admissible().investigate().answer()
    harness.message("klager_niet_akkoord", {"reden": "Nee."})
    task = harness.task("nationaal_onderzoek").id
    _check(spec, client.post(f"/api/v1/taken/{task}", json={"gegevens": {}},
                             headers=_auth(tokens["mia"])), "Problem", 403)


def test_the_register_is_read_only_through_the_api(client, spec, tokens, harness: Harness):
    harness.submit().admissible().investigate().answer().at_day(45)
    harness.recommend([{"tekst": "Beter uitleggen.", "dienst": "Kine"}])
    lea = _auth(tokens["lea"])
    page = _check(spec, client.get("/api/v1/aanbevelingen?status=open&zoek=kine",
                                   headers=lea), "Aanbevelingen", 200)
    [item] = page["aanbevelingen"]
    assert (item["dossiernummer"], item["status"], item["versie"]) == (harness.number, "open", 1)
    one = _check(spec, client.get(f"/api/v1/aanbevelingen/{item['id']}", headers=lea),
                 "AanbevelingMetNotities", 200)
    assert one["notities"] == [] and one["tekst"] == "Beter uitleggen."
    bad = _check(spec, client.get("/api/v1/aanbevelingen?status=klaar", headers=lea),
                 "Problem", 400)
    assert bad["codes"] == {"status": "enum"}
    _check(spec, client.get("/api/v1/aanbevelingen/999999", headers=lea), "Problem", 404)
    _check(spec, client.get("/api/v1/aanbevelingen"), "Problem", 401)
    assert client.post(f"/api/v1/aanbevelingen/{item['id']}", headers=lea,
                       json={"status": "uitgevoerd"}).status_code == 405
