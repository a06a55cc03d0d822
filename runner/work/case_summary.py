"""The case beside a task: what a mediator needs to decide, built from the dossier's
process data, its audit trail and its notices, with every code as a label.

The decisions are read generically: each completed user task's data (its ``resultaat``
property) is shown field by field with the titles of its own form, choices as their labels
(``labels.json``, under the field's name). A designer who adds a task with a form adds no
Python here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from runner.bpmn.case import spec_properties
from runner.deadlines.calendar import RECEIPT, explain
from runner.definition.labels import ANCHOR
from runner.definition.model import Model
from runner.notices.addresses import postal_address
from runner.results import AuditInfo, DossierInfo, NoticeInfo
from runner.work.task_form import text as form_text

TASK_COMPLETED = "taak voltooid"
MESSAGE_RECEIVED = "bericht ontvangen"
PRE_CHECK = "voorstel"
COMPLAINANT_FIELDS = ("voornaam", "achternaam", "email", "adres", "telefoon", "lidnummer")
# Messages from the complainant whose data the case shows: (variable, reason field).
COMPLAINANT_MESSAGES = {"klager_niet_akkoord": "niet_akkoord",
                        "klacht_ingetrokken": "intrekking"}
# Deadlines met by something other than a user task (termijnen.dmn names): the notice that
# left the fund (its first of that kind), or the complainant's message in time.
DEADLINE_NOTICES = {"ontvangstmelding": "ontvangstmelding", "statusbericht": "statusbericht"}
DEADLINE_MESSAGES = {"reactietermijn": "klager_niet_akkoord"}
# A user task's due date in the diagram: termijnen['antwoord']['vervalt_op'], or a deadline
# variable of its own: aanbevelingstermijn['vervalt_op'].
_TASK_DEADLINE = re.compile(r"(\w+)(?:\['([^']+)'\])?\['vervalt_op'\]")


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
    last_day: date | None
    explanation: str
    done_at: datetime | None = None  # when its work was done; None while it runs


@dataclass(frozen=True)
class ShownNotice:
    """A notice with its codes as labels, and whether it can be printed as a letter."""

    notice: NoticeInfo
    kind_label: str
    status_label: str
    channel_label: str
    printable: bool  # a letter, or an e-mail's paper copy to the postal address


@dataclass(frozen=True)
class CaseSummary:
    number: str
    language: str  # the complainant's language code
    language_label: str
    channel: str
    category: str
    received_at: datetime
    complainant: dict[str, str]
    description: str
    suggestion: Suggestion | None
    decisions: tuple[Decision, ...]
    messages: tuple[ComplainantMessage, ...]
    notices: tuple[ShownNotice, ...]
    deadlines: tuple[ShownDeadlineRow, ...]
    closed: bool = False
    outcome: str = ""


def build_summary(info: DossierInfo, data: dict[str, Any], model: Model,
                  language: str) -> CaseSummary:
    """The summary of a dossier: ``info`` as :meth:`Klachten.dossier` gives it, ``data`` the
    process data, ``model`` the version it runs on, in ``language`` (nl or fr)."""
    labels = model.labels
    complainant = data.get("klager") or {}
    on_paper = postal_address(complainant)
    return CaseSummary(
        number=info.number,
        language=info.language or "",
        language_label=labels.text("taal", info.language, language),
        channel=labels.text("kanaal", info.channel, language),
        category=labels.text("categorie", info.category, language),
        received_at=info.received_at,
        complainant={key: str(complainant[key]) for key in COMPLAINANT_FIELDS
                     if complainant.get(key)},
        description=str(data.get("omschrijving", "")),
        suggestion=_suggestion(data.get(PRE_CHECK), model, language),
        decisions=tuple(_decisions(info.audit, data, model, language)),
        messages=tuple(_messages(info.audit, data)),
        notices=tuple(ShownNotice(notice, labels.text("bericht", notice.kind, language),
                                  labels.text("berichtstatus", notice.status, language),
                                  labels.text("kanaal", notice.channel, language),
                                  notice.channel == "brief" or bool(on_paper))
                      for notice in info.notices),
        deadlines=tuple(_deadline_rows(info, data, model, language)),
        closed=info.closed,
        outcome=labels.text("uitkomst", info.outcome, language),
    )


def _deadline_rows(info: DossierInfo, data: dict[str, Any], model: Model,
                   language: str):
    done, labels = deadlines_done(info, data, model), model.labels
    for name, value in info.deadlines.items():
        anchor = labels.text(ANCHOR, value.anchor or RECEIPT, language)
        yield ShownDeadlineRow(labels.text("termijn", name, language), value.due_date,
                               explain(value, anchor, language), done.get(name))


def deadlines_done(info: DossierInfo, data: dict[str, Any], model: Model
                   ) -> dict[str, datetime]:
    """The instant each deadline's work was done, by deadline name: the last completion of
    the user tasks that the diagram gives that deadline as due date (once none of them is
    open any more), the first notice of its kind that left the fund, or the complainant's
    message."""
    still_open = {task.due_at for task in info.open_tasks if task.due_at}
    done: dict[str, datetime] = {}
    for spec in model.user_task_specs():
        name = _task_deadline(spec_properties(spec).get("vervaldatum", ""), data)
        deadline = info.deadlines.get(name)
        if deadline is None or not deadline.due_at or deadline.due_at in still_open:
            continue
        completed = [e.at for e in info.audit
                     if e.action == TASK_COMPLETED and e.element == spec.name]
        if completed:
            done[name] = max(completed + ([done[name]] if name in done else []))
    for name, kind in DEADLINE_NOTICES.items():
        left = [n.sent_at for n in info.notices if n.kind == kind]
        if left and left[0]:
            done.setdefault(name, left[0])
    for name, message in DEADLINE_MESSAGES.items():
        received = [e.at for e in info.audit
                    if e.action == MESSAGE_RECEIVED and e.element == message]
        if received:
            done.setdefault(name, received[0])
    return done


def _task_deadline(expression: str, data: dict[str, Any]) -> str:
    """The deadline a user task's ``vervaldatum`` expression names ("" when none)."""
    match = _TASK_DEADLINE.search(expression or "")
    if match is None:
        return ""
    if match.group(2):
        return match.group(2)
    variable = data.get(match.group(1))
    return str(variable.get("termijn", "")) if isinstance(variable, dict) else ""


def _suggestion(value: Any, model: Model, language: str) -> Suggestion | None:
    if not isinstance(value, dict) or not value.get("ontvankelijk"):
        return None
    labels = model.labels
    admissible = value["ontvankelijk"] == "ja"
    return Suggestion(admissible, labels.text("ontvankelijk", value["ontvankelijk"], language),
                      labels.text("reden", value.get("reden"), language))


def _decisions(audit: tuple[AuditInfo, ...], data: dict, model: Model, language: str):
    specs = {spec.name: spec for spec in model.user_task_specs()}
    for entry in audit:
        spec = specs.get(entry.element)
        if entry.action != TASK_COMPLETED or spec is None:
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
            by=entry.actor, at=entry.at, answers=answers)


def _answers(schema: dict, result: dict, model: Model, language: str):
    for name, spec in schema.get("properties", {}).items():
        value = result.get(name)
        if value in (None, "", []) or not isinstance(spec, dict):
            continue
        title = form_text(spec, "title", language, name)
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


def _messages(audit: tuple[AuditInfo, ...], data: dict):
    for entry in audit:
        variable = COMPLAINANT_MESSAGES.get(entry.element)
        if entry.action != MESSAGE_RECEIVED or variable is None:
            continue
        stored = data.get(variable)
        if not isinstance(stored, dict):
            stored = {}
        reason = stored.get("reden") or (entry.details or {}).get("reden", "")
        yield ComplainantMessage(entry.element, entry.at, str(reason or ""))

