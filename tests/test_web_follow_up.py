"""The reopen and duplicate pages: CSRF, roles, hostile input, legal hold, erasure, a
concurrent mediator, the CLI, and what the member gets (nothing for a duplicate)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from conftest import Harness, Staff, run_together

from runner.bpmn.errors import Conflict
from runner.cli import main
from runner.privacy.retention import Retention
from runner.work.follow_up import FollowUp


def _account(accounts, name: str):
    """Any user's account, whatever its roles (``Accounts.working`` refuses readers)."""
    return next(account for account in accounts.list() if account.name == name)

def _text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def _closed(harness: Harness) -> str:
    harness.submit().admissible().investigate().answer().advance(40).recommend()
    return harness.number


def test_a_mediator_reopens_a_closed_dossier_from_its_page(staff: Staff, harness: Harness):
    number = _closed(harness)
    staff.login("mia")
    page = _text(staff.get(f"/bemiddeling/dossiers/{number}"))
    assert "Dossier heropenen" in page and "Als dubbel markeren" not in page
    url = f"/bemiddeling/dossiers/{number}/heropenen"
    response = staff.post(url, {"reden": "Het lid bracht nieuwe stukken binnen."})
    assert response.status_code == 302
    page = _text(staff.get(f"/bemiddeling/dossiers/{number}"))
    assert f"Dossier {number} is heropend." in page
    assert "mia heropende het dossier: “ Het lid bracht nieuwe stukken binnen. ”" in page
    assert [t.name for t in harness.open_tasks()] == ["ontvankelijkheid_beoordelen"]


def test_a_refused_reason_keeps_what_was_typed(staff: Staff, harness: Harness):
    number = _closed(harness)
    staff.login("mia")
    url = f"/bemiddeling/dossiers/{number}/heropenen"
    response = staff.post(url, {"reden": "<b>x"})
    assert response.status_code == 400
    assert "Geef een reden van minstens 5 tekens." in _text(response)
    assert "&lt;b&gt;x" in response.get_data(as_text=True)  # kept, escaped
    assert harness.info.closed


def test_marking_a_duplicate_from_the_page(staff: Staff, harness: Harness, klachten):
    first = harness.submit().number
    second = harness.submit().number
    staff.login("mia")
    url = f"/bemiddeling/dossiers/{second}/dubbel"
    for typed, message in [("KL-2099-99999", "Dossier KL-2099-99999 bestaat niet."),
                           (second, "Een dossier kan geen dubbel van zichzelf zijn."),
                           ("<script>", "Dossier &lt;script&gt; bestaat niet.")]:
        response = staff.post(url, {"van": typed, "reden": "zelfde klacht, twee keer verstuurd"})
        assert response.status_code == 400
        body = response.get_data(as_text=True)
        assert message in body and "<script>" not in body.split("<main")[1]
        assert "zelfde klacht, twee keer verstuurd" in body
    response = staff.post(url, {"van": first, "reden": "twee keer verstuurd"})
    assert response.status_code == 302
    page = _text(staff.get(f"/bemiddeling/dossiers/{second}"))
    assert f"de klacht wordt behandeld in dossier {first}" in page
    assert f"mia sloot het dossier af als dubbel van {first}: “ twee keer verstuurd ”" in page
    assert klachten.dossier(second).duplicate_of == first


@pytest.mark.parametrize("who", ["lea", "bert"])
def test_readers_and_the_beheerder_may_not(staff: Staff, harness: Harness, who):
    number = _closed(harness)
    staff.login(who)
    assert staff.get(f"/bemiddeling/dossiers/{number}/heropenen").status_code == 403
    assert "Dossier heropenen" not in _text(staff.get(f"/bemiddeling/dossiers/{number}"))
    assert harness.info.closed


def test_a_cross_site_post_changes_nothing(staff: Staff, harness: Harness, client):
    number = _closed(harness)
    staff.login("mia")
    response = client.post(f"/bemiddeling/dossiers/{number}/heropenen",
                           data={"reden": "Van een andere site"})
    assert response.status_code == 400
    assert harness.info.closed


def test_a_held_dossier_may_be_reopened_an_erased_one_not(staff: Staff, harness: Harness,
                                                         accounts, klachten):
    retention = Retention(klachten)
    held = _closed(harness)
    retention.hold(_account(accounts, "bert"), held, "Rechtszaak loopt")
    FollowUp(klachten).reopen(_account(accounts, "mia"), held, "Nieuwe stukken in de rechtszaak")
    assert not harness.info.closed and harness.info.legal_hold == "Rechtszaak loopt"
    erased = _closed(Harness(klachten))
    retention.erase_on_request(_account(accounts, "bert"), erased, "verzoek van het lid")
    staff.login("mia")
    response = staff.post(f"/bemiddeling/dossiers/{erased}/heropenen",
                          {"reden": "Toch nog iets"})
    assert response.status_code == 302
    assert "is gewist en kan niet heropend worden" in _text(staff.get(response.location))
    assert klachten.dossier(erased).closed


def test_two_mediators_reopen_at_once_one_wins(harness: Harness, accounts, klachten):
    number = _closed(harness)
    follow_up, outcomes = FollowUp(klachten), []

    def reopen(name: str):
        def call():
            try:
                follow_up.reopen(_account(accounts, name), number, f"heropend door {name}")
                outcomes.append("ok")
            except Conflict as error:
                outcomes.append(str(error))
        return call

    run_together(reopen("mia"), reopen("tom"))
    assert outcomes.count("ok") == 1, outcomes
    reopened = [a for a in harness.info.audit if a.action == "dossier heropend"]
    assert len(reopened) == 1 and len(harness.open_tasks()) == 1


def test_a_stale_page_is_refused(staff: Staff, harness: Harness, accounts, klachten):
    number = _closed(harness)
    staff.login("mia")
    version = klachten.dossier(number).version
    url = f"/bemiddeling/dossiers/{number}/heropenen?versie={version}"
    FollowUp(klachten).reopen(_account(accounts, "tom"), number, "Tom was sneller")
    response = staff.post(f"/bemiddeling/dossiers/{number}/heropenen",
                          {"reden": "Mia ook", "versie": version}, form_page=url)
    assert response.status_code == 302
    assert "intussen gewijzigd" in _text(staff.get(response.location))


def test_the_command_line(harness: Harness, accounts, klachten, database_url, monkeypatch):
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    first = harness.submit().number
    second = harness.submit().number
    cli = CliRunner()
    done = cli.invoke(main, ["duplicate", second, "--of", first, "--user", "mia"])
    assert done.exit_code == 0
    assert done.output == f"dossier {second} afgesloten als dubbel van {first}\n"
    again = cli.invoke(main, ["duplicate", second, "--of", first, "--user", "mia"])
    assert again.exit_code == 1 and "al afgesloten" in again.output
    refused = cli.invoke(main, ["reopen", second, "--reason", "x", "--user", "mia"])
    assert refused.exit_code == 1 and "minstens 5 tekens" in refused.output
    reader = cli.invoke(main, ["reopen", second, "--reason", "Toch apart", "--user", "lea"])
    assert reader.exit_code == 1 and "lea mag geen dossiers heropenen" in reader.output
    done = cli.invoke(main, ["reopen", second, "--reason", "Toch apart", "--user", "mia"])
    assert done.exit_code == 0 and done.output == f"dossier {second} heropend\n"
    assert not klachten.dossier(second).closed
