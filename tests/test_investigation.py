"""The investigation inside the product (issue 22, items 1 and 2), on the virtual clock:
consultations of services without the member's identity, and questions to the member."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from conftest import Harness
from smtp_server import outbox_for

from runner.accounts.users import Accounts
from runner.bpmn.errors import Conflict, Forbidden, NotFound, ValidationFailed
from runner.cli import main
from runner.investigation.desk import IdentityFound, Investigation
from runner.investigation.pseudonyms import find_identity, pseudonymise

PASSWORD = "Zeer-lang-wachtwoord-42!"
IDENTITY = ("An Peeters", "Peeters", "an.peeters@example.be", "12345678901", "Kerkstraat 1")


@pytest.fixture
def desk(klachten):
    accounts = Accounts(klachten)
    people = {name: accounts.add(name, [role], PASSWORD) for name, role in (
        ("mia", "klachtenbemiddelaar"), ("dienst.terugbetalingen", "dienst"),
        ("dienst.uitkeringen", "dienst"), ("lezer", "lezer"))}
    return Investigation(klachten, accounts), people


def _investigating(klachten) -> Harness:
    return Harness(klachten).submit().admissible()


def test_two_services_in_parallel_one_late(klachten, desk, smtp_server):
    investigation, people = desk
    harness = _investigating(klachten)
    mia = people["mia"]
    first = investigation.consult(mia, harness.number, "terugbetalingen",
                                  "Werd het bedrag van An Peeters juist berekend?",
                                  ["categorie", "omschrijving"], confirmed=True)
    second = investigation.consult(mia, harness.number, "uitkeringen", "Liep er een uitkering?")
    lanes = sorted(t.lane for t in harness.open_tasks())
    assert lanes == ["Dienst", "Dienst", "Klachtenbemiddelaar"]

    investigation.answer(people["dienst.terugbetalingen"], first, "Het bedrag was te laag.")
    harness.advance(12)  # past the 10 days of termijnen.dmn rule "consultatie"
    outbox_for(klachten, smtp_server).deliver_due()
    reminders = [m for m in smtp_server.messages if "uitkeringen@" in m["To"]]
    assert len(reminders) == 1 and second in reminders[0]["Subject"]
    body = reminders[0].get_body().get_content()
    assert all(value not in body for value in IDENTITY)

    found = {i.reference: i for i in investigation.of_dossier(harness.number)}
    assert found[first].state == "beantwoord" and found[first].answer == "Het bedrag was te laag."
    assert found[first].answered_by == "dienst.terugbetalingen"
    assert found[second].state == "te_laat" and found[second].reminded_at is not None
    assert {i.reference for i in investigation.news(mia)} == {first, second}  # mediator told
    investigation.mark_seen(mia, harness.number)
    assert investigation.news(mia) == ()
    # the member's own pages never list the service's reminder
    assert "consultatie_herinnering" not in [n.kind for n in harness.info.notices
                                             if n.recipient.startswith("an.")]


def test_the_service_sees_only_the_pseudonym(klachten, desk):
    investigation, people = desk
    harness = _investigating(klachten)
    question = ("Klopt het bedrag voor An Peeters, lid 12345678901, "
                "an.peeters@example.be, Kerkstraat 1?")
    preview = investigation.preview(people["mia"], harness.number, "terugbetalingen",
                                    question, ["categorie", "omschrijving", "ontvangen_op"])
    assert {f.what for f in preview.found} >= {"naam", "lidnummer", "e-mailadres", "adres"}
    with pytest.raises(IdentityFound):
        investigation.consult(people["mia"], harness.number, "terugbetalingen", question)
    reference = investigation.consult(people["mia"], harness.number, "terugbetalingen",
                                      question, ["categorie", "omschrijving"], confirmed=True)
    [item] = investigation.service_inbox(people["dienst.terugbetalingen"])
    assert item.reference == reference and item.question == preview.question
    shown = json.dumps([item.question, item.shared, item.pseudonym])
    assert all(value.lower() not in shown.lower() for value in IDENTITY)
    assert item.pseudonym in item.question
    # the same pseudonym for every consultation of the dossier
    again = investigation.preview(people["mia"], harness.number, "uitkeringen", "x", [])
    assert again.pseudonym == item.pseudonym
    # another service's contact, a reader, a member: nothing
    with pytest.raises(NotFound):
        investigation.service_item(people["dienst.uitkeringen"], reference)
    assert investigation.service_inbox(people["dienst.uitkeringen"]) == []
    with pytest.raises(Forbidden):
        investigation.service_inbox(people["lezer"])
    with pytest.raises(Forbidden):
        investigation.consult(people["dienst.terugbetalingen"], harness.number,
                              "terugbetalingen", "x")
    with pytest.raises(NotFound):
        investigation.answer(people["dienst.uitkeringen"], reference, "ik antwoord toch")


def test_question_answered_from_the_status_page(klachten, desk):
    investigation, people = desk
    harness = _investigating(klachten)
    reference = investigation.ask(people["mia"], harness.number,
                                  "Hebt u de factuur van de kinesitherapeut nog?")
    [notice] = [n for n in harness.info.notices if n.kind == "vraag"]
    assert notice.channel == "email"
    [question] = investigation.member_questions(harness.number)
    assert question.state == "open"
    investigation.reply(harness.number, reference, "Ja, ik stuur ze op.")
    [question] = investigation.member_questions(harness.number)
    assert (question.state, question.answer) == ("beantwoord", "Ja, ik stuur ze op.")
    assert [i.reference for i in investigation.news(people["mia"])] == [reference]
    with pytest.raises(Conflict):
        investigation.reply(harness.number, reference, "nog eens")
    other = Harness(klachten).submit()
    with pytest.raises(NotFound):  # a member of another dossier
        investigation.reply(other.number, reference, "niet mijn vraag")


def test_question_not_answered_the_model_reminds_then_carries_on(klachten, desk):
    investigation, people = desk
    harness = _investigating(klachten)
    reference = investigation.ask(people["mia"], harness.number, "Welke dag was dat?")
    harness.advance(15)  # past "vraag_klager" (14 days): the reminder
    assert harness.notices().count("vraag_herinnering") == 1
    [question] = investigation.member_questions(harness.number)
    assert question.state == "te_laat"
    harness.advance(10)  # past "vraag_klager_laatste" (21 days): carry on without it
    [question] = investigation.member_questions(harness.number)
    assert question.state == "zonder_antwoord" and question.closed_at is not None
    assert [t.name for t in harness.open_tasks()] == ["onderzoek"]
    with pytest.raises(Conflict):
        investigation.reply(harness.number, reference, "te laat")


def test_only_during_the_investigation(klachten, desk):
    investigation, people = desk
    harness = Harness(klachten).submit()  # admissibility not decided yet
    with pytest.raises(Conflict, match="niet in onderzoek"):
        investigation.ask(people["mia"], harness.number, "Vraag")
    harness.admissible()
    with pytest.raises(ValidationFailed, match="onbekende dienst"):
        investigation.consult(people["mia"], harness.number, "onbekend", "Vraag")
    with pytest.raises(ValidationFailed):
        investigation.ask(people["mia"], harness.number, "   ")


def test_identity_found_in_hostile_text() -> None:
    member = {"voornaam": "Zoë", "achternaam": "O'Brien (test)", "lidnummer": "12345678901",
              "email": "z@x.be"}
    text = "Zoë O'Brien (test) <script>, 123 456 789 01, rijksregister 85.07.30-033.28, z@x.be"
    found = {f.what for f in find_identity(text, member)}
    assert {"naam", "lidnummer", "rijksregisternummer", "e-mailadres"} <= found
    cleaned = pseudonymise(text, member, "Lid-ABCDEF")
    assert "Brien" not in cleaned and "85.07.30" not in cleaned and "z@x.be" not in cleaned
    assert "<script>" in cleaned  # escaping is the page's job; the text is kept


def test_two_answers_at_once_both_land(klachten, desk):
    from conftest import run_together

    investigation, people = desk
    harness = _investigating(klachten)
    mia = people["mia"]
    first = investigation.consult(mia, harness.number, "terugbetalingen", "Een?")
    second = investigation.consult(mia, harness.number, "uitkeringen", "Twee?")
    errors: list[Exception] = []

    def answer(account, reference):
        def call():
            try:
                investigation.answer(account, reference, f"antwoord {reference}")
            except Exception as err:  # collected and asserted below
                errors.append(err)
        return call

    run_together(answer(people["dienst.terugbetalingen"], first),
                 answer(people["dienst.uitkeringen"], second))
    assert errors == []
    assert {i.state for i in investigation.of_dossier(harness.number)} == {"beantwoord"}


def test_cli_consult_ask_and_dossier_json(klachten, desk, database_url, monkeypatch):
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    harness = _investigating(klachten)
    runner = CliRunner()
    refused = runner.invoke(main, ["consult", harness.number, "--service", "terugbetalingen",
                                   "--question", "Wat met An Peeters?", "--user", "mia"])
    assert refused.exit_code == 1 and "pseudoniem" in refused.output
    sent = runner.invoke(main, ["consult", harness.number, "--service", "terugbetalingen",
                                "--question", "Wat met An Peeters?", "--confirm",
                                "--share", "categorie", "--user", "mia"])
    assert sent.exit_code == 0, sent.output
    asked = runner.invoke(main, ["ask", harness.number, "--question", "Welke dag?",
                                 "--user", "mia"])
    assert asked.exit_code == 0, asked.output
    shown = runner.invoke(main, ["dossier", harness.number, "--json"])
    data = json.loads(shown.output)
    [consultation] = data["consultaties"]
    [question] = data["vragen"]
    assert consultation["dienst"] == "terugbetalingen" and "Peeters" not in consultation["vraag"]
    assert consultation["gedeelde_feiten"] == {"categorie": "Terugbetaling"}
    assert question["vraag"] == "Welke dag?" and question["toestand"] == "open"
    reader = runner.invoke(main, ["ask", harness.number, "--question", "x", "--user", "lezer"])
    assert reader.exit_code == 1 and "mag geen taken" in reader.output


def test_erasure_empties_questions_answers_and_the_pseudonym(klachten, desk):
    from runner.bpmn.store import transaction
    from runner.investigation.store import DossierPseudonym, Inquiry
    from runner.privacy.retention import Retention

    investigation, people = desk
    accounts = investigation.accounts
    admin = accounts.add("beheer", ["beheerder"], PASSWORD)
    harness = _investigating(klachten)
    reference = investigation.ask(people["mia"], harness.number, "Uw IBAN, An Peeters?")
    investigation.reply(harness.number, reference, "BE71 0961 2345 6769")
    harness.investigate().answer().advance(31).recommend()
    retention = Retention(klachten)
    retention.hold(admin, harness.number, "rechtszaak")
    with pytest.raises(Conflict):  # a legal hold keeps everything
        retention.erase_on_request(admin, harness.number, "verzoek van het lid")
    retention.release(admin, harness.number)
    retention.erase_on_request(admin, harness.number, "verzoek van het lid")
    with transaction(klachten.factory) as session:
        [row] = session.query(Inquiry).all()
        assert (row.question, row.answer) == ("[gewist]", "")
        assert session.query(DossierPseudonym).count() == 0


def test_a_service_contact_sees_nothing_of_the_dossier_on_the_web(staff, accounts, klachten):
    harness = _investigating(klachten)
    accounts.add("dienst.terugbetalingen", ["dienst"], PASSWORD)
    token = accounts.new_token("dienst.terugbetalingen")
    staff.login("dienst.terugbetalingen", PASSWORD)
    for url in ("/bemiddeling/werkbak", f"/bemiddeling/dossiers/{harness.number}",
                "/bemiddeling/dossiers?zoek=Peeters", "/rapporten", "/beheer/gebruikers"):
        response = staff.get(url)
        assert response.status_code in (403, 404), url
        page = response.get_data(as_text=True)
        assert all(value not in page for value in IDENTITY), url
    api = staff.client.get(f"/api/v1/dossiers/{harness.number}",
                           headers={"Authorization": f"Bearer {token}"})
    assert api.status_code in (403, 404)
    assert all(value not in api.get_data(as_text=True) for value in IDENTITY)
