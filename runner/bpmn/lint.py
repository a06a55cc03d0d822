"""Static checks of a process model's files before it is deployed.

:class:`ModelLinter` reads the files and reports every problem it finds, each with the file
and the id of the BPMN element concerned; it never stops at the first one. Checked:

* every ``.bpmn``/``.dmn`` file is well-formed XML without a DOCTYPE
  (:func:`runner.bpmn.safe_xml.parse_xml`), every ``.json`` file is valid JSON;
* the model parses, DMN tables included;
* every service task names an operator of the given registry;
* every user task names a form (``formJsonSchemaFilename``) that exists in ``forms/`` and
  is a valid JSON Schema; every form file is a valid JSON Schema;
* every expression compiles under the restricted policy (:mod:`runner.bpmn.expressions`):
  gateway conditions, service task parameters, the ``vervaldatum`` and ``brief`` properties
  of user tasks, scripts, conditional events and timer expressions; a timer given as a bare
  ISO 8601 value (``P8D`` instead of ``'P8D'``) is reported, and a literal timer value must
  parse;
* an exclusive gateway with more than one outgoing flow has a default flow;
* every sequence flow connects elements that exist (else the flow is named, before the
  engine's own message);
* the structure and the drawing (:mod:`runner.bpmn.structure_lint`): every element drawn
  and in its lane, every awaited message sent by someone, bpmnlint's default rule set.

An application adds the checks of its own files through the hooks of :class:`ModelLinter`.
Element is ``""`` for a problem that concerns a whole file. A problem is an error (deploy is
refused) or a warning (shown, not blocking).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

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

from .definitions import FORMS_DIR, ProcessModel
from .errors import ERROR, ExpressionRejected, ModelError, Problem
from .expressions import Mode, check_expression
from .safe_xml import parse_xml
from .structure_lint import StructureCheck

FORM_PROPERTY = "formJsonSchemaFilename"
DUE_DATE_PROPERTY = "vervaldatum"
LETTER_PROPERTY = "brief"  # a print-and-post task: the notice code of its letter

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NO_DEFAULT_FLOW = ("exclusieve gateway met meer dan één uitgaande stroom heeft geen "
                   "standaardpad: klopt geen enkele voorwaarde, dan loopt het dossier vast; "
                   "duid één stroom aan als standaardpad (default)")
# Characters of an ISO 8601 date, duration or repeating interval written without quotes.
_ISO_CHARACTERS = re.compile(r"[0-9A-Za-z:+\-/.,]+")
_ISO_START = re.compile(r"(R\d*/)?(P[\dT]|\d{4}-?(\d{2}|W\d{2}))", re.IGNORECASE)

def errors(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.severity == ERROR]


M = TypeVar("M", bound=ProcessModel)


class ModelLinter(Generic[M]):
    """Every check of a model's files; an application subclasses it and extends the hooks
    (:meth:`check_files`, :meth:`check_diagram`, :meth:`check_model` and the per-element
    checks) with the checks of its own files and conventions; :attr:`external_messages`:
    the BPMN messages the application itself sends (a catch event may wait for those)."""

    external_messages: frozenset[str] = frozenset()

    def __init__(self, files: dict[str, str], operators: frozenset[str],
                 parse: Callable[[dict[str, str]], M]):
        self.files = files
        self.parse = parse
        self.operators = operators
        self.problems: list[Problem] = []
        self.roots: dict[str, etree._Element] = {}
        self.json: dict[str, Any] = {}
        self.checked_forms: set[str] = set()
        self.form_problems: dict[str, str | None] = {}
        self.model: M | None = None

    def report(self, file: str, element: str | None, message: str,
               severity: str = ERROR) -> None:
        self.problems.append(Problem(file, element or "", message, severity))

    # ----------------------------------------------------------------- driver

    def run(self) -> None:
        xml_ok = self.check_xml()
        self.check_json()
        self.check_files()
        flows_ok = True
        for name, root in self.roots.items():
            if name.endswith(".bpmn"):
                self.check_gateway_defaults_xml(name, root)
                flows_ok = self.check_flow_ends(name, root) and flows_ok
                self.check_structure(name, root)
                self.check_diagram(name, root)
        model = self.parse_model() if xml_ok and flows_ok else None
        if model is not None:
            for file, spec in _task_specs(model):
                self.check_task_spec(file, spec)
            self.check_model(model)
        self.check_unreferenced_forms()
        self.model = model

    # ------------------------------------------------------------------ hooks

    def check_files(self) -> None:
        """The application's own files (``self.json`` holds every valid JSON file)."""

    def check_diagram(self, name: str, root: etree._Element) -> None:
        """A ``.bpmn`` file's XML, beyond the flows."""

    def check_model(self, model: M) -> None:
        """The parsed model as a whole, after its elements."""

    def check_form_fields(self, path: str, element: str) -> None:
        """A valid user-task form, for what the application can show of it."""

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
                self.report(name, "", without_prefix(str(err), name))
        return ok

    def check_json(self) -> None:
        for name, text in self.files.items():
            if not name.endswith(".json"):
                continue
            try:
                self.json[name] = json.loads(text)
            except json.JSONDecodeError as err:
                self.report(name, "", f"geen geldige JSON: regel {err.lineno}: {err.msg}")

    def check_gateway_defaults_xml(self, name: str, root: etree._Element) -> None:
        """Also on a model that does not parse (SpiffWorkflow then only names a flow)."""
        for process in root.iter(f"{{{BPMN_NS}}}process", f"{{{BPMN_NS}}}subProcess"):
            sources: dict[str | None, int] = {}
            for flow in process.iterchildren(f"{{{BPMN_NS}}}sequenceFlow"):
                source = flow.get("sourceRef")
                sources[source] = sources.get(source, 0) + 1
            for gateway in process.iterchildren(f"{{{BPMN_NS}}}exclusiveGateway"):
                if sources.get(gateway.get("id"), 0) > 1 and not gateway.get("default"):
                    self.report(name, gateway.get("id"), NO_DEFAULT_FLOW)

    def check_structure(self, name: str, root: etree._Element) -> None:
        """The drawing, the lanes, the messages and bpmnlint's default rule set
        (:mod:`runner.bpmn.structure_lint`)."""
        for finding in StructureCheck(root, self.external_messages).findings():
            self.report(name, finding.element, finding.message, finding.severity)

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

    def parse_model(self) -> M | None:
        try:
            return self.parse(self.files)
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
                schema = self.json.get(path)
                if isinstance(schema, dict) and not self.form_problems.get(path):
                    self.check_form_fields(path, element)
        for name in (DUE_DATE_PROPERTY, LETTER_PROPERTY):
            if properties.get(name) is not None:
                self.check_expression(file, element, f"eigenschap {name}", properties[name])

    def check_form(self, path: str, element: str) -> None:
        self.checked_forms.add(path)
        if path not in self.json:  # not valid JSON: reported by check_json
            return
        if path not in self.form_problems:
            self.form_problems[path] = _schema_problem(self.json[path])
        problem = self.form_problems[path]
        if problem:
            self.report(path, element, problem)

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

    def check_event_definition(self, file: str, element: str, spec: Any,
                               definition: Any) -> None:
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
        self, file: str, element: str, label: str, source: object, mode: Mode = "eval"
    ) -> bool:
        if not isinstance(source, str):
            self.report(file, element, f"{label}: geen tekst")
            return False
        try:
            check_expression(source, mode)
        except ExpressionRejected as err:
            self.report(file, element, f"{label}: {err}")
            return False
        return True


# ------------------------------------------------------------------------- helpers


def _task_specs(model: ProcessModel) -> Iterator[tuple[str, Any]]:
    specs: list[WorkflowSpec] = [model.spec, *model.subprocess_specs.values()]
    for workflow_spec in specs:
        file = getattr(workflow_spec, "file", None) or ""
        for task_spec in workflow_spec.task_specs.values():
            yield file, task_spec


def _target_id(spec: Any, target: str) -> str:
    """The BPMN id of a gateway output (``taak.BoundaryEventSplit`` -> ``taak``)."""
    task_spec = spec._wf_spec.task_specs.get(target) if hasattr(spec, "_wf_spec") else None
    bpmn_id = getattr(task_spec, "bpmn_id", None)
    return bpmn_id or target.split(".", 1)[0]


def without_prefix(message: str, name: str) -> str:
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
    if isinstance(schema, bool):  # true and false are schemas too
        return None
    if not isinstance(schema, dict):
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


def folder_problem(folder: Path, message: str) -> Problem:
    """A problem reading the folder; its message starts with the folder or a file in it."""
    inside = f"{folder}/"
    if message.startswith(inside) and ": " in message:
        file, message = message[len(inside) :].split(": ", 1)
        return Problem(file, "", message)
    return Problem(str(folder), "", without_prefix(message, str(folder)))
