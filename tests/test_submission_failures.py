"""No complaint is lost whatever fails while it is submitted (issue 23, item 2): a failure is
injected at every step the model runs when a complaint arrives (numbering, the deadline
rules, the deadlines, the acknowledgement, the admissibility pre-check), through every way
in (the public form, the API, ``klachten submit``, the mediator's intake). Each time the
complaint is stored with a number, the failure is an incident the beheerder sees on
/beheer/processen, and after the fix a retry on the dossier page carries the dossier on."""

from __future__ import annotations

import html
import json
import re
import shutil

import pytest
from click.testing import CliRunner
from conftest import Staff, complaint
from sqlalchemy import func, select

from runner import operators
from runner.accounts.users import Accounts
from runner.bpmn.store import transaction
from runner.cli import main
from runner.definition.model import default_processes_dir, read_folder
from runner.store import Dossier


def _operator_fails(name: str, only: str | None = None):
    """Make operator ``name`` raise (for ``soort`` ``only`` when given); returns the undo."""
    original = operators.OPERATORS[name]

    def broken(ctx, task, **parameters):
        if only is None or parameters.get("soort") == only:
            raise RuntimeError(f"ingespoten fout in {name}")
        return original(ctx, task, **parameters)

    return original, broken


# step -> (failing element, how to break it: an operator, or a DMN input typo)
STEPS = {
    "nummering": ("registratie", ("register_dossier", None)),
    "termijnregels": ("termijnen_bepalen", ("termijnen.dmn", '<outputEntry id="r1_d"><text>')),
    "termijnen": ("termijnen_berekenen", ("compute_deadlines", None)),
    "ontvangstmelding": ("ontvangstmelding", ("produce_notice", "ontvangstmelding")),
    "voorafgaande toets": ("ontvankelijkheid_voorstel",
                           ("ontvankelijkheid.dmn", "<text>bool(klager")),
}


def _via_form(client, staff, klachten, tmp_path, monkeypatch) -> str:
    number, code = staff.file_complaint()
    assert code
    return number


def _via_api(client, staff, klachten, tmp_path, monkeypatch) -> str:
    token = Accounts(klachten).new_token("mia")
    response = client.post("/api/v1/klachten", json=complaint(kanaal="telefoon"),
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()["dossiernummer"]


def _via_cli(client, staff, klachten, tmp_path, monkeypatch) -> str:
    path = tmp_path / "klacht.json"
    path.write_text(json.dumps(complaint()), encoding="utf-8")
    result = CliRunner().invoke(main, ["submit", str(path)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "incident in dossier" in result.stderr
    return re.search(r"dossier (\S+)", result.stdout).group(1)


def _via_intake(client, staff, klachten, tmp_path, monkeypatch) -> str:
    staff.login("mia")
    response = staff.post("/bemiddeling/intake", {
        "kanaal": "brief", "ontvangen_op": "2026-03-02", "taal": "nl",
        "categorie": "terugbetaling", "omschrijving": "Een brief over de terugbetaling."})
    assert response.status_code == 302, response.get_data(as_text=True)
    staff.post("/logout", {}, form_page="/bemiddeling/taken")
    return response.headers["Location"].rsplit("/", 1)[1]


ENTRIES = {"formulier": _via_form, "api": _via_api, "cli": _via_cli, "intake": _via_intake}


@pytest.mark.parametrize("entry", sorted(ENTRIES))
@pytest.mark.parametrize("step", sorted(STEPS))
def test_a_failure_at_any_step_of_submission_keeps_the_complaint(
        step, entry, client, accounts, klachten, tmp_path, monkeypatch, database_url):
    element, (what, detail) = STEPS[step]
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    staff = Staff(client)
    if what.endswith(".dmn"):
        folder = tmp_path / "kapot"
        shutil.copytree(default_processes_dir(), folder)
        path = folder / what
        path.write_text(path.read_text(encoding="utf-8").replace(
            detail, detail.replace("<text>", "<text>x_")), encoding="utf-8")
        klachten.deploy_unchecked(read_folder(folder))
        fixed = read_folder(default_processes_dir())
    else:
        original, broken = _operator_fails(what, detail)
        monkeypatch.setitem(operators.OPERATORS, what, broken)

    number = ENTRIES[entry](client, staff, klachten, tmp_path, monkeypatch)

    assert re.fullmatch(r"KL-2026-\d{5}", number)
    with transaction(klachten.factory) as session:
        assert session.scalar(select(func.count(Dossier.id))) == 1
    [incident] = klachten.dossier(number).incidents
    assert incident.element == element and incident.resolved_at is None

    staff.login("bert")
    listed = html.unescape(staff.get("/beheer/processen").get_data(as_text=True))
    assert "Open incidenten" in listed and number in listed and element in listed

    if what.endswith(".dmn"):  # the fix: deploy the good model, move the dossier to it
        from runner.design.dossier_migration import DossierMigrations, Selection

        version, _ = klachten.deploy_unchecked(fixed)
        DossierMigrations(klachten).migrate(version, Selection(numbers=(number,)), "bert")
    else:
        monkeypatch.setitem(operators.OPERATORS, what, original)
    retried = staff.post(f"/bemiddeling/dossiers/{number}/opnieuw", {},
                         form_page=f"/bemiddeling/dossiers/{number}")
    assert retried.status_code in (200, 302), retried.get_data(as_text=True)
    info = klachten.dossier(number)
    assert all(i.resolved_at for i in info.incidents), info.incidents
    assert [t.name for t in klachten.tasks(number)][-1:] == ["ontvankelijkheid_beoordelen"]
    assert "Geen open incidenten." in staff.get("/beheer/processen").get_data(as_text=True)


def test_the_incident_list_is_for_the_beheerder_only(staff, klachten):
    staff.login("mia")
    assert staff.get("/beheer/processen").status_code == 403
