"""No state-changing request from another site changes anything (issue 25, item 1).

The routes are read from ``app.url_map`` when the test runs, so a route added tomorrow is
covered without anyone adding it here. Every POST/PUT/PATCH/DELETE route is posted to
from another origin (``Origin: https://evil.example``, ``Origin: null``, or only a
``Referer`` of another site), signed in with every role or not, with the victim's valid
CSRF token or without one (the worst case: a browser that sends the cookie cross-site).
Each answer must be a 4xx, and the whole database must be byte for byte what it was.
"""

from __future__ import annotations

from itertools import product

import pytest
from conftest import PASSWORD, Harness, Staff, complaint
from sqlalchemy import create_engine, inspect, text

STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
FOREIGN = [{"Origin": "https://evil.example"}, {"Origin": "null"},
           {"Referer": "https://evil.example/klachten/wissen.html"}]
# What an attacker would post: every field name our forms use that does damage.
PAYLOAD = {"reden": "x", "bevestigd": "ja", "actie": "opheffen", "naam": "mia",
           "wachtwoord": "paars-fietspad-onder-de-brug", "rol": "beheerder",
           "status": "uitgeschakeld", "email": "aanvaller@evil.example",
           "klager.email": "aanvaller@evil.example", "ontvankelijk": "nee",
           "notitie": "x", "omschrijving": "Een klacht van een andere website.",
           "categorie": "terugbetaling", "taal": "nl", "privacy": "ja", "versie": "1"}
ALL_ROLES = ["klachtenbemiddelaar", "nationale klachtenbemiddelaar", "beheerder", "lezer"]


def fingerprint(database_url: str) -> dict[str, list[tuple]]:
    """Every row of every table, sorted: what "changes nothing" is compared on."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return {table: sorted((tuple(map(repr, row)) for row in connection.execute(
                        text(f'SELECT * FROM "{table}"'))), key=repr)
                    for table in sorted(inspect(connection).get_table_names())}
    finally:
        engine.dispose()


def state_changing_rules(app) -> list:
    return sorted((rule for rule in app.url_map.iter_rules()
                   if rule.methods & STATE_CHANGING and rule.endpoint != "static"),
                  key=lambda rule: rule.rule)


def _url(rule, known: dict[str, object]) -> str:
    """The rule's URL with real ids where we have them (a dossier, an open task), else 1."""
    values = {name: known.get(name, 1 if "Integer" in type(converter).__name__ else "1")
              for name, converter in rule._converters.items()}
    return rule.build(values, append_unknown=False)[1]


def test_every_state_changing_route_refuses_another_site(app, klachten, accounts, database_url):
    harness = Harness(klachten).submit(klager={**complaint()["klager"],
                                               "adres": "Kerkstraat 1\n9000 Gent"})
    accounts.add("alle", ALL_ROLES, PASSWORD)
    api_token = accounts.new_token("alle")
    known = {"number": harness.number, "task_id": harness.open_tasks()[0].id, "name": "mia",
             "code": harness.info.notices[0].code,
             "recommendation_id": 1}
    rules = state_changing_rules(app)
    assert len(rules) >= 25  # the routes of today; new ones are picked up by themselves
    failures = []
    for signed_in, with_token in product((False, True), (False, True)):
        client = app.test_client()
        staff = Staff(client)
        if signed_in:
            assert staff.login("alle").status_code == 302
        page = client.get("/klacht").get_data(as_text=True)
        token = Staff.TOKEN.search(page).group(1)
        before = fingerprint(database_url)
        for rule, foreign in product(rules, FOREIGN):
            url = _url(rule, known)
            headers = dict(foreign)
            if signed_in and rule.rule.startswith("/api/"):
                headers["Authorization"] = f"Bearer {api_token}"
            data = {**PAYLOAD, **({"csrf_token": token} if with_token else {})}
            method = sorted(rule.methods & STATE_CHANGING)[0]
            if rule.rule.startswith("/api/"):
                response = client.open(url, method=method, json=data, headers=headers)
            else:
                response = client.open(url, method=method, data=data, headers=headers)
            if not 400 <= response.status_code < 500:
                failures.append(f"{method} {url} {foreign} sessie={signed_in} "
                                f"token={with_token}: {response.status_code}")
        after = fingerprint(database_url)
        changed = [table for table in before if before[table] != after.get(table)]
        if changed:
            failures.append(f"sessie={signed_in} token={with_token}: tabellen gewijzigd: "
                            f"{', '.join(changed)}")
            before = after
    assert not failures, "\n".join(failures)


def test_the_same_post_from_our_own_pages_still_works(staff: Staff, klachten):
    """The guard refuses another site only: our own form, naming our origin, goes through."""
    harness = Harness(klachten).submit()
    staff.login("bert")
    response = staff.post(f"/beheer/privacy/{harness.number}/blokkering",
                          {"reden": "rechtszaak 2026/123"}, form_page="/beheer/privacy",
                          headers={"Origin": "http://localhost"})
    assert response.status_code == 302
    assert klachten.dossier(harness.number).legal_hold


@pytest.mark.parametrize("headers", FOREIGN)
def test_a_cross_site_post_gets_a_clear_page(client, headers):
    response = client.post("/klacht", data={"omschrijving": "x"}, headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Verzoek van een andere website geweigerd" in page and "niets gewijzigd" in page
