"""Tests for runner.design.lint: the shipped model is clean, and each kind of mistake is reported.

Every test copies ``processes/`` and breaks one thing. Which element is broken is looked up
in the copied diagram, so the tests keep working while the model grows.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest
from lxml import etree

from runner.definition.model import DIAGRAM, default_processes_dir
from runner.design.lint import Problem, lint
from runner.procedure import OPERATORS

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}


@pytest.fixture
def model(tmp_path: Path) -> Path:
    """A private copy of the shipped model folder."""
    target = tmp_path / "processes"
    shutil.copytree(default_processes_dir(), target)
    return target


def _diagram(folder: Path) -> etree._Element:
    return etree.fromstring((folder / DIAGRAM).read_bytes())


def _write_diagram(folder: Path, root: etree._Element) -> None:
    (folder / DIAGRAM).write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _replace_in_diagram(folder: Path, old: str, new: str) -> None:
    path = folder / DIAGRAM
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in the diagram"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _find(problems: list[Problem], file: str, element: str, fragment: str) -> Problem:
    for problem in problems:
        if problem.file == file and problem.element == element and fragment in problem.message:
            return problem
    raise AssertionError(
        f"no problem {file}: {element}: ...{fragment}... in:\n"
        + "\n".join(str(problem) for problem in problems)
    )


def test_shipped_model_is_clean() -> None:
    assert [str(problem) for problem in lint(default_processes_dir(), OPERATORS)] == []


def test_problem_renders_file_element_and_message() -> None:
    problem = Problem("klachtenprocedure.bpmn", "per_brief", "geen standaardpad")
    assert str(problem) == "klachtenprocedure.bpmn: per_brief: geen standaardpad"
    with pytest.raises(AttributeError):
        problem.message = "iets anders"  # type: ignore[misc]


def test_missing_notice_template(model: Path) -> None:
    task = _diagram(model).xpath(
        "//bpmn:serviceTask[.//spiffworkflow:serviceTaskOperator[@id='produce_notice']]",
        namespaces=NS,
    )[0]
    soort = task.xpath(".//spiffworkflow:parameter[@id='soort']/@value", namespaces=NS)[0]
    kind = ast.literal_eval(soort)
    (model / "notices" / "nl" / f"{kind}.txt").unlink()

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, task.get("id"), f"sjabloon notices/nl/{kind}.txt ontbreekt")
    _find(problems, f"notices/nl/{kind}.txt", "", "ontbreekt")


def test_unknown_operator(model: Path) -> None:
    task_id = _diagram(model).xpath(
        "//bpmn:serviceTask[.//spiffworkflow:serviceTaskOperator[@id='close_dossier']]/@id",
        namespaces=NS,
    )[0]
    _replace_in_diagram(model, 'id="close_dossier"', 'id="sluit_dossier"')

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, task_id, "onbekende operator 'sluit_dossier'")


def _first_form(folder: Path) -> tuple[str, str]:
    task = _diagram(folder).xpath(
        "//bpmn:userTask[.//spiffworkflow:property[@name='formJsonSchemaFilename']]",
        namespaces=NS,
    )[0]
    form = task.xpath(
        ".//spiffworkflow:property[@name='formJsonSchemaFilename']/@value", namespaces=NS
    )[0]
    return task.get("id"), form


def test_missing_form_file(model: Path) -> None:
    task_id, form = _first_form(model)
    (model / "forms" / form).unlink()

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, task_id, f"formulier forms/{form} ontbreekt")


def test_invalid_json_schema(model: Path) -> None:
    task_id, form = _first_form(model)
    (model / "forms" / form).write_text('{"type": 12}', encoding="utf-8")

    problems = lint(model, OPERATORS)

    _find(problems, f"forms/{form}", task_id, "geen geldig JSON Schema")


def test_user_task_without_form_property(model: Path) -> None:
    task_id, form = _first_form(model)
    _replace_in_diagram(
        model,
        f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}" />',
        "",
    )

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, task_id, "eigenschap formJsonSchemaFilename ontbreekt")


def test_forbidden_gateway_condition(model: Path) -> None:
    root = _diagram(model)
    flow = root.xpath("//bpmn:sequenceFlow[bpmn:conditionExpression]", namespaces=NS)[0]
    flow.xpath("bpmn:conditionExpression", namespaces=NS)[0].text = "__import__('os')"
    _write_diagram(model, root)

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, flow.get("sourceRef"), "__import__")


def test_gateway_without_default_flow(model: Path) -> None:
    root = _diagram(model)
    gateway = root.xpath("//bpmn:exclusiveGateway[@default]", namespaces=NS)[0]
    del gateway.attrib["default"]
    _write_diagram(model, root)

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, gateway.get("id"), "geen standaardpad")


def test_doctype_in_diagram(model: Path) -> None:
    text = (model / DIAGRAM).read_text(encoding="utf-8")
    declaration_end = text.index("?>") + 2
    (model / DIAGRAM).write_text(
        text[:declaration_end]
        + '\n<!DOCTYPE definitions [<!ENTITY x "y">]>'
        + text[declaration_end:],
        encoding="utf-8",
    )

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, "", "DOCTYPE is niet toegestaan")


def test_malformed_xml(model: Path) -> None:
    _replace_in_diagram(model, "</bpmn:process>", "</bpmn:proces>")

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, "", "geen geldige XML")


def _timer(folder: Path, event_tag: str) -> tuple[etree._Element, etree._Element, str]:
    """The diagram, the first timer expression on a ``event_tag`` event, and that event's id."""
    root = _diagram(folder)
    expression = root.xpath(
        f"//bpmn:{event_tag}/bpmn:timerEventDefinition/*[self::bpmn:timeDate"
        " or self::bpmn:timeDuration or self::bpmn:timeCycle]",
        namespaces=NS,
    )[0]
    return root, expression, expression.getparent().getparent().get("id")


# A boundary timer is its own task spec; a timer after an event-based gateway is kept by
# the gateway in SpiffWorkflow, and must still be reported on the catch event.
EVENT_TAGS = ["boundaryEvent", "intermediateCatchEvent"]


@pytest.mark.parametrize("event_tag", EVENT_TAGS)
@pytest.mark.parametrize("bare", ["P8D", "R/P21D", "2025-03-01T09:00:00"])
def test_timer_value_without_quotes(model: Path, event_tag: str, bare: str) -> None:
    root, expression, event_id = _timer(model, event_tag)
    expression.text = bare
    _write_diagram(model, root)

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, event_id, "tijdexpressie moet tussen aanhalingstekens")


@pytest.mark.parametrize("event_tag", EVENT_TAGS)
def test_timer_literal_must_parse(model: Path, event_tag: str) -> None:
    root, expression, event_id = _timer(model, event_tag)
    expression.text = "'binnen acht dagen'"
    _write_diagram(model, root)

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, event_id, "'binnen acht dagen' is geen geldige")


@pytest.mark.parametrize("event_tag", EVENT_TAGS)
def test_forbidden_timer_expression(model: Path, event_tag: str) -> None:
    root, expression, event_id = _timer(model, event_tag)
    expression.text = "().__class__"
    _write_diagram(model, root)

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, event_id, "tijdexpressie: Expressie geweigerd")


def test_invalid_due_date_expression(model: Path) -> None:
    root = _diagram(model)
    prop = root.xpath("//spiffworkflow:property[@name='vervaldatum']", namespaces=NS)[0]
    task_id = prop.getparent().getparent().getparent().get("id")
    prop.set("value", "termijnen[")
    _write_diagram(model, root)

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, task_id, "eigenschap vervaldatum")


def test_invalid_service_task_parameter(model: Path) -> None:
    root = _diagram(model)
    parameter = root.xpath("//spiffworkflow:parameter", namespaces=NS)[0]
    task_id = parameter.xpath("ancestor::bpmn:serviceTask/@id", namespaces=NS)[0]
    parameter.set("value", "open('/etc/passwd')")
    _write_diagram(model, root)

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, task_id, f"parameter '{parameter.get('id')}'")


def test_all_problems_are_reported(model: Path) -> None:
    _, form = _first_form(model)
    (model / "forms" / form).unlink()
    _replace_in_diagram(model, 'id="close_dossier"', 'id="sluit_dossier"')

    problems = lint(model, OPERATORS)

    assert any("onbekende operator" in problem.message for problem in problems)
    assert any("ontbreekt" in problem.message for problem in problems)
    assert len(problems) == len(set(problems))


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_cli_lint_fails_without_a_template_for_a_notice_kind(model: Path, language: str) -> None:
    """`klachten lint` exits 1 when a kind the diagram produces has no template in nl or fr."""
    from click.testing import CliRunner

    from runner.cli import main

    (model / "notices" / language / "antwoord_nationaal.txt").unlink()

    result = CliRunner().invoke(main, ["lint", str(model)])

    assert result.exit_code == 1
    assert f"sjabloon notices/{language}/antwoord_nationaal.txt ontbreekt" in result.stderr
    assert "nationaal_antwoord_versturen" in result.stderr


def test_letter_labels_missing(model: Path) -> None:
    labels = model / "notices" / "fr" / "labels.json"
    labels.write_text(labels.read_text(encoding="utf-8").replace('"berichtcode"', '"code"'),
                      encoding="utf-8")

    problems = lint(model, OPERATORS)

    _find(problems, "notices/fr/labels.json", "", "brief.berichtcode ontbreekt")


def test_invalid_letter_property(model: Path) -> None:
    _replace_in_diagram(model, "value=\"ontvangstmelding['code']\"", 'value="__import__(1)"')

    problems = lint(model, OPERATORS)

    _find(problems, DIAGRAM, "ontvangstmelding_posten", "eigenschap brief")
