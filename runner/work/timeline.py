"""A dossier's timeline in people's words, from its audit trail and its notices.

Each event has a ``kind`` the page words in the reader's language ("Ontvangstmelding
verzonden per e-mail", "mia: Ontvankelijkheid beoordelen, Ontvankelijk, motivatie …",
"Statusbericht 2 verzonden"), with the codes already turned into labels. The engine's own
steps (service tasks, gateways, timers) are events too, marked ``technical``: the page
shows them only when asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from runner.definition.labels import ELEMENT, FALLBACK, Labels
from runner.definition.model import Model
from runner.results import DossierInfo
from runner.service import TASK_TAKEN_OVER
from runner.work.case_summary import Decision, ShownNotice, build_summary
from runner.work.ownership import ASSIGNED

# Kinds of events (the page has a sentence per kind).
RECEIVED, DECISION, NOTICE, POSTED, FROM_COMPLAINANT, CLOSED = (
    "ontvangen", "beslissing", "bericht", "gepost", "klager", "afgesloten")
UNDELIVERED, INCIDENT, RETRIED, REGISTER, ENGINE, OTHER = (
    "niet_afgeleverd", "incident", "opnieuw", "verbeterregister", "motor", "overig")
REOPENED, DUPLICATE = "heropend", "dubbel"
# runner.work.follow_up's actions: the reason, and for a duplicate the other dossier.
_FOLLOW_UP = {"dossier heropend": REOPENED, "als dubbel gemarkeerd": DUPLICATE}
NOTE, CONTACT = "notitie", "contact"  # runner.work.case_notes: the text in full
_AUDIT_KINDS = {"klacht ontvangen": RECEIVED, "brief gepost": POSTED,
                "bericht niet afgeleverd": UNDELIVERED, "incident": INCIDENT,
                "opnieuw proberen": RETRIED, "aanbeveling gewijzigd": REGISTER,
                "opvolgnotitie toegevoegd": REGISTER}
# The outbox's "bericht verzonden" is the notice's own event (with its delivery state).
NOTICE_SENT = "bericht verzonden"
_ENGINE_ACTIONS = {"stap uitgevoerd", "gebeurtenis", NOTICE_SENT}
_DETAIL_LENGTH = 160
_NONE, _ARROW = "\u2013", " \u2192 "


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    actor: str
    subject: str  # a label: the task, the notice kind, the channel, the message
    detail: str = ""
    number: int = 0  # the how-manieth notice of its kind (Statusbericht 2)
    state: str = ""  # a notice's delivery: queued, sent, te printen, ...
    technical: bool = False
    on: date | None = None  # the day of a contact
    refers_to: int | None = None  # the note a correction corrects


def timeline(info: DossierInfo, data: dict[str, Any], model: Model,
             language: str) -> list[Event]:
    """Every event of the dossier, oldest first (engine steps marked technical)."""
    summary = build_summary(info, data, model, language)
    decisions = iter(summary.decisions)
    messages = iter(summary.messages)
    labels = model.labels
    events: list[Event] = []
    for entry in info.audit:
        at, actor, action = entry.at, entry.actor, entry.action
        details = entry.details or {}
        if action == "taak voltooid":
            decision = next(decisions, None)
            if decision is not None:
                events.append(Event(at, DECISION, actor, decision.task, _gist(decision)))
        elif action == "bericht ontvangen":
            message = next(messages, None) if entry.element in (
                "klager_niet_akkoord", "klacht_ingetrokken") else None
            events.append(Event(at, FROM_COMPLAINANT, actor, entry.element,
                                _short(message.reason if message else "")))
        elif action in _ENGINE_ACTIONS:
            events.append(Event(at, ENGINE, actor, _engine_subject(
                action, entry.element, details, labels, language), technical=True))
        elif action in _FOLLOW_UP:
            events.append(Event(at, _FOLLOW_UP[action], actor, details.get("van", ""),
                                _short(details.get("reden", ""))))
        elif action == "klacht ontvangen":
            events.append(Event(at, RECEIVED, actor,
                                labels.text("kanaal", details.get("kanaal"), language)))
        else:
            kind = _AUDIT_KINDS.get(action, OTHER)
            subject = (labels.text("bericht", entry.element, language) if kind != OTHER
                       else _other_subject(action, entry.element, details, labels, language))
            events.append(Event(at, kind, actor, subject, _short(
                details.get("reden") or details.get("error") or _changes(details))))
    events += _notices(summary.notices)
    if info.closed_at:
        events.append(Event(info.closed_at, CLOSED, "", summary.outcome))
    return sorted(events, key=lambda event: event.at)


def _other_subject(action: str, element: str, details: dict, labels: Labels,
                   language: str) -> str:
    """Another action in its own words; a take-over names the task by its label and whom it
    was taken from, an assignment whom the dossier went to. Other actions' ``van`` is no
    user (a migration's is the version it left)."""
    if labels.has("taak", element, FALLBACK):
        element = labels.text("taak", element, language)
    whom = (" → ".join(filter(None, (details.get("van"), details.get("aan"))))
            if action in (TASK_TAKEN_OVER, ASSIGNED) else "")
    return " ".join(filter(None, (action, element, f"({whom})" if whom else ""))).strip()


def _engine_subject(action: str, element: str, details: dict, labels: Labels,
                    language: str) -> str:
    """An engine step by the element's label in ``language`` (the name the diagram gave it
    when it has none), a notice that left by its kind."""
    if action != NOTICE_SENT and labels.has(ELEMENT, element, FALLBACK):
        return labels.text(ELEMENT, element, language)
    return details.get("naam") or f"{labels.text('bericht', element, language)}: {action}"


def _notices(notices: tuple[ShownNotice, ...]) -> list[Event]:
    """A notice is an event when it was made, numbered within its kind; its state says
    whether it left (sent by e-mail, to print, posted, failed)."""
    counts: dict[str, int] = {}
    events = []
    for shown in notices:
        notice = shown.notice
        counts[notice.kind] = counts.get(notice.kind, 0) + 1
        at = notice.sent_at or notice.created_at
        events.append(Event(at, NOTICE, "", shown.kind_label, shown.channel_label,
                            counts[notice.kind], notice.status))
    return events


def _changes(details: dict) -> str:
    """The fields a register change changed: ``status: open → uitgevoerd``."""
    changes = details.get("wijzigingen") or {}
    return "; ".join(f"{field}: {change.get('van') or _NONE}{_ARROW}{change.get('naar') or _NONE}"
                     for field, change in changes.items() if isinstance(change, dict))


def _gist(decision: Decision) -> str:
    """A decision in a line: its choices, then the start of its first long text."""
    choices = [answer.text for answer in decision.answers if not answer.long]
    texts = [answer.text for answer in decision.answers if answer.long]
    return _short(" \u2013 ".join([*choices, *texts[:1]]))


def _short(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _DETAIL_LENGTH else text[:_DETAIL_LENGTH - 1] + "…"

