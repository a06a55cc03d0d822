"""No complaint is ever lost, and a model that fails at run time gives an incident, never a
traceback: a broken model deployed anyway (``deploy_unchecked``, bypassing the lint) is run
through the real entry points."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from conftest import Harness, complaint
from sqlalchemy import func, select
from test_designer_mistakes import BPMN, _edit, _no_default_per_brief

from runner.bpmn.store import transaction
from runner.definition.model import default_processes_dir, read_folder
from runner.store import Dossier


def _deploy_broken(klachten, tmp_path: Path, *edit) -> None:
    folder = tmp_path / "kapot"
    shutil.copytree(default_processes_dir(), folder)
    edit[0](folder) if len(edit) == 1 else _edit(folder, *edit)
    klachten.deploy_unchecked(read_folder(folder))


def test_a_phone_complaint_without_contact_is_not_lost(klachten, tmp_path):
    """The gateway "Per brief?" covers e-mail and letter only: an anonymous phone complaint
    made the engine fail while starting the dossier, and the complaint was gone."""
    _deploy_broken(klachten, tmp_path, _no_default_per_brief)
    result = klachten.submit(complaint(klager={"voornaam": "Jan"}, kanaal="telefoon"))
    assert result.dossier_number.startswith("KL-2026-") and result.access_code
    info = klachten.dossier(result.dossier_number)
    [incident] = info.incidents
    assert incident.element == "per_brief" and incident.resolved_at is None
    assert "No conditions satisfied for per_brief" in incident.error
    assert info.step == "Incident: Per brief?"
    with transaction(klachten.factory) as session:
        assert session.scalar(select(func.count(Dossier.id))) == 1
    assert [n.kind for n in info.notices] == ["ontvangstmelding"]


def test_a_model_that_fails_before_numbering_still_numbers_the_dossier(klachten, tmp_path):
    _deploy_broken(klachten, tmp_path, "instellingen.json", "KL-{jaar}", "KL-{jaartal}")
    result = klachten.submit(complaint())
    assert result.dossier_number == "KL-2026-00001" and result.access_code
    [incident] = klachten.dossier(result.dossier_number).incidents
    assert incident.element == "registratie" and "{jaartal}" in incident.error


def test_a_crash_at_admissibility_is_an_incident_and_keeps_the_input(klachten, tmp_path):
    """A computed timer expression that is no duration: completing admissibility raised a
    traceback (a 500 on the web) and the dossier stayed at step 3."""
    _deploy_broken(klachten, tmp_path, BPMN, "'R/' + termijnen['statusbericht']['interval']",
                   "'R/'+str(termijnen['statusbericht']['dagen'])+'D'")
    case = Harness(klachten).submit()
    case.complete("ontvankelijkheid_beoordelen", {"ontvankelijk": "ja"})
    info = case.info
    [incident] = info.incidents
    assert incident.element == "statusbericht_timer"
    assert "Invalid isoformat string: '21D'" in incident.error
    assert "Incident: Statusinterval" in info.step
    assert klachten.case(case.number).data()["ontvankelijkheid"] == {"ontvankelijk": "ja"}
    assert [t.name for t in case.open_tasks()] == ["onderzoek"]
    # retried on the same broken version: an incident again, still no traceback
    assert klachten.retry(case.number, "beheerder") == 1
    assert [i.resolved_at is None for i in case.info.incidents] == [False, True]


def test_the_web_form_of_a_crashing_task_is_no_500(klachten, tmp_path, staff):
    _deploy_broken(klachten, tmp_path, BPMN, "'R/' + termijnen['statusbericht']['interval']",
                   "'R/'+str(termijnen['statusbericht']['dagen'])+'D'")
    case = Harness(klachten).submit()
    task = case.task("ontvankelijkheid_beoordelen")
    staff.login("mia")
    form = f"/bemiddeling/taken/{task.id}"
    page = staff.get(form).get_data(as_text=True)
    assert "ontvankelijk" in page
    response = staff.post(form, {"ontvankelijk": "ja", "versie": _version(page)})
    assert response.status_code == 302
    dossier = staff.get(f"/bemiddeling/dossiers/{case.number}").get_data(as_text=True)
    assert "Invalid isoformat string" in dossier


def _version(page: str) -> str:
    found = re.search(r'name="versie" value="(\d+)"', page)
    assert found, "geen versie in het formulier"
    return found.group(1)



def test_the_crashed_dossier_carries_on_after_migrating_to_a_fixed_version(klachten,
                                                                           tmp_path):
    from runner.design.dossier_migration import DossierMigrations, Selection

    _deploy_broken(klachten, tmp_path, BPMN, "'R/' + termijnen['statusbericht']['interval']",
                   "'R/'+str(termijnen['statusbericht']['dagen'])+'D'")
    case = Harness(klachten).submit()
    case.complete("ontvankelijkheid_beoordelen", {"ontvankelijk": "ja"})
    assert case.info.incidents and case.info.process_version == 2
    report = DossierMigrations(klachten).migrate(1, Selection(numbers=(case.number,)), "bert")
    assert [row["resultaat"] for row in report["dossiers"]] == ["gemigreerd"]
    assert klachten.retry(case.number, "bert") == 1
    info = case.info
    assert info.process_version == 1 and "Incident" not in info.step
    assert all(i.resolved_at for i in info.incidents)
    assert case.counts_at([20, 21.5]) == [0, 1]  # the status notices run again


def test_the_kept_complaint_carries_on_after_migrating_to_a_fixed_version(klachten,
                                                                          tmp_path):
    from runner.design.dossier_migration import DossierMigrations, Selection

    _deploy_broken(klachten, tmp_path, _no_default_per_brief)
    number = klachten.submit(complaint(klager={"voornaam": "Jan"},
                                       kanaal="telefoon")).dossier_number
    report = DossierMigrations(klachten).migrate(1, Selection(numbers=(number,)), "bert")
    assert [row["resultaat"] for row in report["dossiers"]] == ["gemigreerd"]
    assert klachten.retry(number, "bert") == 1
    assert [t.name for t in klachten.tasks(number)] == ["ontvankelijkheid_beoordelen"]
    assert all(i.resolved_at for i in klachten.dossier(number).incidents)


def test_the_command_line_names_the_incident_after_completing(klachten, tmp_path,
                                                              database_url, monkeypatch):
    from click.testing import CliRunner

    from runner.accounts.users import Accounts
    from runner.cli import main

    _deploy_broken(klachten, tmp_path, BPMN, "'R/' + termijnen['statusbericht']['interval']",
                   "'R/'+str(termijnen['statusbericht']['dagen'])+'D'")
    Accounts(klachten).add("mia", ["klachtenbemiddelaar"], "een-lang-wachtwoord-voor-mia")
    case = Harness(klachten).submit()
    data = tmp_path / "o.json"
    data.write_text('{"ontvankelijk": "ja"}', encoding="utf-8")
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["complete", case.task("ontvankelijkheid_beoordelen").id,
                                       "--data", str(data), "--user", "mia"])
    assert result.exit_code == 0
    assert f"taak voltooid in dossier {case.number}" in result.stdout
    assert result.stderr.startswith(f"incident in dossier {case.number}: statusbericht_timer: ")
    assert "uw invoer is bewaard" in result.stderr
