"""A user task's form, described from its JSON Schema for the web to render, and posted
fields turned back into data.

Widgets: text, ``textarea`` (``"x-widget": "textarea"``), ``radio`` (an enum of up to 4
values) or ``select``, ``checkbox`` (boolean), ``date`` (``"format": "date"``) and ``rows``
(an array of objects, such as the recommendations: a few empty rows and, without JavaScript,
a button that adds one). A designer who adds a user task with a form adds no Python and no
template. Titles and descriptions are Dutch; ``"x-fr": {"title": ..., "description": ...}``
beside them (on the form and on each field) gives the French the staff pages show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from runner.bpmn.forms import from_fields

CHECKED = "ja"
RADIO_MAX = 4
EMPTY_ROWS = 1


@dataclass(frozen=True)
class Field:
    name: str
    title: str
    description: str
    widget: str
    required: bool
    max_length: int | None = None
    options: tuple[str, ...] = ()
    columns: tuple[Field, ...] = ()
    max_items: int | None = None


@dataclass(frozen=True)
class TaskForm:
    task_id: str
    dossier_number: str
    title: str
    description: str
    version: int
    fields: tuple[Field, ...]
    labels: dict[str, str] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=dict)
    # The notice code of the letter the task is about (print and post), if any.
    letter_code: str | None = None
    task_name: str = ""  # the user task's id in the diagram (its label in labels.json)
    due_at: datetime | None = None  # the first instant after the last day


def text(spec: dict, key: str, language: str, default: str = "") -> str:
    """A schema's ``title`` or ``description`` in ``language`` (``x-fr``), else the Dutch."""
    translated = spec.get(f"x-{language}")
    if isinstance(translated, dict) and translated.get(key):
        return str(translated[key])
    return str(spec.get(key, default))


def describe(schema: dict, language: str = "nl") -> tuple[Field, ...]:
    required = set(schema.get("required", []))
    return tuple(_field(name, spec, name in required, language)
                 for name, spec in schema.get("properties", {}).items())


class _Common(TypedDict):
    """What every kind of field says of itself."""

    name: str
    title: str
    description: str
    required: bool


def _field(name: str, spec: dict, required: bool, language: str) -> Field:
    kind = spec.get("type")
    common: _Common = {"name": name, "title": text(spec, "title", language, name),
              "description": text(spec, "description", language), "required": required}
    if kind == "array" and spec.get("items", {}).get("type") == "object":
        return Field(widget="rows", columns=describe(spec["items"], language),
                     max_items=spec.get("maxItems"), **common)
    if kind == "boolean":
        return Field(widget="checkbox", **common)
    if "enum" in spec:
        options = tuple(str(v) for v in spec["enum"])
        return Field(widget="radio" if len(options) <= RADIO_MAX else "select", options=options,
                     **common)
    widget = "date" if spec.get("format") == "date" else spec.get("x-widget", "text")
    return Field(widget=widget, max_length=spec.get("maxLength"), **common)


def labels_and_limits(fields: tuple[Field, ...], prefix: str = ""
                      ) -> tuple[dict[str, str], dict[str, int]]:
    """Field titles and maximum lengths by path (rows by their column name), for messages."""
    labels: dict[str, str] = {}
    limits: dict[str, int] = {}
    for f in fields:
        labels[f"{prefix}{f.name}"] = f.title
        if f.max_length:
            limits[f"{prefix}{f.name}"] = f.max_length
        if f.columns:
            sub_labels, sub_limits = labels_and_limits(f.columns, f"{f.name}.*.")
            labels.update(sub_labels)
            limits.update(sub_limits)
    return labels, limits


def data_from_fields(schema: dict, fields: Mapping[str, str]) -> dict:
    """The task data from posted fields: ``name`` per field, ``name.N.column`` per row of an
    array (a row left entirely empty is dropped), a checkbox is ``ja`` when ticked."""
    data: dict = {}
    for name, spec in schema.get("properties", {}).items():
        kind = spec.get("type")
        if kind == "array" and spec.get("items", {}).get("type") == "object":
            data[name] = _rows(name, spec["items"], fields)
        elif kind == "boolean":
            data[name] = fields.get(name) == CHECKED
        else:
            data.update(from_fields({"properties": {name: spec}}, fields))
    return data


def _rows(name: str, item: dict, fields: Mapping[str, str]) -> list[dict]:
    indices = sorted({int(key.split(".")[1]) for key in fields
                      if key.startswith(f"{name}.") and key.split(".")[1].isdigit()})
    rows = [from_fields(item, fields, f"{name}.{index}.") for index in indices]
    return [row for row in rows if row]


def row_count(fields: Mapping[str, str], name: str, add: bool) -> int:
    """How many rows to draw for an array field: those posted, plus an empty one to add."""
    posted = {key.split(".")[1] for key in fields if key.startswith(f"{name}.")}
    return max(EMPTY_ROWS, len(posted) + (1 if add else 0))
