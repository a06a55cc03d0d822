"""Each designer mistake of issue 11 is caught before deploy: a broken copy of processes/
gives the exact lint message, ``klachten deploy`` refuses it (exit 1, nothing stored) and so
does the admin page."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from runner.bpmn.errors import ModelRejected
from runner.bpmn.store import Definition, transaction
from runner.cli import main
from runner.definition.model import default_processes_dir
from runner.design.lint import errors, lint
from runner.operators import OPERATORS

BPMN = "klachtenprocedure.bpmn"


def _edit(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _no_default_per_brief(folder: Path) -> None:
    _edit(folder, BPMN, ' default="f_brief_nee"', "")
    _edit(folder, BPMN,
          '<bpmn:sequenceFlow id="f_brief_nee" name="nee" sourceRef="per_brief" '
          'targetRef="na_ontvangstmelding" />',
          '<bpmn:sequenceFlow id="f_brief_nee" name="nee" sourceRef="per_brief" '
          'targetRef="na_ontvangstmelding"><bpmn:conditionExpression>'
          "ontvangstmelding['kanaal'] == 'email'</bpmn:conditionExpression>"
          "</bpmn:sequenceFlow>")


def _working_day_interval(folder: Path) -> None:
    _edit(folder, "termijnen.dmn", '<outputEntry id="r3_e"><text>"kalenderdagen"</text>',
          '<outputEntry id="r3_e"><text>"werkdagen"</text>')


MISTAKES = {
    "import in een expressie": (
        lambda f: _edit(f, BPMN, "ontvangstmelding['kanaal'] == 'brief'",
                        "__import__('os').system('id') == 0"),
        BPMN, "per_brief", "voorwaarde naar 'ontvangstmelding_posten'"),
    "tikfout in een DMN-invoer": (
        lambda f: _edit(f, "ontvankelijkheid.dmn", "<text>categorie</text>",
                        "<text>catgorie</text>"),
        BPMN, "ontvankelijkheid_voorstel", "(beslissingstabel in ontvankelijkheid.dmn)"),
    "onbekende plaatshouder in een sjabloon": (
        lambda f: _edit(f, "notices/nl/statusbericht.txt", "{{ dossiernummer }}",
                        "{{ aanspreeknaam }}"),
        BPMN, "statusbericht", "'aanspreeknaam' is undefined"),
    "berekende timer die geen duur is": (
        lambda f: _edit(f, BPMN, "'R/' + termijnen['statusbericht']['interval']",
                        "'R/'+str(termijnen['statusbericht']['dagen'])+'D'"),
        BPMN, "statusbericht_timer", "Invalid isoformat string: '21D'"),
    "lane zonder rol": (
        lambda f: _edit(f, BPMN, 'name="Klachtenbemiddelaar"', 'name="Bemiddelaar"'),
        BPMN, "lane_klachtenbemiddelaar", "lane 'Bemiddelaar' staat niet in rollen.json"),
    "onbekende plaatshouder in het dossiernummer": (
        lambda f: _edit(f, "instellingen.json", "KL-{jaar}", "KL-{jaartal}"),
        "instellingen.json", "dossiernummer_formaat", "onbekende plaatshouder {jaartal}"),
    "attribuut in het dossiernummer": (
        lambda f: _edit(f, "instellingen.json", "KL-{jaar}", "KL-{jaar.__class__.__mro__}"),
        "instellingen.json", "dossiernummer_formaat",
        "onbekende plaatshouder {jaar.__class__.__mro__}"),
    "dossiernummer met spatie en kleine letters": (
        lambda f: _edit(f, "instellingen.json", "KL-{jaar}", "kl {jaar}"),
        "instellingen.json", "dossiernummer_formaat", "geeft nummers zoals 'kl 2026-00001'"),
    "formulierveld van het type number": (
        lambda f: _edit(f, "forms/onderzoek.json",
                        '"betrokken_dienst": {"type": "string"',
                        '"betrokken_dienst": {"type": "number"'),
        "forms/onderzoek.json", "onderzoek", "veld 'betrokken_dienst' heeft type 'number'"),
    "stroom naar een ontbrekend element": (
        lambda f: _edit(f, BPMN, 'sourceRef="na_ontvangstmelding" '
                                 'targetRef="ontvankelijkheid_voorstel"',
                        'sourceRef="na_ontvangstmelding" targetRef="ontvankelijkheid_voorstl"'),
        BPMN, "f_merge_pre", "de stroom gaat naar 'ontvankelijkheid_voorstl', maar dat "
                             "element bestaat niet"),
    "gateway die niet elk geval dekt": (
        _no_default_per_brief, BPMN, "per_brief", "heeft geen standaardpad"),
    "werkdagen op een interval": (
        _working_day_interval, BPMN, "statusbericht_timer",
        "het interval 'statusbericht' telt in werkdagen"),
}


@pytest.fixture(params=sorted(MISTAKES))
def broken(request, tmp_path) -> tuple[Path, str, str, str]:
    folder = tmp_path / "processes"
    shutil.copytree(default_processes_dir(), folder)
    edit, file, element, fragment = MISTAKES[request.param]
    edit(folder)
    return folder, file, element, fragment


def test_lint_names_file_element_and_mistake(broken) -> None:
    folder, file, element, fragment = broken
    problems = errors(lint(folder, OPERATORS))
    assert any(p.file == file and p.element == element and fragment in p.message
               for p in problems), "\n".join(map(str, problems))


def test_deploy_refuses_and_stores_nothing(broken, klachten) -> None:
    folder, file, element, fragment = broken
    with pytest.raises(ModelRejected) as refused:
        klachten.deploy(folder)
    assert any(f"{file}: {element}: " in str(p) and fragment in str(p)
               for p in refused.value.problems)
    with transaction(klachten.factory) as session:
        assert session.scalar(select(func.count(Definition.id))) == 1


def test_cli_deploy_prints_every_problem_and_exits_1(broken, klachten, database_url,
                                                     monkeypatch) -> None:
    folder, file, element, fragment = broken
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    result = CliRunner().invoke(main, ["deploy", str(folder)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any(line.startswith(f"{file}: {element}: ") and fragment in line for line in lines)
    assert lines[-1].startswith("Error: procesmodel niet gedeployed, er is niets veranderd:")


def test_admin_page_refuses_and_lists_every_problem(broken, staff, klachten,
                                                    monkeypatch) -> None:
    folder, file, element, fragment = broken
    monkeypatch.setattr("runner.admin.default_processes_dir", lambda: folder)
    staff.login("bert")
    refused = staff.post("/beheer/processen/deploy", {}, form_page="/beheer/processen")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Niet gedeployed: het procesmodel heeft fouten." in page
    items = [html.unescape(item) for item in re.findall(r"<li>(.*?)</li>", page)]
    assert any(f"{file}: {element}: " in item and fragment in item for item in items)
    with transaction(klachten.factory) as session:
        assert session.scalar(select(func.count(Definition.id))) == 1
