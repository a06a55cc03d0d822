"""Static checks of a process model folder (``processes/``) before it is deployed.

:func:`lint` reads the folder and reports every problem it finds, each with the file and the
id of the BPMN element concerned; it never stops at the first one. Checked:

* every ``.bpmn``/``.dmn`` file is well-formed XML without a DOCTYPE
  (:func:`runner.bpmn.safe_xml.parse_xml`), every ``.json`` file is valid JSON;
* the model parses (:func:`runner.definitions.parse`), DMN tables included;
* every service task names an operator of the given registry;
* every user task names a form (``formJsonSchemaFilename``) that exists in ``forms/`` and
  is a valid JSON Schema; every form file is a valid JSON Schema;
* every notice kind used by a ``produce_notice`` task has a template in every language,
  the two languages have the same templates, and every template is valid Jinja syntax;
  every ``labels.json`` has the labels of a PDF letter (``brief``);
* every expression compiles under the restricted policy (:mod:`runner.bpmn.expressions`):
  gateway conditions, service task parameters, the ``vervaldatum`` and ``brief`` properties
  of user tasks, scripts, conditional events and timer expressions; a timer given as a bare ISO 8601
  value (``P8D`` instead of ``'P8D'``) is reported, and a literal timer value must parse;
* an exclusive gateway with more than one outgoing flow has a default flow;
* every sequence flow connects elements that exist (else the flow is named, before the
  engine's own message);
* every lane with user tasks has a role in ``rollen.json``, every lane there exists in the
  diagram and every role there is a known role;
* ``dossiernummer_formaat`` uses only ``{jaar}`` and ``{volgnummer}`` and gives numbers
  the status page and the dossier URLs find;
* every field of a user task's form has a type the web form can render;
* every code people see (categories, steps, user tasks, form choices) has a label in
  ``labels.json`` in every language (:func:`runner.labels.missing_labels`).

Then, when the static checks found no error, the model is run (:mod:`runner.model_run`):
every path, with sample data, on a virtual clock, in a scratch database.

Element is ``""`` for a problem that concerns a whole file. A problem is an error (deploy is
refused) or a warning (shown, not blocking).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from jsonschema.exceptions import SchemaError
from jsonschema.validators import validator_for
from lxml import etree
from SpiffWorkflow.bpmn.specs.event_definitions.conditional import ConditionalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.specs.mixins.exclusive_gateway import ExclusiveGateway
from SpiffWorkflow.specs.WorkflowSpec import WorkflowSpec
from SpiffWorkflow.spiff.specs.defaults import ServiceTask, UserTask

from .accounts import ROLES, ROLES_FILE
from .bpmn.definitions import FORMS_DIR, content_hash
from .bpmn.errors import ExpressionRejected, ModelError
from .bpmn.expressions import check_expression
from .bpmn.safe_xml import parse_xml
from .definitions import LABELS, LANGUAGES, NOTICES_DIR, SETTINGS, Model, parse, read_folder
from .labels import missing_labels
from .letters import letter_labels
from .operators import dossier_number_problem

__all__ = ["ERROR", "NOTICE_OPERATOR", "WARNING", "Problem", "errors", "lint", "lint_files"]

NOTICE_OPERATOR = "produce_notice"
NOTICE_KIND_PARAMETER = "soort"
FORM_PROPERTY = "formJsonSchemaFilename"
DUE_DATE_PROPERTY = "vervaldatum"
LETTER_PROPERTY = "brief"  # a print-and-post task: the notice code of its letter

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NO_DEFAULT_FLOW = ("exclusieve gateway met meer dan één uitgaande stroom heeft geen "
                   "standaardpad: klopt geen enkele voorwaarde, dan loopt het dossier vast; "
                   "duid één stroom aan als standaardpad (default)")
_NOTICE_KIND = re.compile(r"[a-z0-9][a-z0-9_]*")
# Characters of an ISO 8601 date, duration or repeating interval written without quotes.
_ISO_CHARACTERS = re.compile(r"[0-9A-Za-z:+\-/.,]+")
_ISO_START = re.compile(r"(R\d*/)?(P[\dT]|\d{4}-?(\d{2}|W\d{2}))", re.IGNORECASE)


ERROR = "fout"
WARNING = "waarschuwing"
# Widgets of runner.task_form: what a user task's form can show.
_RENDERABLE_TYPES = {"string", "boolean"}


@dataclass(frozen=True)
class Problem:
    """One finding: the file (relative to the model folder), the element id, the message,
    and whether it blocks a deploy (``fout``) or not (``waarschuwing``)."""

    file: str
    element: str
    message: str
    severity: str = ERROR

    def __str__(self) -> str:
        message = self.message if self.severity == ERROR else f"{WARNING}: {self.message}"
        if not self.element:
            return f"{self.file}: {message}"
        return f"{self.file}: {self.element}: {message}"


def errors(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.severity == ERROR]


def lint(folder: Path, operators: Collection[str], run: bool = True) -> list[Problem]:
    """Check the model in ``folder``; ``operators`` are the ids of the registered operators;
    ``run``: also run the model when the static checks pass.

    Returns all problems found, in the order found, without duplicates (empty = clean).
    """
    folder = Path(folder)
    try:
        files = read_folder(folder)
    except ModelError as err:
        return [_folder_problem(folder, str(err))]
    return lint_files(files, operators, run)


_CACHE: dict[tuple[str, frozenset[str], bool], list[Problem]] = {}


def lint_files(files: dict[str, str], operators: Collection[str],
               run: bool = True) -> list[Problem]:
    """:func:`lint` on a model's files (``{relative path: text}``); the result is kept per
    content, so deploying a model that was just linted does not run it again."""
    key = (content_hash(files), frozenset(operators), run)
    if key not in _CACHE:
        linter = _Linter(files, key[1])
        linter.run()
        problems = list(dict.fromkeys(linter.problems))
        if run and linter.model is not None and not errors(problems):
            from .model_run import run_model

            problems += [p for p in run_model(files) if p not in problems]
        _CACHE[key] = problems
    return list(_CACHE[key])


class _Linter:
    def __init__(self, files: dict[str, str], operators: frozenset[str]):
        self.files = files
        self.operators = operators
        self.problems: list[Problem] = []
        self.roots: dict[str, etree._Element] = {}
        self.json: dict[str, Any] = {}
        self.checked_forms: set[str] = set()
        self.form_problems: dict[str, str | None] = {}
        self.model: Model | None = None

    def report(self, file: str, element: str | None, message: str,
               severity: str = ERROR) -> None:
        self.problems.append(Problem(file, element or "", message, severity))

    # ----------------------------------------------------------------- driver

    def run(self) -> None:
        xml_ok = self.check_xml()
        self.check_json()
        self.check_templates()
        self.check_letter_labels()
        self.check_dossier_number()
        flows_ok = True
        for name, root in self.roots.items():
            if name.endswith(".bpmn"):
                self.check_gateway_defaults_xml(name, root)
                flows_ok = self.check_flow_ends(name, root) and flows_ok
                self.check_lanes(name, root)
        model = self.parse_model() if xml_ok and flows_ok else None
        if model is not None:
            for file, spec in _task_specs(model):
                self.check_task_spec(file, spec)
            for kind, code, language in missing_labels(model):
                self.report(LABELS, "", f"{kind} {code!r} heeft geen label in het {language}")
        self.check_unreferenced_forms()
        self.model = model

    # ------------------------------------------------------------ file checks

    def check_xml(self) -> bool:
        ok = True
        for name, text in self.files.items():
            if not name.endswith((".bpmn", ".dmn")):
                continue
            try:
                self.roots[name] = parse_xml(text.encode("utf-8"), name)
            except ModelError as err:
                ok = False
                self.report(name, "", _without_prefix(str(err), name))
        return ok

    def check_json(self) -> None:
        for name, text in self.files.items():
            if not name.endswith(".json"):
                continue
            try:
                self.json[name] = json.loads(text)
            except json.JSONDecodeError as err:
                self.report(name, "", f"geen geldige JSON: regel {err.lineno}: {err.msg}")

    def check_templates(self) -> None:
        environment = jinja2.Environment(autoescape=False)
        per_language: dict[str, set[str]] = {language: set() for language in LANGUAGES}
        for name, text in self.files.items():
            parts = name.split("/")
            if len(parts) != 3 or parts[0] != NOTICES_DIR or parts[1] not in per_language:
                continue
            per_language[parts[1]].add(parts[2])
            if not name.endswith(".txt"):
                continue
            try:
                environment.parse(text, name=name)
            except jinja2.TemplateSyntaxError as err:
                self.report(name, "", f"ongeldig sjabloon: regel {err.lineno}: {err.message}")
        for language, names in per_language.items():
            for other, other_names in per_language.items():
                for missing in sorted(other_names - names):
                    self.report(
                        f"{NOTICES_DIR}/{language}/{missing}",
                        "",
                        f"bestand ontbreekt (wel aanwezig in {NOTICES_DIR}/{other}/)",
                    )

    def check_letter_labels(self) -> None:
        """The labels a PDF letter prints (``brief`` in each language's labels.json)."""
        for language in LANGUAGES:
            name = f"{NOTICES_DIR}/{language}/labels.json"
            if name not in self.json:  # missing or invalid: reported above
                continue
            try:
                letter_labels(self.json[name])
            except ModelError as err:
                self.report(name, "", _without_prefix(str(err), "labels.json"))

    def check_gateway_defaults_xml(self, name: str, root: etree._Element) -> None:
        """Also on a model that does not parse (SpiffWorkflow then only names a flow)."""
        for process in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess"):
            sources: dict[str, int] = {}
            for flow in process.iterchildren(f"{{{BPMN_NS}}}sequenceFlow"):
                source = flow.get("sourceRef")
                sources[source] = sources.get(source, 0) + 1
            for gateway in process.iterchildren(f"{{{BPMN_NS}}}exclusiveGateway"):
                if sources.get(gateway.get("id"), 0) > 1 and not gateway.get("default"):
                    self.report(name, gateway.get("id"), NO_DEFAULT_FLOW)

    def check_flow_ends(self, name: str, root: etree._Element) -> bool:
        """Every sequence flow starts and ends at an element of its (sub)process. The engine
        names the wrong element for a flow to nowhere, so this is checked first."""
        ok = True
        for process in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess"):
            ids = {child.get("id") for child in process.iterchildren() if child.get("id")}
            for flow in process.iterchildren(f"{{{BPMN_NS}}}sequenceFlow"):
                for end, label in (("sourceRef", "begint bij"), ("targetRef", "gaat naar")):
                    target = flow.get(end)
                    if target not in ids:
                        ok = False
                        self.report(name, flow.get("id"),
                                    f"de stroom {label} '{target or ''}', maar dat element "
                                    "bestaat niet in dit (deel)proces; verbind de stroom "
                                    "opnieuw met een bestaand element of verwijder hem")
        return ok

    def check_lanes(self, name: str, root: etree._Element) -> None:
        """Lanes with user tasks have a role in rollen.json, and rollen.json names only
        lanes of the diagram and known roles: else tasks vanish from every inbox."""
        if ROLES_FILE not in self.json:
            if ROLES_FILE not in self.files:
                self.report(ROLES_FILE, "", "bestand ontbreekt: het zegt welke rol de taken "
                                            "van elke lane uitvoert")
            return
        mapping = self.json[ROLES_FILE].get("lanes") if isinstance(
            self.json[ROLES_FILE], dict) else None
        if not isinstance(mapping, dict):
            self.report(ROLES_FILE, "", 'verwacht {"lanes": {"naam van de lane": "rol"}}')
            return
        user_tasks = {task.get("id") for task in root.iter(f"{{{BPMN_NS}}}userTask")}
        lanes = set()
        for lane in root.iter(f"{{{BPMN_NS}}}lane"):
            lane_name = lane.get("name") or ""
            lanes.add(lane_name)
            tasks = sorted(ref.text.strip() for ref in lane.iter(f"{{{BPMN_NS}}}flowNodeRef")
                           if ref.text and ref.text.strip() in user_tasks)
            if tasks and lane_name not in mapping:
                self.report(name, lane.get("id"),
                            f"lane '{lane_name}' staat niet in {ROLES_FILE}: niemand ziet de "
                            f"taken {', '.join(tasks)} in zijn inbox; voeg "
                            f'"{lane_name}": "<rol>" toe aan {ROLES_FILE} of geef de lane '
                            "de naam die daar staat")
        for lane_name, role in mapping.items():
            if lane_name not in lanes:
                self.report(ROLES_FILE, lane_name,
                            f"lane '{lane_name}' bestaat niet in {name}; hernoem ze hier "
                            "zoals in het diagram, of verwijder de regel")
            if role not in ROLES:
                self.report(ROLES_FILE, lane_name,
                            f"onbekende rol '{role}'; kies uit {', '.join(ROLES)}")

    def check_dossier_number(self) -> None:
        settings = self.json.get(SETTINGS)
        if not isinstance(settings, dict) or "dossiernummer_formaat" not in settings:
            return
        problem = dossier_number_problem(settings["dossiernummer_formaat"])
        if problem:
            self.report(SETTINGS, "dossiernummer_formaat", problem)

    def parse_model(self) -> Model | None:
        try:
            return parse(self.files)
        except ModelError as err:
            cause = err.__cause__
            element = getattr(cause, "id", "") or ""
            file = getattr(cause, "file_name", "") or self.locate(element)
            self.report(file, element, str(err).strip())
            return None

    def locate(self, element: str) -> str:
        """The XML file that defines ``element`` (first .bpmn file when unknown)."""
        if element:
            for name, root in self.roots.items():
                if root.xpath("//*[@id=$id]", id=element):
                    return name
        return next((name for name in self.files if name.endswith(".bpmn")), "")

    # ---------------------------------------------------------- element checks

    def check_task_spec(self, file: str, spec: Any) -> None:
        element = spec.bpmn_id or spec.name
        if isinstance(spec, ServiceTask):
            self.check_service_task(file, element, spec)
        if isinstance(spec, UserTask):
            self.check_user_task(file, element, spec)
        if getattr(spec, "cond_task_specs", None):
            self.check_conditions(file, element, spec)
        if (
            isinstance(spec, ExclusiveGateway)
            and len(spec.outputs) > 1
            and spec.default_task_spec is None
        ):
            self.report(file, element, NO_DEFAULT_FLOW)
        for label in ("script", "prescript", "postscript"):
            source = getattr(spec, label, None)
            if source:
                self.check_expression(file, element, label, source, mode="exec")
        event_definition = getattr(spec, "event_definition", None)
        if event_definition is not None:
            self.check_event_definition(file, element, spec, event_definition)

    def check_service_task(self, file: str, element: str, spec: ServiceTask) -> None:
        if spec.operation_name not in self.operators:
            self.report(file, element, f"onbekende operator '{spec.operation_name}'")
        for name, parameter in (spec.operation_params or {}).items():
            value = parameter.get("value") if isinstance(parameter, dict) else None
            if not isinstance(value, str) or not value.strip():
                self.report(file, element, f"parameter '{name}' heeft geen waarde")
                continue
            self.check_expression(file, element, f"parameter '{name}'", value)
        if spec.operation_name == NOTICE_OPERATOR:
            self.check_notice_kind(file, element, spec.operation_params or {})

    def check_notice_kind(self, file: str, element: str, parameters: dict) -> None:
        parameter = parameters.get(NOTICE_KIND_PARAMETER)
        if not isinstance(parameter, dict) or not isinstance(parameter.get("value"), str):
            self.report(file, element, f"parameter '{NOTICE_KIND_PARAMETER}' ontbreekt")
            return
        try:
            kind = ast.literal_eval(parameter["value"].strip())
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            kind = None
        if not isinstance(kind, str):
            self.report(
                file,
                element,
                f"parameter '{NOTICE_KIND_PARAMETER}' moet een vaste tekst zijn, "
                f"bijvoorbeeld 'antwoord' (nu: {parameter['value']})",
            )
            return
        if not _NOTICE_KIND.fullmatch(kind):
            self.report(file, element, f"ongeldige soort bericht '{kind}'")
            return
        for language in LANGUAGES:
            template = f"{NOTICES_DIR}/{language}/{kind}.txt"
            if template not in self.files:
                self.report(file, element, f"sjabloon {template} ontbreekt")

    def check_user_task(self, file: str, element: str, spec: UserTask) -> None:
        properties = spec.extensions.get("properties") or {}
        form = properties.get(FORM_PROPERTY)
        if not form:
            self.report(file, element, f"eigenschap {FORM_PROPERTY} ontbreekt")
        else:
            path = f"{FORMS_DIR}/{form}"
            if path not in self.files:
                self.report(file, element, f"formulier {path} ontbreekt")
            else:
                self.check_form(path, element)
                self.check_field_types(path, element)
        for name in (DUE_DATE_PROPERTY, LETTER_PROPERTY):
            if properties.get(name) is not None:
                self.check_expression(file, element, f"eigenschap {name}", properties[name])

    def check_form(self, path: str, element: str) -> None:
        self.checked_forms.add(path)
        if path not in self.json:  # not valid JSON: reported by check_json
            return
        if path not in self.form_problems:
            self.form_problems[path] = _schema_problem(self.json[path])
        if self.form_problems[path]:
            self.report(path, element, self.form_problems[path])

    def check_field_types(self, path: str, element: str) -> None:
        """The web form of a user task renders text, choices, dates, check boxes and rows
        (:mod:`runner.task_form`); any other type can never be filled in there."""
        schema = self.json.get(path)
        if not isinstance(schema, dict) or self.form_problems.get(path):
            return
        for name, kind in _unrenderable_fields(schema):
            self.report(path, element,
                        f"veld '{name}' heeft type '{kind}', dat het webformulier niet kan "
                        "tonen (de bemiddelaar krijgt altijd 'deze waarde is niet geldig'); "
                        "gebruik type 'string' (met een 'pattern' voor cijfers), 'boolean' "
                        "of een lijst van objecten")

    def check_unreferenced_forms(self) -> None:
        """Forms no user task names (e.g. the intake form) must be valid all the same."""
        for path in self.files:
            is_form = path.startswith(f"{FORMS_DIR}/") and path.endswith(".json")
            if is_form and path not in self.checked_forms:
                self.check_form(path, "")

    def check_conditions(self, file: str, element: str, spec: Any) -> None:
        for condition, target in spec.cond_task_specs:
            if condition is None:
                continue
            source = condition.args[0] if getattr(condition, "args", None) else None
            label = f"voorwaarde naar '{_target_id(spec, target)}'"
            if not isinstance(source, str) or not source.strip():
                self.report(file, element, f"{label} is leeg")
                continue
            self.check_expression(file, element, label, source)

    def check_event_definition(self, file: str, element: str, spec: Any, definition) -> None:
        if isinstance(definition, TimerEventDefinition):
            self.check_timer(file, element, definition)
        elif isinstance(definition, ConditionalEventDefinition):
            if definition.expression:
                self.check_expression(file, element, "voorwaarde", definition.expression)
        elif isinstance(definition, MultipleEventDefinition):
            # An event-based gateway keeps the definitions of the events after it, in the
            # order of its outputs (the catch events themselves get a NoneEventDefinition).
            outputs = spec.outputs if isinstance(spec, EventBasedGateway) else []
            for index, inner in enumerate(definition.event_definitions):
                target = element
                if index < len(outputs):
                    target = outputs[index].bpmn_id or element
                self.check_event_definition(file, target, spec, inner)

    def check_timer(self, file: str, element: str, definition: TimerEventDefinition) -> None:
        expression = definition.expression
        if not isinstance(expression, str) or not expression.strip():
            self.report(file, element, "tijdexpressie ontbreekt")
            return
        source = expression.strip()
        if _is_bare_iso(source):
            self.report(file, element, f"tijdexpressie moet tussen aanhalingstekens: '{source}'")
            return
        if not self.check_expression(file, element, "tijdexpressie", source):
            return
        try:
            value = ast.literal_eval(source)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            return  # computed at run time from the task data
        problem = _timer_value_problem(definition, value)
        if problem:
            self.report(file, element, problem)

    def check_expression(
        self, file: str, element: str, label: str, source: object, mode: str = "eval"
    ) -> bool:
        if not isinstance(source, str):
            self.report(file, element, f"{label}: geen tekst")
            return False
        try:
            check_expression(source, mode)  # type: ignore[arg-type]
        except ExpressionRejected as err:
            self.report(file, element, f"{label}: {err}")
            return False
        return True


# ------------------------------------------------------------------------- helpers


def _unrenderable_fields(schema: dict, prefix: str = "") -> Iterator[tuple[str, str]]:
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        kind = spec.get("type", "string")
        items = spec.get("items") if isinstance(spec.get("items"), dict) else {}
        if kind == "array" and items.get("type") == "object" and not prefix:
            yield from _unrenderable_fields(items, f"{name}.")
        elif not isinstance(kind, str) or kind not in _RENDERABLE_TYPES:
            yield f"{prefix}{name}", str(kind)
        elif any(not isinstance(value, str) for value in spec.get("enum", [])):
            yield f"{prefix}{name}", "keuze met waarden die geen tekst zijn"


def _task_specs(model: Model) -> Iterator[tuple[str, Any]]:
    specs: list[WorkflowSpec] = [model.spec, *model.subprocess_specs.values()]
    for workflow_spec in specs:
        file = getattr(workflow_spec, "file", None) or ""
        for task_spec in workflow_spec.task_specs.values():
            yield file, task_spec


def _target_id(spec: Any, target: str) -> str:
    """The BPMN id of a gateway output (``onderzoek.BoundaryEventSplit`` -> ``onderzoek``)."""
    task_spec = spec._wf_spec.task_specs.get(target) if hasattr(spec, "_wf_spec") else None
    bpmn_id = getattr(task_spec, "bpmn_id", None)
    return bpmn_id or target.split(".", 1)[0]


def _folder_problem(folder: Path, message: str) -> Problem:
    """A problem reading the folder; its message starts with the folder or a file in it."""
    inside = f"{folder}/"
    if message.startswith(inside) and ": " in message:
        file, message = message[len(inside) :].split(": ", 1)
        return Problem(file, "", message)
    return Problem(str(folder), "", _without_prefix(message, str(folder)))


def _without_prefix(message: str, name: str) -> str:
    prefix = f"{name}: "
    return message[len(prefix) :] if message.startswith(prefix) else message


def _is_bare_iso(source: str) -> bool:
    """True for an unquoted ISO 8601 value such as ``P8D``, ``R/P21D`` or ``2025-01-31``."""
    return bool(
        _ISO_CHARACTERS.fullmatch(source)
        and any(character.isdigit() for character in source)
        and _ISO_START.match(source)
    )


def _schema_problem(schema: Any) -> str | None:
    if not isinstance(schema, dict | bool):
        return "geen geldig JSON Schema: verwacht een object"
    try:
        validator_for(schema).check_schema(schema)
    except SchemaError as err:
        where = "/".join(str(part) for part in err.absolute_path) or "(hoofdniveau)"
        return f"geen geldig JSON Schema: {where}: {err.message}"
    return None


def _timer_value_problem(definition: TimerEventDefinition, value: object) -> str | None:
    """Check a literal timer value the way SpiffWorkflow will read it at run time."""
    if not isinstance(value, str):
        return f"tijdexpressie moet tekst opleveren, niet {type(value).__name__}"
    try:
        if isinstance(definition, TimeDateEventDefinition):
            expected = "datum en tijd"
            if not isinstance(TimerEventDefinition.parse_time_or_duration(value), datetime):
                raise ValueError("geen datum")
        elif isinstance(definition, DurationTimerEventDefinition):
            expected = "duur"
            TimerEventDefinition.parse_iso_duration(value)
        elif isinstance(definition, CycleTimerEventDefinition):
            expected = "herhaling (R/...)"
            TimerEventDefinition.parse_iso_recurring_interval(value)
        else:  # pragma: no cover - SpiffWorkflow has no other timer kinds
            return None
    except Exception:  # SpiffWorkflow raises plain Exception, ValueError, AttributeError...
        return f"tijdexpressie '{value}' is geen geldige {expected} volgens ISO 8601"
    return None
