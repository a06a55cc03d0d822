"""Retention and erasure with the virtual clock: the worker erases a dossier whose retention
ended, nothing of the member is left anywhere, the reports keep their figures; open and
held dossiers are never erased; the job is safe with several workers."""

from __future__ import annotations

import dataclasses
import zlib
from datetime import date, timedelta

import pytest
from conftest import Harness, run_together
from sqlalchemy import select

from runner.accounts.users import Account
from runner.bpmn.errors import Conflict, Forbidden, ValidationFailed
from runner.bpmn.store import AuditEntry, Base, Instance, transaction
from runner.notices.mail import EmlFolder, Sender
from runner.notices.outbox import Outbox
from runner.privacy.retention import Retention
from runner.reports.figures import Period, ReportDesk
from runner.store import Dossier
from runner.worker import Worker

YEAR = Period(date(2026, 1, 1), date(2026, 12, 31))
READER = Account(1, "lea", ("lezer",), False)
ADMIN = Account(3, "bert", ("beheerder",), False)
MEDIATOR = Account(2, "mia", ("klachtenbemiddelaar",), False)
ERASED_MEMBER = {"voornaam": "Griet", "achternaam": "Vandevelde",
                 "email": "griet.vandevelde@example.be", "adres": "Molenstraat 17, 8500 Kortrijk",
                 "telefoon": "056 98 76 54", "lidnummer": "71020304055"}
COMPLAINT_SENTENCE = "Mijn hoorapparaat werd slechts voor de helft terugbetaald."


def member(first: str, number: str) -> dict:
    return {"voornaam": first, "achternaam": "Janssens", "email": f"{first.lower()}@example.be",
            "adres": "Dorp 1, 2000 Antwerpen", "telefoon": "03 111 22 33", "lidnummer": number}


def answered(klachten, klager: dict, omschrijving: str, outcome: str = "gegrond") -> Harness:
    """A dossier answered, waiting for the member's reaction."""
    harness = Harness(klachten).submit(klager=klager, omschrijving=omschrijving)
    return harness.admissible().investigate().answer(outcome)


def finish(harness: Harness) -> str:
    """Record the recommendation of a dossier whose reaction window closed it."""
    harness.recommend(
        [{"tekst": "Controleer de berekening van hoorapparaten", "dienst": "terugbetaling"}])
    assert harness.info.closed and harness.info.step == "Afgesloten"
    return harness.number


def closed_dossier(klachten, klager: dict, omschrijving: str, outcome: str = "gegrond") -> str:
    """A dossier through every step to its end; returns its number."""
    return finish(answered(klachten, klager, omschrijving, outcome).advance(45))


@pytest.fixture
def mail_folder(tmp_path):
    return tmp_path / "instance" / "mail"


@pytest.fixture
def worker(klachten, mail_folder, monkeypatch):
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(mail_folder.parent))
    outbox = Outbox(klachten, EmlFolder(mail_folder), Sender("Klachten <k@fonds.example>"))
    return Worker(klachten, outbox)


def closed_at(klachten, number: str):
    with transaction(klachten.factory) as session:
        return session.scalar(select(Dossier.closed_at).where(Dossier.number == number))


def scan_database(klachten, needles: list[str]) -> list[str]:
    """Every (table.column, needle) where a needle occurs, compressed archives included."""
    found = []
    with transaction(klachten.factory) as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                for column, value in row.items():
                    text = _readable(value).lower()
                    found += [f"{table.name}.{column}: {needle}" for needle in needles
                              if needle.lower() in text]
    return found


def _readable(value) -> str:
    if isinstance(value, bytes):
        try:
            return zlib.decompress(value).decode()
        except zlib.error:
            return value.decode(errors="replace")
    return str(value)


def needles_of(klager: dict, sentence: str) -> list[str]:
    return [*klager.values(), sentence]


def scan_mail(folder) -> list[str]:
    return [path.read_text(errors="replace") for path in sorted(folder.glob("*.eml"))]


def figures(klachten):
    report = ReportDesk(klachten).report(READER, YEAR)
    return dataclasses.replace(report, at=None, open_by_step=None)


def test_worker_erases_after_the_retention_period_and_nothing_of_the_member_is_left(
        klachten, worker, mail_folder):
    first = answered(klachten, ERASED_MEMBER, COMPLAINT_SENTENCE)
    klachten.clock.set(klachten.clock.now() + timedelta(days=2))
    later = [answered(klachten, member("Jan", "11111111111"), "Een andere klacht.", "ongegrond"),
             answered(klachten, member("Piet", "22222222222"), "Nog een klacht.")]
    first.advance(30)  # its reaction window ends: closed two days before the others
    erased = finish(first)
    later[0].advance(2)
    kept, held = (finish(harness) for harness in later)
    assert closed_at(klachten, kept) - closed_at(klachten, erased) == timedelta(days=2)
    Retention(klachten).hold(ADMIN, held, "Lopende rechtszaak")
    worker.run_once()  # the .eml files of every notice
    needles = needles_of(ERASED_MEMBER, COMPLAINT_SENTENCE)
    mails = scan_mail(mail_folder)
    assert any(ERASED_MEMBER["email"] in mail for mail in mails)
    assert scan_database(klachten, needles)
    before = figures(klachten)

    # 5 years and 1 day after the first closure = 5 years minus 1 day after the others.
    klachten.clock.set(closed_at(klachten, erased).replace(year=2031) + timedelta(days=1))
    worker.run_once()

    assert scan_database(klachten, needles) == []
    assert not any(needle.lower() in mail.lower() for mail in scan_mail(mail_folder)
                   for needle in needles)
    with pytest.raises(Conflict, match="gewist"):
        klachten.post.letter(erased, klachten.dossier(erased).notices[0].code)
    assert figures(klachten) == before
    info = klachten.dossier(erased)
    assert info.closed and info.outcome == "gegrond" and info.category
    assert info.audit[-1].action == "dossier gewist"
    assert info.audit[-1].details["regel"] == "bewaartermijn"
    # the dossier closed 5 years minus 1 day ago and the held one keep everything
    assert klachten.case(kept).data()["klager"]["voornaam"] == "Jan"
    assert klachten.case(held).data()["klager"]["voornaam"] == "Piet"
    data, _, diagram = klachten.diagram(erased)  # the diagram highlight still works
    assert data["klager"] is None and "dossier_afsluiten" in diagram.done
    assert not diagram.current and "afsluiten" in diagram.svg.lower()

    # a day later the second one is due as well; the held one never
    klachten.clock.set(klachten.clock.now() + timedelta(days=1))
    assert Retention(klachten).run(dry_run=True).due == [kept]
    result = Retention(klachten).run()
    assert result.erased == [kept] and result.held == [held]
    assert Retention(klachten).run().erased == []  # idempotent


def test_open_dossiers_are_never_erased(klachten, harness):
    harness.submit().admissible()
    klachten.clock.set(klachten.clock.now() + timedelta(days=365 * 10))
    assert Retention(klachten).run().erased == []
    assert klachten.case(harness.number).data()["klager"]["voornaam"] == "An"
    with pytest.raises(Conflict, match="nog open"):
        Retention(klachten).erase_on_request(ADMIN, harness.number, "verzoek van het lid")


def test_erasure_on_request_needs_a_reason_and_a_closed_unheld_dossier(klachten):
    number = closed_dossier(klachten, ERASED_MEMBER, COMPLAINT_SENTENCE)
    retention = Retention(klachten)
    with pytest.raises(ValidationFailed):
        retention.erase_on_request(ADMIN, number, "  ")
    with pytest.raises(Forbidden):
        retention.erase_on_request(MEDIATOR, number, "Verzoek van het lid (art. 17)")
    retention.hold(ADMIN, number, "Klacht bij de ombudsman")
    with pytest.raises(Conflict, match="blokkering"):
        retention.erase_on_request(ADMIN, number, "Verzoek van het lid (art. 17)")
    retention.release(ADMIN, number)
    retention.erase_on_request(ADMIN, number, "Verzoek van het lid (art. 17)")
    assert scan_database(klachten, needles_of(ERASED_MEMBER, COMPLAINT_SENTENCE)) == []
    last = klachten.dossier(number).audit[-1]
    assert (last.actor, last.details["regel"]) == ("bert", "verzoek")
    with pytest.raises(Conflict, match="al gewist"):
        retention.erase_on_request(ADMIN, number, "nogmaals")


def test_erasure_on_request_only_where_the_version_allows_it(klachten, processes_copy):
    import json
    settings_file = processes_copy / "instellingen.json"
    settings = json.loads(settings_file.read_text())
    settings["privacy"]["wissen_op_verzoek"] = False
    settings_file.write_text(json.dumps(settings))
    klachten.deploy(processes_copy)
    number = closed_dossier(klachten, ERASED_MEMBER, COMPLAINT_SENTENCE)
    with pytest.raises(Conflict, match="staat wissen op verzoek niet toe"):
        Retention(klachten).erase_on_request(ADMIN, number, "verzoek")


def test_several_workers_erase_each_dossier_once(klachten, database_url):
    from runner.procedure import open_klachten

    numbers = [closed_dossier(klachten, member(f"Lid{i}", f"3333333333{i}"), f"Klacht {i}.")
               for i in range(3)]
    klachten.clock.set(klachten.clock.now() + timedelta(days=365 * 5 + 3))
    runners = [open_klachten(database_url, clock="virtual") for _ in range(3)]
    results = []
    try:
        run_together(*[lambda r=r: results.append(Retention(r).run()) for r in runners])
    finally:
        for runner in runners:
            runner.close()
    erased = sorted(number for result in results for number in result.erased)
    assert erased == sorted(numbers)
    with transaction(klachten.factory) as session:
        entries = session.scalars(select(AuditEntry.dossier_id).where(
            AuditEntry.action == "dossier gewist")).all()
        assert len(entries) == 3
        versions = session.scalars(select(Instance.version)).all()
        assert all(version > 1 for version in versions)


def test_one_unreadable_dossier_does_not_stop_the_job(klachten):
    broken = closed_dossier(klachten, member("Kapot", "44444444444"), "Klacht A.")
    fine = closed_dossier(klachten, member("Goed", "55555555555"), "Klacht B.")
    with transaction(klachten.factory) as session:
        dossier_id = session.scalar(select(Dossier.id).where(Dossier.number == broken))
        session.scalar(select(Instance).where(Instance.dossier_id == dossier_id)).archive = (
            b"geen zlib")
    klachten.clock.set(klachten.clock.now() + timedelta(days=365 * 5 + 2))
    assert Retention(klachten).run().erased == [fine]
    with transaction(klachten.factory) as session:
        assert session.scalar(select(Dossier.erased_at).where(Dossier.number == broken)) is None


def test_a_broken_privacy_declaration_is_a_clear_model_error(klachten, processes_copy):
    import json

    from runner.bpmn.errors import ModelError
    from runner.privacy.retention import Policy

    settings_file = processes_copy / "instellingen.json"
    settings = json.loads(settings_file.read_text())
    settings["privacy"]["persoonsgegevens"].append({"wat": "zonder gegeven"})
    settings_file.write_text(json.dumps(settings))
    klachten.deploy(processes_copy)
    with pytest.raises(ModelError, match="persoonsgegevens"):
        Policy.of(klachten.latest_model())
