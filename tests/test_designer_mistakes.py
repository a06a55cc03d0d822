"""Each designer mistake of issues 11 and 23 is caught before deploy: a broken copy of processes/
gives the exact lint message, ``klachten deploy`` refuses it (exit 1, nothing stored) and so
does the admin page."""

from __future__ import annotations

import html
import re
import shutil
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import complaint
from sqlalchemy import func, select

from runner.bpmn.errors import ModelRejected
from runner.bpmn.store import Definition, transaction
from runner.cli import main
from runner.definition.model import default_processes_dir
from runner.design.lint import errors, lint
from runner.procedure import OPERATORS
from runner.store import Dossier

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


def _unclassified_field(folder: Path) -> None:
    _edit(folder, "forms/onderzoek.json", '"properties": {',
          '"properties": {"notitie": {"type": "string", "title": "Notitie", '
          '"x-widget": "textarea"}, ')


_ONDERZOEK_SHAPE = re.compile(r'<bpmndi:BPMNShape id="onderzoek_di".*?</bpmndi:BPMNShape>',
                              re.S)


def _redraw(folder: Path, change) -> None:
    path = folder / BPMN
    text, count = _ONDERZOEK_SHAPE.subn(change, path.read_text(encoding="utf-8"))
    assert count == 1
    path.write_text(text, encoding="utf-8")


def _drawn_in_another_lane(folder: Path) -> None:
    """The shape of "onderzoek" moved into the national mediator's lane (y 600-860)."""
    _redraw(folder, lambda shape: re.sub(r' y="\d+"', ' y="680"', shape[0]))


def _not_drawn(folder: Path) -> None:
    _redraw(folder, lambda shape: "")


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
    "tikfout in een berichtnaam": (
        lambda f: _edit(f, BPMN, 'name="klager_niet_akkoord"', 'name="klager_niet_akord"'),
        BPMN, "niet_akkoord", "wacht op bericht 'klager_niet_akord', maar niemand stuurt"),
    "statustimer aan de verkeerde taak": (
        lambda f: _edit(f, BPMN, 'attachedToRef="onderzoek"',
                        'attachedToRef="gemotiveerd_antwoord"'),
        BPMN, "onderzoek", "belooft bij 'Klacht analyseren en onderzoeken' een statusbericht "
                           "om de {statusbericht.dagen} dagen, maar er hangt geen herhalende"),
    "statusinterval van 0 dagen": (
        lambda f: _edit(f, "termijnen.dmn", '<outputEntry id="r3_d"><text>21</text>',
                        '<outputEntry id="r3_d"><text>0</text>'),
        BPMN, "statusbericht_timer", "het interval 'statusbericht' is 0 dagen"),
    "negatieve termijn": (
        lambda f: _edit(f, "termijnen.dmn", '<outputEntry id="r4_d"><text>45</text>',
                        '<outputEntry id="r4_d"><text>-45</text>'),
        "termijnen.dmn", "r_antwoord", "'dagen' is -45: een termijn telt een geheel aantal"),
    "taak buiten elke lane": (
        lambda f: _edit(f, BPMN, "<bpmn:flowNodeRef>onderzoek</bpmn:flowNodeRef>", ""),
        BPMN, "onderzoek", "staat in geen enkele lane"),
    "taak getekend in een andere lane": (
        _drawn_in_another_lane, BPMN, "onderzoek",
        "is getekend in lane 'Nationale klachtenbemiddelaar', maar het model zet het in lane "
        "'Klachtenbemiddelaar'"),
    "taak niet getekend": (
        _not_drawn, BPMN, "onderzoek", "is niet getekend (geen BPMNShape/BPMNEdge"),
    "taak zonder naam": (
        lambda f: _edit(f, BPMN, 'name="Gemotiveerd antwoord geven"', 'name=""'),
        BPMN, "gemotiveerd_antwoord", "element zonder naam (bpmnlint: label-required)"),
    "tikfout in een plaatshouder van de statuspagina": (
        lambda f: _edit(f, "statuspagina.json", "{statusbericht.dagen}", "{statusbericht.dag}"),
        "statuspagina.json", "stappen.4.nl.uitleg", "onbekende plaatshouder {statusbericht.dag}"),
    "enkele accolades in een bericht": (
        lambda f: _edit(f, "notices/fr/statusbericht.txt", "{{ dossiernummer }}",
                        "{dossiernummer}"),
        "notices/fr/statusbericht.txt", "regel 1", "{dossiernummer} wordt letterlijk afgedrukt"),
    "tikfout in een DMN-uitvoer": (
        lambda f: _edit(f, "ontvankelijkheid.dmn", '<text>"geen_verband"</text>',
                        '<text>"geen verband"</text>'),
        "ontvankelijkheid.dmn", "r_geen_verband",
        "uitvoer \"geen verband\" (kolom 'reden') is geen keuze van het formulierveld 'reden'"),
    "reden zonder label in het bericht": (
        lambda f: _edit(f, "forms/ontvankelijkheid_beoordelen.json",
                        '"reeds_behandeld", "andere"]', '"reeds_behandeld", "verjaard", "andere"]'),
        "notices/fr/labels.json", "reden", "code 'verjaard' (veld 'reden', gedrukt in "
                                            "notices/fr/onontvankelijkheid.txt) heeft geen label"),
    "code zonder label in het bericht": (
        lambda f: _edit(f, "notices/nl/antwoord.txt", "{{ antwoord.uitkomst | uitkomst }}",
                        "{{ antwoord.uitkomst }}"),
        "notices/nl/antwoord.txt", "uitkomst", "drukt de code van 'uitkomst' af zonder label"),
    "dossiernummer zonder jaar": (
        lambda f: _edit(f, "instellingen.json", "KL-{jaar}-{volgnummer:05d}",
                        "ZF.{volgnummer:06d}"),
        "instellingen.json", "dossiernummer_formaat", "bevat geen {jaar}: het volgnummer begint "
                                                      "elk jaar opnieuw bij 1"),
    "formulierveld niet in het verwerkingsregister": (
        _unclassified_field, "forms/onderzoek.json", "notitie",
        "veld 'onderzoek.notitie' staat niet in het verwerkingsregister"),
    "hernoemd resultaat dat de rapporten lezen": (
        lambda f: _edit(f, BPMN, '<spiffworkflow:property name="resultaat" value="antwoord" />',
                        '<spiffworkflow:property name="resultaat" value="eerste_antwoord" />'),
        "instellingen.json", "rapportgegevens.antwoord",
        "de rapporten lezen 'antwoord' uit het procesgegeven 'antwoord', maar geen taak"),
    "negatieve bewaartermijn": (
        lambda f: _edit(f, "instellingen.json", '"bewaartermijn_jaren": 5',
                        '"bewaartermijn_jaren": -1'),
        "instellingen.json", "bewaartermijn_jaren", "moet een geheel aantal jaren zijn van 1 tot "
                                                    "100 (nu: -1)"),
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


def test_a_year_less_number_format_is_refused_and_cannot_lose_a_complaint(klachten, tmp_path):
    """Issue 23: with ``ZF.{volgnummer:06d}`` the first complaint of 4 January got the number
    of last year's first dossier (UNIQUE on dossiers.number, a traceback, the complaint
    lost). Deploy refuses that format; deployed anyway (without lint), the complaint is kept,
    numbered the default way, with an incident a person can see."""
    from runner.definition.model import read_folder

    folder = tmp_path / "processes"
    shutil.copytree(default_processes_dir(), folder)
    _edit(folder, "instellingen.json", "KL-{jaar}-{volgnummer:05d}", "ZF.{volgnummer:06d}")
    with pytest.raises(ModelRejected, match=r"bevat geen \{jaar\}"):
        klachten.deploy(folder)
    klachten.deploy_unchecked(read_folder(folder))
    assert klachten.submit(complaint()).dossier_number == "ZF.000001"
    klachten.clock.set(datetime.fromisoformat("2027-01-04T09:00:00+01:00"))
    kept = klachten.submit(complaint())
    assert kept.dossier_number == "KL-2027-00002" and kept.access_code
    info = klachten.dossier(kept.dossier_number)
    [incident] = info.incidents
    assert incident.element == "registratie" and incident.resolved_at is None
    assert "dossiernummer ZF.000001 bestaat al" in incident.error
    with transaction(klachten.factory) as session:
        assert session.scalar(select(func.count(Dossier.id))) == 2


def test_the_shipped_format_numbers_the_new_year_from_one(klachten):
    klachten.submit(complaint())
    klachten.clock.set(datetime.fromisoformat("2026-12-31T23:30:00+01:00"))
    assert klachten.submit(complaint()).dossier_number == "KL-2026-00002"
    klachten.clock.set(datetime.fromisoformat("2027-01-01T00:10:00+01:00"))
    assert klachten.submit(complaint()).dossier_number == "KL-2027-00001"
