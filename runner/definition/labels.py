"""The words people read instead of the model's codes, from ``processes/labels.json``.

Per kind of code (``categorie``, ``stap``, ``taak``, ``reden``, ``uitkomst``, ``termijn``,
``bericht``, ...) a label per language: ``{"categorie": {"terugbetaling": {"nl":
"Terugbetaling", "fr": "Remboursement"}}}``. A designer adds a category or a reason with its
labels in that file, without Python; ``klachten lint`` reports a code the model uses without
a label in one of the languages (:func:`missing_labels`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from lxml import etree

from runner.bpmn.safe_xml import parse_xml

if TYPE_CHECKING:
    from runner.definition.model import Model

LANGUAGES = ("nl", "fr")
FALLBACK = "nl"
CATEGORY, STEP, TASK = "categorie", "stap", "taak"
# The names of the diagram's other elements (events, gateways, service tasks) by id, and of
# its lanes (the roles) by name: the staff pages show them in the reader's language.
ELEMENT, ROLE = "element", "rol"
ANCHOR = "anker"  # what a deadline counts from, a deadline operator's parameter
_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_NAMES_THAT_MATCH = frozenset({"message", "signal", "error", "escalation"})  # never renamed


class Labels:
    """Label look-up; an unknown code falls back to its Dutch label, then to the code."""

    def __init__(self, data: dict[str, Any]):
        self._data = {kind: codes for kind, codes in data.items() if isinstance(codes, dict)}

    def text(self, kind: str, code: object, language: str = FALLBACK) -> str:
        if code is None or code == "":
            return ""
        entry = self._data.get(kind, {}).get(str(code))
        if not isinstance(entry, dict):
            return str(code)
        return str(entry.get(language) or entry.get(FALLBACK) or code)

    def has(self, kind: str, code: object, language: str) -> bool:
        entry = self._data.get(kind, {}).get(str(code))
        return isinstance(entry, dict) and bool(entry.get(language))

    def options(self, kind: str, codes: Iterable[object], language: str
                ) -> list[tuple[str, str]]:
        """``(code, label)`` pairs, for a filter's or a form's choices."""
        return [(str(code), self.text(kind, code, language)) for code in codes]


def used_codes(model: Model) -> Iterator[tuple[str, str]]:
    """``(kind, code)`` of every code the model shows people: categories, steps, user tasks,
    the diagram's other named elements, the anchors its deadlines count from and the choices
    of the user tasks' forms (labelled under the field's name)."""
    from runner.bpmn.case import spec_properties  # the engine wiring, only when linting

    for category in model.settings.get("categorieen", []):
        yield CATEGORY, str(category)
    users = {spec.name for spec in model.user_task_specs()}
    for spec in model.all_task_specs():
        if step := spec_properties(spec).get(STEP):
            yield STEP, step
        if spec.name not in users and getattr(spec, "bpmn_name", None):
            yield ELEMENT, spec.name
        if anchor := _literal((getattr(spec, "operation_params", None) or {}).get(ANCHOR)):
            yield ANCHOR, anchor
    for spec in model.user_task_specs():
        yield TASK, spec.name
        form = spec_properties(spec).get("formJsonSchemaFilename")
        if form and f"forms/{form}" in model.files:
            yield from _choices(model.form(form))


def _literal(parameter: object) -> str:
    """A service task parameter written as a fixed text ('het antwoord'), else ""."""
    if not isinstance(parameter, dict) or not isinstance(parameter.get("value"), str):
        return ""
    try:
        value = ast.literal_eval(parameter["value"].strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return ""
    return value if isinstance(value, str) else ""


def _choices(schema: dict) -> Iterator[tuple[str, str]]:
    for name, spec in schema.get("properties", {}).items():
        if not isinstance(spec, dict):
            continue
        for value in spec.get("enum", []):
            yield name, str(value)
        if isinstance(spec.get("items"), dict):
            yield from _choices(spec["items"])


def missing_labels(model: Model) -> list[tuple[str, str, str]]:
    """``(kind, code, language)`` for each used code without a label in a language."""
    labels = model.labels
    return sorted({(kind, code, language) for kind, code in used_codes(model)
                   for language in LANGUAGES if not labels.has(kind, code, language)})


def named_in(bpmn_xml: str, labels: Labels, language: str) -> str:
    """The diagram with every element's name in ``language``: user tasks by their task
    label, lanes by their role label, other elements by their element label (a name
    without a label stays as the designer wrote it)."""
    root = parse_xml(bpmn_xml.encode(), "diagram")
    for element in root.iter(f"{_BPMN}*"):
        name, code = element.get("name"), element.get("id")
        kind = etree.QName(element).localname
        if not name or kind in _NAMES_THAT_MATCH:
            continue
        kind, code = ((TASK, code) if kind == "userTask" else (ROLE, name) if kind == "lane"
                      else (ELEMENT, code))
        if labels.has(kind, code, language):
            element.set("name", labels.text(kind, code, language))
    return etree.tostring(root, encoding="unicode")
