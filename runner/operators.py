"""Service-task operators, by name (:data:`OPERATORS`, handed to the runner in the
procedure's plug-ins, :mod:`runner.procedure`).

A service task in the diagram names its operator (``spiffworkflow:serviceTaskOperator id=...``);
``klachten lint`` fails on a name that is not in :data:`OPERATORS`. An operator receives the
action's context, the SpiffWorkflow task (for its data) and the evaluated parameters, and
returns plain JSON data that the engine stores in the task's result variable.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Insert, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from runner.bpmn.engine import Operator
from runner.bpmn.errors import ModelError
from runner.deadlines.calendar import (
    RECEIPT,
    BelgianCalendar,
    compute_deadline,
    end_of_day_utc,
    rule_from_row,
)
from runner.definition.model import Model
from runner.notices.access_codes import (
    ACCESS_CODE_PLACEHOLDER,
    hash_access_code,
    new_access_code,
)
from runner.notices.addresses import delivery_address
from runner.notices.texts import INITIAL_STATUS, NoticeStatus, localised, new_notice_code
from runner.settings import public_link
from runner.store import Dossier, DossierSequence, Notice, Recommendation

_CALENDAR = BelgianCalendar()
THIS_STEP = "deze stap"  # what compute_deadline counts from when the diagram names nothing
DEFAULT_NUMBER_FORMAT = "KL-{jaar}-{volgnummer:05d}"
NUMBER_PLACEHOLDERS = ("jaar", "volgnummer")
# A number is typed on the status page (spaces removed, upper-cased) and sits in URLs.
_NUMBER_CHARACTERS = re.compile(r"[A-Z0-9._-]{1,40}")
_NUMBER_SPEC = re.compile(r"0?[1-9]?d?")


@dataclass
class OperatorContext:
    """What an operator may touch: the action's session, dossier, model and instant."""

    session: Session
    dossier: Dossier
    model: Model
    now: datetime
    # Values that must reach a notice but never the stored task data (the access code).
    transient: dict[str, str] = field(default_factory=dict)
    # Encrypts the access code for the outbox (runner.notices.sealing, a key outside the database).
    seal: Callable[[str], str] | None = None

    @property
    def timezone(self) -> ZoneInfo:
        return self.model.timezone

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.timezone).date()


def _next_sequence(session: Session, year: int) -> int:
    """Increment the year's counter under a row lock: unique and gapless, since the
    increment commits or rolls back with the dossier that uses it. Core statements built
    once, on the action's connection (no ORM objects hold these rows)."""
    connection = session.connection()
    value = connection.execute(_INCREMENT_SEQUENCE, {"seq_year": year}).scalar()
    if value is None:
        connection.execute(_first_sequence(connection.dialect.name), {"seq_year": year})
        value = connection.execute(_INCREMENT_SEQUENCE, {"seq_year": year}).scalar_one()
    return value


def _first_sequence(dialect: str) -> Insert:
    """The year's counter at 0, unless a concurrent action made it first."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return (pg_insert(_SEQUENCES).values(year=bindparam("seq_year"), last=0)
                .on_conflict_do_nothing())
    return insert(_SEQUENCES).prefix_with("OR IGNORE").values(year=bindparam("seq_year"), last=0)


_SEQUENCES = cast(Table, DossierSequence.__table__)
_NUMBER_TAKEN = select(Dossier.id).where(Dossier.number == bindparam("number"))
_INCREMENT_SEQUENCE = (update(_SEQUENCES).where(_SEQUENCES.c.year == bindparam("seq_year"))
                       .values(last=_SEQUENCES.c.last + 1).returning(_SEQUENCES.c.last))


def format_dossier_number(fmt: str, year: int, sequence: int) -> str:
    """The dossier number in the format of ``dossiernummer_formaat``: literal text and only
    the placeholders ``{jaar}`` and ``{volgnummer}``, with at most a width such as ``:05d``
    (no attribute or index access, unlike ``str.format``). Raises ModelError otherwise."""
    values = {"jaar": year, "volgnummer": sequence}
    parts = []
    for literal, name, spec, conversion in _format_parts(fmt):
        parts.append(literal)
        if name is None:
            continue
        if name not in values or conversion or not _NUMBER_SPEC.fullmatch(spec or ""):
            raise ModelError(
                f"dossiernummer_formaat: onbekende plaatshouder {{{name}"
                f"{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}; "
                "gebruik alleen {jaar} en {volgnummer}, eventueel met een breedte zoals "
                "{volgnummer:05d}")
        parts.append(format(values[name], spec or ""))
    return "".join(parts)


def dossier_number_problem(fmt: object) -> str | None:
    """Why ``fmt`` cannot number dossiers (None when it can): placeholders, and whether the
    status page and the dossier URLs find a number of that format."""
    if not isinstance(fmt, str):
        return "moet tekst zijn, bijvoorbeeld \"KL-{jaar}-{volgnummer:05d}\""
    try:
        samples = [format_dossier_number(fmt, 2026, n) for n in (1, 99999)]
    except ModelError as err:
        return str(err).removeprefix("dossiernummer_formaat: ")
    if "{volgnummer" not in fmt:
        return ("bevat geen {volgnummer}: elk dossier zou hetzelfde nummer krijgen; "
                "voeg {volgnummer} toe")
    if "{jaar" not in fmt:
        return ("bevat geen {jaar}: het volgnummer begint elk jaar opnieuw bij 1, dus op "
                "1 januari zou een nieuw dossier het nummer van een bestaand dossier krijgen; "
                "voeg {jaar} toe, bijvoorbeeld \"KL-{jaar}-{volgnummer:05d}\"")
    for sample in samples:
        if not _NUMBER_CHARACTERS.fullmatch(sample):
            return (f"geeft nummers zoals '{sample}' die de statuspagina en de dossierlinks "
                    "niet terugvinden (de klager typt het nummer, spaties worden weggelaten "
                    "en letters worden hoofdletters); gebruik alleen hoofdletters, cijfers, "
                    "'-', '_' en '.', zonder spaties, hoogstens 40 tekens")
    return None


def _format_parts(fmt: str) -> list[tuple[str, str | None, str | None, str | None]]:
    try:
        return list(string.Formatter().parse(fmt))
    except ValueError as err:
        raise ModelError(f"dossiernummer_formaat: ongeldig formaat ({err}); schrijf "
                         "plaatshouders als {jaar} en {volgnummer:05d}") from err


def register_dossier(ctx: OperatorContext, task) -> dict:
    """Stap 2: a unique dossier number and an access code (stored only as a hash)."""
    if ctx.dossier.number is None:
        fmt = ctx.model.settings.get("dossiernummer_formaat", DEFAULT_NUMBER_FORMAT)
        number_dossier(ctx, datetime.fromisoformat(task.data["ontvangen_op"]), fmt)
    return {"dossiernummer": ctx.dossier.number, "geregistreerd_op": ctx.now.isoformat()}


def number_dossier(ctx: OperatorContext, received: datetime,
                   fmt: str = DEFAULT_NUMBER_FORMAT) -> None:
    """Give the dossier its number (the next of the receipt's year) and an access code,
    kept in ``ctx.transient`` for the acknowledgement; the code is stored only hashed."""
    dossier = ctx.dossier
    year = ctx.local_date(received).year
    format_dossier_number(fmt, year, 0)  # a bad format fails before a number is used
    sequence = _next_sequence(ctx.session, year)
    number = format_dossier_number(fmt, year, sequence)
    if "{jaar" not in fmt and ctx.session.connection().execute(
            _NUMBER_TAKEN, {"number": number}).first() is not None:
        # A year-less format repeats last year's numbers (lint refuses it; a model deployed
        # without lint gets here): an incident, and the complaint is numbered the default way.
        raise ModelError(f"dossiernummer {number} bestaat al: dossiernummer_formaat {fmt!r} "
                         "bevat geen {jaar} en het volgnummer begint elk jaar opnieuw; voeg "
                         "{jaar} toe aan het formaat en deploy opnieuw")
    dossier.number, dossier.year, dossier.sequence = number, year, sequence
    code = new_access_code()
    dossier.access_code_hash = hash_access_code(code)
    ctx.transient["toegangscode"] = code
    ctx.session.flush()


def _deadline_dict(rule_row: dict, start: date, zone: ZoneInfo, anchor: str) -> dict:
    rule = rule_from_row(rule_row)
    deadline = compute_deadline(rule, start, _CALENDAR, anchor)
    return {
        "termijn": rule.name,
        "dagen": rule.days,
        "eenheid": rule.unit,
        "doorschuiven": rule.roll_forward,
        "interval": f"P{rule.days}D",
        "start": start.isoformat(),
        "anker": anchor,
        "vervaldag": deadline.due.isoformat(),
        "vervalt_op": end_of_day_utc(deadline.due, zone).isoformat(),
        "uitleg": deadline.explanation,
    }


def recompute_deadline(deadline: dict, regels: list[dict], zone: ZoneInfo) -> dict:
    """A computed deadline again from its own start, with its rule as ``regels`` has it now
    (a migration that applies new rule values); unchanged when ``regels`` lacks the rule."""
    rows = {row.get("termijn"): row for row in regels}
    row = rows.get(deadline["termijn"])
    if row is None or "start" not in deadline:
        return deadline
    return _deadline_dict(row, date.fromisoformat(deadline["start"]), zone,
                          deadline.get("anker", RECEIPT))


def _select(regels: list[dict], names: list[str]) -> dict[str, dict]:
    rows = {row["termijn"]: row for row in regels}
    missing = [name for name in names if name not in rows]
    if missing:
        raise ValueError(f"termijn {', '.join(missing)} staat niet in de termijnentabel")
    return {name: rows[name] for name in names}


def compute_deadlines(ctx: OperatorContext, task, regels: list[dict], vanaf: str,
                      termijnen: list[str], anker: str = RECEIPT) -> dict:
    """The named deadline rules of the DMN table, counted from ``vanaf``, the instant of
    ``anker`` (by default the receipt), which the explanations name."""
    start = ctx.local_date(datetime.fromisoformat(vanaf))
    return {name: _deadline_dict(row, start, ctx.timezone, anker)
            for name, row in _select(regels, termijnen).items()}


def compute_one_deadline(ctx: OperatorContext, task, regels: list[dict], termijn: str,
                         vanaf: str | None = None, anker: str = THIS_STEP) -> dict:
    """One deadline rule, counted from ``vanaf`` or from today; ``anker`` names what
    happened then ("het antwoord") in the explanation."""
    row = _select(regels, [termijn])[termijn]
    start = ctx.local_date(datetime.fromisoformat(vanaf) if vanaf else ctx.now)
    return _deadline_dict(row, start, ctx.timezone, anker)


def produce_notice(ctx: OperatorContext, task, soort: str) -> dict:
    """Render a notice in the complainant's language and put it in the outbox."""
    data = task.data
    language = data.get("taal", "nl")
    code = new_notice_code()
    access_code = ctx.transient.get("toegangscode")
    settings = ctx.model.settings
    context = {
        **{key: value for key, value in data.items() if not key.startswith("spiff__")},
        "dossiernummer": ctx.dossier.number,
        "berichtcode": code,
        "ziekenfonds": localised(settings, "ziekenfonds", language),
        "nationale_klachtenbemiddelaar": localised(settings, "nationale_klachtenbemiddelaar",
                                                   language),
        "statuspagina": public_link(settings.get("statuspagina", "/status")),
        "vandaag": ctx.local_date(ctx.now).isoformat(),
        "toegangscode": ACCESS_CODE_PLACEHOLDER if access_code else None,
    }
    rendered = ctx.model.notices(language).render(soort, context)
    channel, recipient = delivery_address(data.get("klager", {}))
    status = INITIAL_STATUS[channel]
    ctx.session.add(Notice(
        dossier_id=ctx.dossier.id, kind=soort, language=language, channel=channel, code=code,
        subject=rendered.subject, body=rendered.body, created_at=ctx.now, recipient=recipient,
        status=status, next_attempt_at=ctx.now if status == NoticeStatus.QUEUED else None,
        sealed_code=_sealed(ctx, access_code, rendered.body),
    ))
    return {"soort": soort, "code": code, "kanaal": channel, "gemaakt_op": ctx.now.isoformat()}


def _sealed(ctx: OperatorContext, access_code: str | None, body: str) -> str | None:
    """The access code sealed for the outbox, when the notice carries it (the stored body
    holds only the placeholder). A context without a seal is a dry run (the lint's)."""
    if not access_code or ACCESS_CODE_PLACEHOLDER not in body or ctx.seal is None:
        return None
    return ctx.seal(access_code)


def close_dossier(ctx: OperatorContext, task, uitkomst: str) -> dict:
    """Stap 7: record the closure and its outcome."""
    ctx.dossier.closed_at = ctx.now
    ctx.dossier.outcome = uitkomst
    return {"uitkomst": uitkomst, "gesloten_op": ctx.now.isoformat()}


def record_recommendations(ctx: OperatorContext, task, aanbevelingen: list[dict]) -> dict:
    """Stap 8: add the recommendations to the improvement register."""
    for item in aanbevelingen:
        ctx.session.add(Recommendation(
            dossier_id=ctx.dossier.id, text=item["tekst"], service=item["dienst"],
            created_at=ctx.now,
        ))
    return {"aantal": len(aanbevelingen)}


def existing_sequence_numbers(session: Session, year: int) -> list[int]:
    """The year's used sequence numbers, sorted (for gap checks)."""
    rows = session.execute(select(Dossier.sequence).where(Dossier.year == year)
                           .order_by(Dossier.sequence))
    return [row[0] for row in rows if row[0] is not None]


# What the diagram's service tasks may call, by the name they give.
OPERATORS: dict[str, Operator] = {
    "register_dossier": register_dossier,
    "compute_deadlines": compute_deadlines,
    "compute_deadline": compute_one_deadline,
    "produce_notice": produce_notice,
    "close_dossier": close_dossier,
    "record_recommendations": record_recommendations,
}
