"""The report facts of a dossier, derived in the transaction of every action.

``save_case`` calls :func:`derive` (through :func:`after_save`, a save hook the procedure
hands the runner in its plug-ins) after the engine ran, as it derives the open tasks: the
classification the mediators recorded through the forms, and each deadline as the dossier's
own version computed it (``termijnen.dmn`` of the version it runs on, never today's rules)
together with the instant it was met. Notices that leave the fund later (an e-mail sent by
the outbox, a letter marked posted) are recorded by :func:`notice_left` (handed to the
outbox and the post room the same way). The reports
(``runner.reports.figures``) aggregate these rows in SQL.

The process data read here is found under the names the model declares (``rapportgegevens``
in ``instellingen.json``, :func:`report_variables`); the deadlines under their names in
``termijnen.dmn``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Row, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from runner.bpmn.instances import LoadedCase
from runner.deadlines.calendar import end_of_day_utc
from runner.definition.model import as_model
from runner.store import Dossier, DossierFacts, Notice, as_dossier

if TYPE_CHECKING:
    from runner.bpmn.case import Case
    from runner.bpmn.closed_record import ClosedCase

# Deadline names in termijnen.dmn.
ACK, ANSWER, NATIONAL_ANSWER, STATUS = (
    "ontvangstmelding", "antwoord", "nationaal_antwoord", "statusbericht")
# Notice kinds: the acknowledgement counts when it leaves the fund (sent or posted); an
# answer counts when it is produced; a status update starts a new interval.
ACK_NOTICE, ANSWER_NOTICE, NATIONAL_NOTICE, STATUS_NOTICE = (
    "ontvangstmelding", "antwoord", "antwoord_nationaal", "statusbericht")
# What the reports read of the process data, each under the name the model declares in
# ``rapportgegevens`` of instellingen.json (the ``resultaat`` of a user task or a message's
# variable; ``klachten lint`` checks the model writes it): the admissibility decision, the
# answer, the member's disagreement, the national answer.
REPORT_DATA = "rapportgegevens"
ADMISSIBILITY, ANSWER_DATA, DISAGREEMENT, NATIONAL_DATA = (
    "ontvankelijkheid", "antwoord", "niet_akkoord", "nationaal_antwoord")
REPORT_ROLES = (ADMISSIBILITY, ANSWER_DATA, DISAGREEMENT, NATIONAL_DATA)
UNDELIVERABLE_CHANNEL = "geen"  # an anonymous complaint without address: nothing can leave


class Facts(SimpleNamespace):
    """One ``dossier_facts`` row as plain attributes, one per column: worked on in Python,
    then written with the columns that changed."""


# Built once: building a statement costs more than running it.
_FACTS = cast(Table, DossierFacts.__table__)
_SELECT_FACTS = select(_FACTS).where(_FACTS.c.dossier_id == bindparam("key"))
_INSERT_FACTS = insert(_FACTS)
_UPDATE_FACTS = update(_FACTS).where(_FACTS.c.dossier_id == bindparam("key"))
_ACKNOWLEDGED = (update(_FACTS).where(_FACTS.c.dossier_id == bindparam("key"),
                                      _FACTS.c.ack_at.is_(None))
                 .values(ack_at=bindparam("at")))
_PRODUCED_NOTICES = select(Notice.kind, Notice.channel).where(
    Notice.dossier_id == bindparam("key"), Notice.created_at == bindparam("now"))


def after_save(loaded: LoadedCase) -> None:
    """The save hook the procedure hands the runner (runner.procedure): :func:`derive`."""
    derive(loaded.session, as_dossier(loaded.dossier), loaded.case,
           loaded.instance.definition_id, loaded.now)


def derive(session: Session, dossier: Dossier, case: Case | ClosedCase, definition_id: int,
           now: datetime) -> None:
    """Bring the dossier's facts up to date with what this action did. The row is read and
    written with Core statements (only the columns that changed): the ORM keeps no copy, so
    the action's pending rows (its notices) must be flushed before."""
    timezone = as_model(case.model).timezone
    connection = session.connection()
    row = connection.execute(_SELECT_FACTS, {"key": dossier.id}).first()
    stored = row._asdict() if row is not None else None
    facts = Facts(**stored) if stored is not None else _new_facts(dossier, definition_id, timezone)
    data = case.data()
    deadlines = case.deadlines(data)
    _classify(facts, data, report_variables(as_model(case.model).settings))
    _take_deadlines(facts, deadlines)
    produced = connection.execute(_PRODUCED_NOTICES, {"key": dossier.id, "now": now}).all()
    _record_notices(facts, produced, deadlines, now)
    _track_status(facts, sum(kind == STATUS_NOTICE for kind, _ in produced),
                  case.cycle_timer_waiting(), now, timezone)
    _record_closure(facts, dossier, timezone)
    if stored is None:
        connection.execute(_INSERT_FACTS, vars(facts))
        return
    changed = {key: value for key, value in vars(facts).items() if stored[key] != value}
    if changed:
        connection.execute(_UPDATE_FACTS, {**changed, "key": dossier.id})


def notice_left(session: Session, dossier_id: int, kind: str, at: datetime) -> None:
    """A notice was sent by e-mail or posted as a letter: the acknowledgement is done."""
    if kind == ACK_NOTICE:
        session.connection().execute(_ACKNOWLEDGED, {"key": dossier_id, "at": at})


def _local_date(instant: datetime, timezone: ZoneInfo) -> date:
    return instant.astimezone(timezone).date()


def _new_facts(dossier: Dossier, definition_id: int, timezone: ZoneInfo) -> Facts:
    received = _local_date(dossier.received_at, timezone)
    return Facts(**{column.key: None for column in _FACTS.columns} | dict(
        dossier_id=dossier.id, definition_id=definition_id, received_at=dossier.received_at,
        received_month=received.strftime("%Y-%m"), category=dossier.category[:100],
        channel=dossier.channel, escalated=False, status_met=0, status_missed=0))


def report_variables(settings: dict) -> dict[str, str]:
    """Each of :data:`REPORT_ROLES` -> the process data it is read from in this model ("":
    declared ``null``, a model without it; the reports then leave that fact empty)."""
    declared = settings.get(REPORT_DATA)
    declared = declared if isinstance(declared, dict) else {}
    return {role: str(declared.get(role, role) or "") for role in REPORT_ROLES}


def _classify(facts: Facts, data: dict, names: dict[str, str]) -> None:
    decision = data.get(names[ADMISSIBILITY]) or {}
    if decision.get("ontvankelijk") in ("ja", "nee"):
        facts.admissible = decision["ontvankelijk"] == "ja"
        facts.inadmissible_reason = None if facts.admissible else decision.get("reden")
    facts.answer_outcome = (data.get(names[ANSWER_DATA]) or {}).get("uitkomst")
    facts.escalated = data.get(names[DISAGREEMENT]) is not None
    facts.national_outcome = (data.get(names[NATIONAL_DATA]) or {}).get("uitkomst")


def _due(deadlines: dict[str, dict], name: str) -> datetime | None:
    value = deadlines.get(name, {}).get("vervalt_op")
    return datetime.fromisoformat(value) if value else None


def _take_deadlines(facts: Facts, deadlines: dict[str, dict]) -> None:
    """Keep each deadline as first computed by the dossier's version; an inadmissible
    complaint gets no answer target (its motivated refusal has its own deadline)."""
    facts.answer_due_at = (None if facts.admissible is False
                           else facts.answer_due_at or _due(deadlines, ANSWER))
    facts.national_due_at = facts.national_due_at or _due(deadlines, NATIONAL_ANSWER)
    if facts.status_interval_days is None and STATUS in deadlines:
        facts.status_interval_days = int(deadlines[STATUS]["dagen"])


def _record_notices(facts: Facts, produced: Sequence[Row[str, str]],
                    deadlines: dict[str, dict], now: datetime) -> None:
    """The acknowledgement deadline applies from the action that produced the notice, unless
    the complainant left no address (nothing can be sent: no deadline to meet or miss)."""
    for kind, channel in produced:
        if kind == ACK_NOTICE and facts.ack_due_at is None:
            facts.ack_due_at = None if channel == UNDELIVERABLE_CHANNEL else _due(deadlines, ACK)
        elif kind == ANSWER_NOTICE and facts.answer_at is None:
            facts.answer_at = now
        elif kind == NATIONAL_NOTICE and facts.national_at is None:
            facts.national_at = now


def _track_status(facts: Facts, updates: int, running: bool, now: datetime,
                  timezone: ZoneInfo) -> None:
    """Status updates are due every interval while an investigation with a status cycle
    runs. An update counts as met when it came by the end of the interval's last day. One
    that came later misses its interval and every whole interval after it (after a long
    outage one update goes out, ADR 2, but each interval without one was missed); so does
    an investigation that ends after the last day without an update."""
    if facts.status_since is not None and facts.status_interval_days is not None:
        missed = _intervals_missed(facts, now, timezone)
        if updates:  # one per action: missed cycles are coalesced (Case.tick)
            facts.status_missed += missed
            facts.status_met += not missed
            facts.status_since = now
        elif not running:
            facts.status_missed += missed
    if not running:
        facts.status_since = None
    elif facts.status_since is None:
        facts.status_since = now


def _intervals_missed(facts: Facts, now: datetime, timezone: ZoneInfo) -> int:
    """0 while the running interval's last day has not ended; else 1 plus each further
    whole interval that passed."""
    last_day = _local_date(facts.status_since, timezone) + timedelta(
        days=facts.status_interval_days)
    late = now - end_of_day_utc(last_day, timezone)
    if late < timedelta(0):
        return 0
    return 1 + int(late / timedelta(days=facts.status_interval_days))


def _record_closure(facts: Facts, dossier: Dossier, timezone: ZoneInfo) -> None:
    if dossier.closed_at is None or facts.closed_at is not None:
        return
    facts.closed_at, facts.outcome = dossier.closed_at, dossier.outcome
    facts.lead_days = (_local_date(dossier.closed_at, timezone)
                       - _local_date(dossier.received_at, timezone)).days
