"""Case work beside the procedure (issue 21, items 5 to 7): notes and contacts, drafts of long
texts, answer templates; through the pages, the API and the command line, with the roles
that must not, hostile input, a legal hold, erasure and two users at once."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from conftest import PASSWORD, Harness, Staff, complaint

from runner.accounts.users import Accounts
from runner.bpmn.errors import ValidationFailed
from runner.cli import main
from runner.definition import answer_templates
from runner.definition.model import LANGUAGES, parse, read_folder
from runner.privacy.retention import Retention
from runner.privacy.subject_access import Person, SubjectAccess
from runner.store import DossierNote, TaskDraft
from runner.work.answer_forms import Answers
from runner.work.case_notes import CaseNotes, NewNote
from runner.work.drafts import Drafts
from runner.work.inbox import Inbox

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _text(response) -> str:
    return response.get_data(as_text=True)


def _count(klachten, table) -> int:
    from sqlalchemy import func, select

    from runner.bpmn.store import transaction

    with transaction(klachten.factory) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def _users(accounts: Accounts) -> dict:
    return {account.name: account for account in accounts.list()}


# ----- notes and contacts
def test_a_mediator_adds_a_note_and_a_phone_contact_that_the_timeline_shows(staff: Staff,
                                                                           harness: Harness):
    number = harness.submit().number
    staff.login("mia")
    page = f"/bemiddeling/dossiers/{number}"
    response = staff.post(f"{page}/notities", {"tekst": "Lid belde: <script>alert(1)</script>",
                                               "contact": "phone", "richting": "in",
                                               "datum": ""}, form_page=page,
                          follow_redirects=True)
    shown = _text(response)
    assert response.status_code == 200 and "is toegevoegd aan de tijdlijn" in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "<script>alert" not in shown
    assert "Telefoon, inkomend (van de klager), op 2 maart 2026" in shown
    staff.post(f"{page}/notities", {"tekst": "Navragen bij de dienst terugbetalingen."},
               form_page=page)
    shown = _text(staff.get(page))
    assert "interne notitie" in shown and "Navragen bij de dienst terugbetalingen." in shown
    assert shown.index("Lid belde") < shown.index("Navragen bij")


def test_a_correction_is_a_new_note_referring_to_the_old(klachten, accounts, harness):
    number = harness.submit().number
    notes = CaseNotes(klachten)
    mia = _users(accounts)["mia"]
    first = notes.add(mia, number, NewNote("Lid belde op 3 maart.", "phone", "in"))
    second = notes.add(mia, number, NewNote("Het was 4 maart, niet 3 maart.",
                                            corrects=first.id))
    listed = notes.notes(mia, number)
    assert [note.text for note in listed] == ["Lid belde op 3 maart.",
                                              "Het was 4 maart, niet 3 maart."]
    assert listed[1].corrects == first.id and second.contact == ""
    with pytest.raises(Exception, match="bestaat niet in dit dossier"):
        notes.add(mia, number, NewNote("x", corrects=999_999))


@pytest.mark.parametrize(("fields", "message"), [
    ({"tekst": ""}, "Schrijf de notitie of een samenvatting van het contact."),
    ({"tekst": "x" * 100_000}, "De notitie is te lang: maximaal 10\u202f000 tekens."),
    ({"tekst": "Gebeld", "contact": "phone"}, "Kies of het contact inkomend of uitgaand was."),
    ({"tekst": "Gebeld", "contact": "phone", "richting": "in", "datum": "2099-12-31"},
     "Datum van het contact: kies een dag tussen de ontvangst van de klacht en vandaag."),
    ({"tekst": "Gebeld", "contact": "phone", "richting": "in", "datum": "gisteren"},
     "Datum van het contact: vul een datum in als JJJJ-MM-DD."),
    ({"tekst": "Gebeld", "contact": "duif", "richting": "in"},
     "Kies de soort contact: telefoon, e-mail, brief of bezoek."),
    ({"tekst": "Gebeld", "richting": "in"}, "Kies de soort contact, of laat richting en datum"),
])
def test_a_bad_note_is_refused_clearly_and_the_text_stays(staff, harness, klachten, fields,
                                                          message):
    number = harness.submit().number
    staff.login("mia")
    page = f"/bemiddeling/dossiers/{number}"
    response = staff.post(f"{page}/notities", fields, form_page=page)
    shown = _text(response)
    assert response.status_code == 400 and message in shown
    if fields["tekst"]:
        assert fields["tekst"][:1000] in shown  # what was typed is still in the form
    assert _count(klachten, DossierNote) == 0


def test_a_nul_is_refused_before_the_note_and_by_the_runner(staff, harness, klachten,
                                                               accounts):
    number = harness.submit().number
    staff.login("mia")
    page = f"/bemiddeling/dossiers/{number}"
    assert staff.post(f"{page}/notities", {"tekst": "nul\x00teken"},
                      form_page=page).status_code == 400  # web.request_guard
    with pytest.raises(ValidationFailed) as refused:
        CaseNotes(klachten).add(_users(accounts)["mia"], number, NewNote("nul\x00teken"))
    assert refused.value.codes == {"tekst": "nul"}
    assert _count(klachten, DossierNote) == 0


def test_notes_need_the_csrf_token_and_the_right_role(staff, harness, klachten):
    number = harness.submit().number
    staff.login("mia")
    response = staff.client.post(f"/bemiddeling/dossiers/{number}/notities",
                                 data={"tekst": "Zonder token"})
    assert response.status_code == 400
    staff.client.post("/logout", data={"csrf_token": TOKEN.search(
        _text(staff.get("/bemiddeling/taken"))).group(1)})
    staff.login("lea")  # the reader reads the notes but cannot write one
    page = f"/bemiddeling/dossiers/{number}"
    assert "Notitie of contact toevoegen" not in _text(staff.get(page))
    response = staff.post(f"{page}/notities", {"tekst": "Van een lezer"}, form_page=page)
    assert response.status_code == 403
    assert _count(klachten, DossierNote) == 0


def test_the_member_never_sees_a_note(site, staff, klachten):
    number, code = site.file_complaint()
    CaseNotes(klachten).add(_users(Accounts(klachten))["mia"], number,
                            NewNote("Intern: lid klinkt boos aan de telefoon."))
    status = _text(site.sign_in(number, code, follow_redirects=True))
    assert number in status and "boos aan de telefoon" not in status


def test_reading_notes_is_access_logged_and_the_reader_reads(client, klachten, accounts,
                                                              harness):
    number = harness.submit().number
    users = _users(accounts)
    CaseNotes(klachten).add(users["mia"], number, NewNote("Brief ontvangen.", "letter", "in"))
    tokens = {name: accounts.new_token(name) for name in ("mia", "lea")}
    read = client.get(f"/api/v1/dossiers/{number}/notities",
                      headers={"Authorization": f"Bearer {tokens['lea']}"})
    assert read.status_code == 200
    [note] = read.get_json()["notities"]
    assert note["tekst"] == "Brief ontvangen." and note["contact"] == "letter"
    assert note["auteur"] == "mia" and note["richting"] == "in" and note["datum"] == "2026-03-02"
    refused = client.post(f"/api/v1/dossiers/{number}/notities", json={"tekst": "lezer"},
                          headers={"Authorization": f"Bearer {tokens['lea']}"})
    assert refused.status_code == 403
    made = client.post(f"/api/v1/dossiers/{number}/notities",
                       json={"tekst": "Teruggebeld.", "contact": "phone", "richting": "out"},
                       headers={"Authorization": f"Bearer {tokens['mia']}"})
    assert made.status_code == 201 and made.get_json()["richting"] == "out"
    bad = client.post(f"/api/v1/dossiers/{number}/notities", json={"tekst": "x" * 10_001},
                      headers={"Authorization": f"Bearer {tokens['mia']}"})
    assert bad.status_code == 400
    log = Accounts(klachten)  # the beheerder's access log names lea's read
    from runner.work.dossier_view import DossierDesk

    bert = _users(log)["bert"]
    entries = DossierDesk(klachten).access_log(bert)
    assert {"wie": "lea", "dossier": number, "wat": "notities (API)"} in [
        {key: entry[key] for key in ("wie", "dossier", "wat")} for entry in entries]


def test_the_command_line_adds_notes_and_refuses_clearly(database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    monkeypatch.setenv("KLACHTEN_PASSWORD", PASSWORD)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(main, list(args), catch_exceptions=False)

    assert run("init").exit_code == 0
    run("clock", "set", "2026-03-02T09:00:00+01:00")
    run("user", "add", "mia", "--role", "klachtenbemiddelaar")
    run("user", "add", "lea", "--role", "lezer")
    path = tmp_path / "k.json"
    path.write_text(json.dumps(complaint()), encoding="utf-8")
    run("submit", str(path))
    made = run("note", "KL-2026-00001", "Lid belde over de brief.", "--user", "mia",
               "--contact", "phone", "--direction", "in", "--date", "2026-03-02", "--json")
    assert made.exit_code == 0, made.output
    assert json.loads(made.output)["contact"] == "phone"
    plain = run("note", "KL-2026-00001", "Intern.", "--user", "mia")
    assert plain.exit_code == 0 and plain.output.startswith("notitie 2 toegevoegd")
    refused = run("note", "KL-2026-00001", "Van een lezer", "--user", "lea")
    assert refused.exit_code == 1 and "lea" in refused.output
    future = run("note", "KL-2026-00001", "x", "--user", "mia", "--contact", "email",
                 "--direction", "out", "--date", "2099-01-01")
    assert future.exit_code == 1 and "datum" in future.output
    assert len(future.output.strip().splitlines()) == 1


def _closed(harness: Harness) -> str:
    harness.submit().admissible().investigate().answer().advance(45).recommend()
    return harness.number


def test_a_legal_hold_keeps_notes_and_takes_new_ones_erasure_deletes_them(klachten, accounts,
                                                                          harness):
    number = _closed(harness)
    users = _users(accounts)
    notes, retention = CaseNotes(klachten), Retention(klachten)
    notes.add(users["mia"], number, NewNote("Lid belde na de afsluiting.", "phone", "in"))
    retention.hold(users["bert"], number, "Klacht bij de rechtbank")
    notes.add(users["mia"], number, NewNote("Advocaat vroeg een kopie."))
    with pytest.raises(Exception, match="juridische blokkering"):
        retention.erase_on_request(users["bert"], number, "Verzoek van het lid")
    assert len(notes.notes(users["mia"], number)) == 2
    retention.release(users["bert"], number)
    retention.erase_on_request(users["bert"], number, "Verzoek van het lid")
    assert notes.notes(users["mia"], number) == [] and _count(klachten, DossierNote) == 0
    with pytest.raises(Exception, match="is gewist"):
        notes.add(users["mia"], number, NewNote("Nog iets."))


def test_the_access_request_exports_notes_and_drafts(klachten, accounts, harness):
    number = harness.submit().number
    users = _users(accounts)
    CaseNotes(klachten).add(users["mia"], number, NewNote("Lid belde.", "phone", "in"))
    harness.admissible().investigate()
    task = harness.task("gemotiveerd_antwoord").id
    Drafts(klachten, Inbox(klachten, accounts)).save(users["mia"], task, "antwoord",
                                                     "Half antwoord")
    export = SubjectAccess(klachten).export(users["bert"], Person(member_number="12345678901"))
    [dossier] = export.document["dossiers"]
    assert [note["tekst"] for note in dossier["notities"]] == ["Lid belde."]
    assert [draft["tekst"] for draft in dossier["concepten"]] == ["Half antwoord"]


# ----- drafts
def _at_answer(harness: Harness) -> str:
    harness.submit().admissible().investigate()
    return harness.task("gemotiveerd_antwoord").id


def _draft_post(staff: Staff, task: str, field: str, text: str, token: str | None = None):
    page = _text(staff.get(f"/bemiddeling/taken/{task}"))
    token = token if token is not None else TOKEN.search(page).group(1)
    return staff.client.post(f"/bemiddeling/taken/{task}/concept",
                             data={"veld": field, "tekst": text},
                             headers={"X-CSRFToken": token, "Accept": "application/json"})


def test_a_draft_is_restored_on_return_and_gone_after_completion(staff, harness, klachten):
    task = _at_answer(harness)
    staff.login("mia")
    saved = _draft_post(staff, task, "antwoord", "Wij hebben uw dossier <b>nagekeken</b>")
    assert saved.status_code == 200 and saved.get_json()["bewaard"] is True
    page = _text(staff.get(f"/bemiddeling/taken/{task}"))
    assert "is hersteld" in page and "Wij hebben uw dossier &lt;b&gt;nagekeken&lt;/b&gt;" in page
    response = staff.post(f"/bemiddeling/taken/{task}", {
        "versie": re.search(r'name="versie" value="(\d+)"', page).group(1),
        "uitkomst": "gegrond", "antwoord": "Wij hebben het bedrag herberekend en bijgestort.",
        "advies": "", "actie": "voltooien"}, form_page=f"/bemiddeling/taken/{task}")
    assert response.status_code == 302, _text(response)
    assert _count(klachten, TaskDraft) == 0


def test_two_users_typing_on_the_same_task_keep_their_own(klachten, accounts, harness):
    task = _at_answer(harness)
    users = _users(accounts)
    drafts = Drafts(klachten, Inbox(klachten, accounts))
    drafts.save(users["mia"], task, "antwoord", "Versie van mia")
    drafts.save(users["tom"], task, "antwoord", "Versie van tom")
    drafts.save(users["mia"], task, "antwoord", "Versie van mia, verder getypt")
    assert drafts.of(users["mia"], task).texts == {"antwoord": "Versie van mia, verder getypt"}
    assert drafts.of(users["tom"], task).texts == {"antwoord": "Versie van tom"}
    drafts.save(users["tom"], task, "antwoord", "")  # emptied: the draft is gone
    assert drafts.of(users["tom"], task).texts == {}


def test_the_draft_endpoint_needs_the_token_a_working_role_and_a_long_text_field(
        staff, harness, klachten):
    task = _at_answer(harness)
    staff.login("mia")
    assert _draft_post(staff, task, "antwoord", "x", token="vals").status_code == 400
    refused = _draft_post(staff, task, "uitkomst", "gegrond")
    assert refused.status_code == 400 and "geen lang tekstveld" in refused.get_json()["fouten"][
        "veld"]
    too_long = _draft_post(staff, task, "antwoord", "x" * 10_001)
    assert too_long.status_code == 400 and "hoogstens 10000" in too_long.get_json()["fouten"][
        "antwoord"]
    assert _draft_post(staff, task, "antwoord", "a\x00b").status_code == 400
    assert _count(klachten, TaskDraft) == 0
    token = TOKEN.search(_text(staff.get("/bemiddeling/taken"))).group(1)
    staff.client.post("/logout", data={"csrf_token": token})
    staff.login("lea")
    response = staff.client.post(f"/bemiddeling/taken/{task}/concept",
                                 data={"veld": "antwoord", "tekst": "lezer", "csrf_token":
                                       TOKEN.search(_text(staff.get(
                                           "/bemiddeling/dossiers/" + harness.number))).group(1)})
    assert response.status_code == 403 and _count(klachten, TaskDraft) == 0


def test_a_draft_of_a_task_that_ended_otherwise_is_deleted_and_erasure_removes_any(
        klachten, accounts, harness):
    task = _at_answer(harness)
    users = _users(accounts)
    drafts = Drafts(klachten, Inbox(klachten, accounts))
    drafts.save(users["mia"], task, "antwoord", "Half antwoord")
    harness.message("klacht_ingetrokken", {"reden": "Opgelost."})  # the task is cancelled
    assert _count(klachten, TaskDraft) == 0


# ----- answer templates
def test_the_shipped_templates_render_in_every_language_for_every_category(klachten):
    model = klachten.latest_model()
    assert answer_templates.problems(model) == []
    facts = dict.fromkeys(answer_templates.PLACEHOLDERS, "x")
    shipped = answer_templates.templates(model)
    assert {t.text_field for t in shipped} == {"antwoord", "motivatie"}
    for category in model.settings["categorieen"]:
        offered = answer_templates.offered(model, "gemotiveerd_antwoord", category)
        assert {t.choices["uitkomst"] for t in offered} == {"gegrond", "deels gegrond",
                                                            "ongegrond"}
    for template in shipped:
        for language in LANGUAGES:
            text = answer_templates.render(model, template, language, facts)
            assert len(text) > 100 and "{{" not in text


@pytest.mark.parametrize(("change", "message"), [
    (lambda d: (d / "nl/gegrond.txt").write_text("Beste {{ klant }}", encoding="utf-8"),
     "onbekende invulplaats klant"),
    (lambda d: (d / "fr/gegrond.txt").unlink(), "bestand ontbreekt"),
    (lambda d: (d / "nl/extra.txt").write_text("x", encoding="utf-8"), "sjabloon zonder regel"),
    (lambda d: (d / "nl/ongegrond.txt").write_text("{% if %}", encoding="utf-8"),
     "ongeldig sjabloon"),
    (lambda d: _edit_index(d, "gegrond", veld="uitkomst"), "geen lang tekstveld"),
    (lambda d: _edit_index(d, "gegrond", keuzes={"uitkomst": "half"}), "keuze uitkomst='half'"),
    (lambda d: _edit_index(d, "gegrond", categorieen=["fietsen"]), "onbekende categorie"),
    (lambda d: _edit_index(d, "gegrond", taken=["bestaat_niet"]), "taak 'bestaat_niet'"),
])
def test_the_lint_finds_a_broken_template(processes_copy, change, message):
    change(processes_copy / "antwoorden")
    found = answer_templates.problems(parse(read_folder(processes_copy)))
    assert any(message in problem[2] for problem in found), found


def _edit_index(folder, name: str, **changes) -> None:
    path = folder / "antwoorden.json"
    index = json.loads(path.read_text(encoding="utf-8"))
    index[name].update(changes)
    path.write_text(json.dumps(index), encoding="utf-8")


def test_a_template_fills_the_answer_in_the_dossiers_language(staff, klachten, harness):
    harness.submit(taal="fr", categorie="terugbetaling").admissible().investigate()
    task = harness.task("gemotiveerd_antwoord").id
    staff.login("mia")
    url = f"/bemiddeling/taken/{task}"
    page = _text(staff.get(url))
    assert "Terugbetaling: gegrond, bedrag rechtgezet" in page
    response = staff.post(url, {"actie": "sjabloon", "sjabloon": "terugbetaling_gegrond",
                                "antwoord": "Mijn eigen zin.", "advies": ""})
    shown = _text(response)
    assert response.status_code == 200 and "ingevuld" in shown
    assert "Nous avons reçu le 2 mars 2026 votre plainte concernant un remboursement" in shown
    assert "Mijn eigen zin." in shown  # what was typed stays, below the template
    assert re.search(r'value="gegrond" checked', shown)
    draft = Drafts(klachten, Inbox(klachten, Accounts(klachten)))
    mia = _users(Accounts(klachten))["mia"]
    assert draft.of(mia, task).texts["antwoord"].startswith("Nous avons reçu")
    refused = staff.post(url, {"actie": "sjabloon", "sjabloon": "niet_ontvankelijk_anoniem"})
    assert refused.status_code == 400


def test_the_admissibility_form_offers_only_its_templates(klachten, accounts, harness):
    harness.submit()
    task = harness.task("ontvankelijkheid_beoordelen").id
    answers = Answers(klachten, Inbox(klachten, accounts))
    mia = _users(accounts)["mia"]
    assert {offer.id for offer in answers.offered(mia, task)} == {
        "niet_ontvankelijk_anoniem", "niet_ontvankelijk_geen_verband",
        "niet_ontvankelijk_reeds_behandeld"}
    filled = answers.fill(mia, task, "niet_ontvankelijk_geen_verband")
    assert filled.field == "motivatie" and filled.choices == {"ontvankelijk": "nee",
                                                              "reden": "geen_verband"}
    assert "2 maart 2026" in filled.text
    with pytest.raises(Exception, match=r"scheiding|rol"):
        answers.offered(_users(accounts)["lea"], task)
