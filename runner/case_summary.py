"""The case beside a task: what a mediator needs to decide, built from the dossier's
process data, its audit trail and its notices, with every code as a label.

The decisions are read generically: each completed user task's data (its ``resultaat``
property) is shown field by field with the titles of its own form, choices as their labels
(``labels.json``, under the field's name). A designer who adds a task with a form adds no
Python here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .bpmn.case import spec_properties
from .definitions import Model
from .operators import postal_address

TASK_COMPLETED = "taak voltooid"
MESSAGE_RECEIVED = "bericht ontvangen"
PRE_CHECK = "voorstel"
COMPLAINANT_FIELDS = ("voornaam", "achternaam", "email", "adres", "telefoon", "lidnummer")
# Messages from the complainant whose data the case shows: (variable, reason field).
COMPLAINANT_MESSAGES = {"klager_niet_akkoord": "niet_akkoord",
                        "klacht_ingetrokken": "intrekking"}


@dataclass(frozen=True)
class Answer:
    """One field of a decision: its form title and the value as people read it."""

    title: str
    text: str
    long: bool = False


@dataclass(frozen=True)
class Decision:
    task: str  # the task's label
    step: str  # the step's label ("" when the task has none)
    by: str
    at: datetime | None
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class Suggestion:
    """The pre-check's suggestion (``ontvankelijkheid.dmn``) and its reason."""

    admissible: bool
    verdict: str
    reason: str


@dataclass(frozen=True)
class ComplainantMessage:
    name: str  # klager_niet_akkoord, klacht_ingetrokken
    at: datetime | None
    reason: str


@dataclass(frozen=True)
class ShownDeadlineRow:
    name: str  # the deadline kind's label
    last_day: str  # ISO date
    explanation: str


@dataclass(frozen=True)
class CaseSummary:
    number: str
    language: str  # the complainant's language code
    language_label: str
    channel: str
    category: str
    received_at: str | None
    complainant: dict[str, str]
    description: str
    suggestion: Suggestion | None
    decisions: tuple[Decision, ...]
    messages: tuple[ComplainantMessage, ...]
    notices: tuple[dict[str, Any], ...]
    deadlines: tuple[ShownDeadlineRow, ...]
    closed: bool = False
    outcome: str = ""


def build_summary(info: dict[str, Any], data: dict[str, Any], model: Model,
                  language: str) -> CaseSummary:
    """The summary of a dossier: ``info`` as :meth:`Klachten.dossier` gives it, ``data`` the
    process data, ``model`` the version it runs on, in ``language`` (nl or fr)."""
    labels = model.labels
    complainant = data.get("klager") or {}
    on_paper = postal_address(complainant)
    audit = info.get("audit", [])
    return CaseSummary(
        number=info["dossiernummer"],
        language=info.get("taal") or "",
        language_label=labels.text("taal", info.get("taal"), language),
        channel=labels.text("kanaal", info.get("kanaal"), language),
        category=labels.text("categorie", info.get("categorie"), language),
        received_at=info.get("ontvangen_op"),
        complainant={key: str(complainant[key]) for key in COMPLAINANT_FIELDS
                     if complainant.get(key)},
        description=str(data.get("omschrijving", "")),
        suggestion=_suggestion(data.get(PRE_CHECK), model, language),
        decisions=tuple(_decisions(audit, data, model, language)),
        messages=tuple(_messages(audit, data)),
        notices=tuple({**notice, "soort_label": labels.text("bericht", notice["soort"], language),
                       "status_label": labels.text("berichtstatus", notice["status"], language),
                       "kanaal_label": labels.text("kanaal", notice["kanaal"], language),
                       # A letter, or an e-mail's paper copy to the postal address.
                       "printable": notice["kanaal"] == "brief" or bool(on_paper)}
                      for notice in info.get("berichten", [])),
        deadlines=tuple(ShownDeadlineRow(labels.text("termijn", name, language),
                                         value["vervaldag"], value.get("uitleg", ""))
                        for name, value in info.get("termijnen", {}).items()),
        closed=bool(info.get("afgesloten")),
        outcome=labels.text("uitkomst", info.get("uitkomst"), language),
    )


def _suggestion(value: Any, model: Model, language: str) -> Suggestion | None:
    if not isinstance(value, dict) or not value.get("ontvankelijk"):
        return None
    labels = model.labels
    admissible = value["ontvankelijk"] == "ja"
    return Suggestion(admissible, labels.text("ontvankelijk", value["ontvankelijk"], language),
                      labels.text("reden", value.get("reden"), language))


def _decisions(audit: list[dict], data: dict, model: Model, language: str):
    specs = {spec.name: spec for spec in model.user_task_specs()}
    for entry in audit:
        spec = specs.get(entry["element"])
        if entry["wat"] != TASK_COMPLETED or spec is None:
            continue
        props = spec_properties(spec)
        result = data.get(props.get("resultaat", ""))
        form = props.get("formJsonSchemaFilename")
        schema = model.form(form) if form and f"forms/{form}" in model.files else {}
        answers = tuple(_answers(schema, result, model, language)) if isinstance(
            result, dict) else ()
        yield Decision(
            task=model.labels.text("taak", spec.name, language) or spec.bpmn_name or spec.name,
            step=model.labels.text("stap", props.get("stap"), language),
            by=entry["wie"], at=_instant(entry.get("op")), answers=answers)


def _answers(schema: dict, result: dict, model: Model, language: str):
    for name, spec in schema.get("properties", {}).items():
        value = result.get(name)
        if value in (None, "", []) or not isinstance(spec, dict):
            continue
        title = spec.get("title", name)
        if isinstance(value, list):
            columns = spec.get("items", {}).get("properties", {})
            for row in value:
                yield Answer(title, " \u2013 ".join(str(row.get(c, "")) for c in columns
                                               if row.get(c)), long=True)
        elif isinstance(value, bool):
            yield Answer(title, "\u2713" if value else "\u2013")
        elif "enum" in spec:
            yield Answer(title, model.labels.text(name, value, language))
        else:
            yield Answer(title, str(value), long=spec.get("x-widget") == "textarea")


def _messages(audit: list[dict], data: dict):
    for entry in audit:
        variable = COMPLAINANT_MESSAGES.get(entry["element"])
        if entry["wat"] != MESSAGE_RECEIVED or variable is None:
            continue
        stored = data.get(variable) if isinstance(data.get(variable), dict) else {}
        reason = stored.get("reden") or (entry.get("details") or {}).get("reden", "")
        yield ComplainantMessage(entry["element"], _instant(entry.get("op")), str(reason or ""))


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
