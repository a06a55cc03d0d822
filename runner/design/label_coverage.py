"""Which codes of a model people read (categories, steps, tasks, elements, deadline anchors,
form choices), and which of them lack a label in ``labels.json`` in a language."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from runner.bpmn.case import spec_properties
from runner.definition.labels import ANCHOR, CATEGORY, ELEMENT, LANGUAGES, STEP, TASK
from runner.definition.model import Model


def used_codes(model: Model) -> Iterator[tuple[str, str]]:
    """``(kind, code)`` of every code the model shows people: categories, steps, user tasks,
    the diagram's other named elements, the anchors its deadlines count from and the choices
    of the user tasks' forms (labelled under the field's name)."""
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
