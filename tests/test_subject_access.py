"""Access request (art. 15) and rectification (art. 16): every dossier of a person, exported
as JSON and as a PDF that reads back; contact data corrected without keeping the old value."""

from __future__ import annotations

import io
import json
import zlib
from datetime import timedelta

import pytest
from click.testing import CliRunner
from conftest import Harness
from pdf_fonts import ARABIC_NAME, assert_arabic_shaped, runs
from pypdf import PdfReader
from sqlalchemy import select

from runner.accounts.users import Account
from runner.bpmn.errors import Forbidden, ValidationFailed
from runner.bpmn.store import Instance, transaction
from runner.cli import main
from runner.privacy.rectification import Rectification
from runner.privacy.subject_access import Person, SubjectAccess
from runner.store import AccessEntry, Dossier, Notice

ADMIN = Account(3, "bert", ("beheerder",), False)
MEDIATOR = Account(1, "mia", ("klachtenbemiddelaar",), False)
MEMBER = {"voornaam": "Sofie", "achternaam": "Claes", "email": "sofie.claes@example.be",
          "adres": "Stationsstraat 4, 3000 Leuven", "telefoon": "016 22 33 44",
          "lidnummer": "80010112345"}


def two_dossiers_of_one_member(klachten) -> tuple[Harness, Harness]:
    closed = Harness(klachten).submit(klager=MEMBER, omschrijving="Eerste klacht over de bril.")
    closed.admissible().investigate().answer().advance(45).recommend()
    running = Harness(klachten).submit(
        klager={**MEMBER, "email": "SOFIE.CLAES@example.be"},
        omschrijving="Tweede klacht over het onthaal.")
    running.complete("ontvankelijkheid_beoordelen", {
        "ontvankelijk": "nee", "reden": "geen_verband",
        "motivatie": "Dit valt buiten de bevoegdheid van de klachtendienst."})
    Harness(klachten).submit()  # someone else
    return closed, running


def test_the_export_holds_both_dossiers_every_notice_and_every_decision(klachten):
    closed, running = two_dossiers_of_one_member(klachten)
    access = SubjectAccess(klachten)
    for person in (Person(email="Sofie.Claes@example.be"), Person(member_number="80010112345"),
                   Person(name="sofie cla")):
        found = [row["dossiernummer"] for row in access.find(ADMIN, person)]
        assert sorted(found) == sorted([closed.number, running.number])

    export = access.export(ADMIN, Person(email="sofie.claes@example.be"))
    numbers = {closed.number, running.number}
    assert {d["dossiernummer"] for d in export.document["dossiers"]} == numbers
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(export.pdf)).pages)
    flat = " ".join(text.split())
    expected = ["Eerste klacht over de bril.", "Tweede klacht over het onthaal.",
                "Wij hebben het bedrag herberekend en bijgestort.",
                "Het bedrag werd verkeerd berekend.",
                "Dit valt buiten de bevoegdheid van de klachtendienst.",
                MEMBER["adres"], MEMBER["telefoon"], *numbers]
    for harness in (closed, running):
        for notice in harness.info.notices:
            expected.append(notice.code)
            document = next(d for d in export.document["dossiers"]
                            if d["dossiernummer"] == harness.number)
            exported = {n["code"]: n for n in document["berichten"]}[notice.code]
            assert exported["onderwerp"] == notice.subject
            assert exported["tekst"] == notice.body.replace(
                harness.access_code or "-", "[toegangscode verwijderd na verzending]")
    dumped = json.dumps(export.document, ensure_ascii=False)
    for value in expected:
        assert value in dumped
        assert " ".join(value.split()) in flat, value
    assert "Peeters" not in dumped  # the other member's dossier is not in it
    assert running.access_code not in dumped + flat  # a notice not sent yet holds it
    with transaction(klachten.factory) as session:
        logged = session.execute(select(Dossier.number, AccessEntry.user).join(
            AccessEntry, AccessEntry.dossier_id == Dossier.id)).all()
    assert sorted(logged) == sorted((number, "bert") for number in numbers)


def test_only_a_beheerder_answers_an_access_request(klachten):
    with pytest.raises(Forbidden):
        SubjectAccess(klachten).find(MEDIATOR, Person(email="an.peeters@example.be"))
    with pytest.raises(ValidationFailed):
        SubjectAccess(klachten).find(ADMIN, Person(name=" a "))


def _stored_text(klachten, number: str) -> str:
    with transaction(klachten.factory) as session:
        dossier = session.scalar(select(Dossier).where(Dossier.number == number))
        instance = session.scalar(select(Instance).where(Instance.dossier_id == dossier.id))
        notices = session.scalars(select(Notice).where(Notice.dossier_id == dossier.id)).all()
        archive = zlib.decompress(instance.archive).decode() if instance.archive else ""
        return " ".join([instance.state, archive, dossier.complainant_email,
                         *(n.recipient + n.body for n in notices)])


@pytest.mark.parametrize("closed", [False, True])
def test_a_mediator_corrects_contact_data_and_the_old_value_is_gone(klachten, harness, closed):
    harness.submit()
    if closed:
        harness.admissible().investigate().answer().advance(45).recommend()
    rectification = Rectification(klachten)
    assert "an.peeters@example.be" in _stored_text(klachten, harness.number)
    with pytest.raises(ValidationFailed) as error:
        rectification.correct(MEDIATOR, harness.number, {"email": "geen adres"})
    assert "email" in error.value.reasons
    changed = rectification.correct(MEDIATOR, harness.number,
                                    {"email": "an.peeters@nieuw.example.be"})
    assert changed == ["email"]
    stored = _stored_text(klachten, harness.number)
    assert "an.peeters@example.be" not in stored and "an.peeters@nieuw.example.be" in stored
    assert klachten.case(harness.number).data()["klager"]["email"] == (
        "an.peeters@nieuw.example.be")
    entry = klachten.dossier(harness.number).audit[-1]
    assert (entry.actor, entry.action, entry.details) == (
        "mia", "contactgegevens gecorrigeerd", {"velden": ["email"]})
    found = SubjectAccess(klachten).find(ADMIN, Person(email="an.peeters@nieuw.example.be"))
    assert [row["dossiernummer"] for row in found] == [harness.number]
    with pytest.raises(Forbidden):
        rectification.correct(Account(4, "lea", ("lezer",), False), harness.number,
                              {"telefoon": "09 000 00 00"})


def test_a_corrected_address_is_where_the_next_notice_goes(klachten, harness):
    harness.submit().admissible()
    Rectification(klachten).correct(MEDIATOR, harness.number,
                                    {"email": "an@elders.example.be"})
    harness.investigate().answer()
    assert klachten.dossier(harness.number).notices[-1].recipient == (
        "an@elders.example.be")


def test_privacy_commands(database_url, tmp_path, monkeypatch, klachten):
    from runner.accounts.users import Accounts

    Accounts(klachten).add("bert", ["beheerder"], "een-lang-wachtwoord")
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(tmp_path / "instance"))
    harness = Harness(klachten).submit(klager=MEMBER)
    harness.admissible().investigate().answer().advance(45).recommend()
    cli = CliRunner()

    def run(*args: str, code: int = 0) -> str:
        result = cli.invoke(main, list(args))
        assert result.exit_code == code, result.output + result.stderr
        return result.output + result.stderr

    assert "0 te wissen" in run("retention", "--dry-run")
    run("privacy", "hold", harness.number, "--reason", "Rechtszaak", "--user", "bert")
    klachten.clock.set(klachten.clock.now() + timedelta(days=365 * 5 + 2))
    out = run("retention")
    assert f"juridische blokkering, niet gewist: {harness.number}" in out
    assert "mia bestaat niet" in run("privacy", "erase", harness.number, "--reason", "x",
                                     "--user", "mia", code=1)
    out = run("privacy", "export", "--member-number", MEMBER["lidnummer"], "--user", "bert",
              "-o", str(tmp_path / "inzage.pdf"))
    assert "1 dossier(s)" in out
    document = json.loads((tmp_path / "inzage.json").read_text())
    assert document["dossiers"][0]["klager"]["email"] == MEMBER["email"]
    assert PdfReader(tmp_path / "inzage.pdf").pages
    out = run("privacy", "erase", harness.number, "--reason", "Verzoek", "--user", "bert",
              code=1)
    assert "juridische blokkering" in out and "Traceback" not in out
    run("privacy", "hold", harness.number, "--reason", "-", "--user", "bert", "--release")
    assert f"gewist: {harness.number}" in run("retention")
    assert "geen dossiers gevonden" in run("privacy", "search", "--email", MEMBER["email"],
                                           "--user", "bert")


def test_an_arabic_name_in_the_export_is_shaped_in_the_shipped_font(klachten):
    """The access-request PDF joins Arabic like the letters do, and the line after one that
    starts in Arabic keeps the regular 9 pt (not the heading's bold 12 pt before it)."""
    member = {**MEMBER, "voornaam": "محمد", "achternaam": "العلوي"}
    Harness(klachten).submit(klager=member, omschrijving=f"{ARABIC_NAME}\nDe bril is kapot.")
    pdf = SubjectAccess(klachten).export(ADMIN, Person(email=MEMBER["email"])).pdf
    assert_arabic_shaped(pdf, ARABIC_NAME)
    assert ("De bril is kapot.", "NotoSans", 9) in [
        (text.strip(), font, size) for text, font, size in runs(pdf)]
