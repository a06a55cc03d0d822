"""The reports for a period: counts, rates, deadline compliance, lead times, open dossiers.

Everything is aggregated in SQL over ``dossier_facts`` (``runner.reports.facts``), a few GROUP BY
queries per report: no dossier and no engine state is loaded. The cohort of a period is the
dossiers *received* in it; lead times are those of the dossiers *closed* in it; the open
dossiers are those open now; recommendations are those *recorded* in the period.

Deadline compliance compares the instant a deadline was met with the due instant the
dossier's own version computed. A deadline counts as missed once it has passed unmet (a
withdrawal before the due date takes the deadline away); one that has not passed yet is
pending and counts in neither. A status-update interval counts when it ends: by an update
(met by the end of its last day, or missed), or by the end of the investigation after the
last day without an update (missed).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from math import ceil
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from runner.accounts.users import READ_REPORTS, Account
from runner.bpmn.errors import Forbidden, ValidationFailed
from runner.bpmn.store import Instance, transaction
from runner.deadlines.calendar import end_of_day_utc
from runner.deadlines.days import DayNotAccepted, parse_day
from runner.deadlines.display import last_day
from runner.definition.model import DEFAULT_TIMEZONE
from runner.privacy.access_log import record_access
from runner.service import Klachten
from runner.store import Dossier, DossierFacts, Recommendation

# Periods are local days of the fund (the facts' received_month is counted the same way).
TIMEZONE = ZoneInfo(DEFAULT_TIMEZONE)
MAX_PERIOD_DAYS = 366 * 5
# Age bands of open dossiers, in days since receipt (acknowledgement, status, answer).
AGE_BANDS: tuple[tuple[int, int | None], ...] = ((0, 8), (9, 21), (22, 45), (46, None))
F = DossierFacts
# Codes as the register's period filter uses them (JSON Schema keywords).
PERIOD_ERRORS = {"minimum": "de einddatum ligt voor de begindatum",
                 "maximum": "kies een periode van hoogstens vijf jaar"}


@dataclass(frozen=True)
class Period:
    """A range of local calendar days, both ends included."""

    first: date
    last: date

    @classmethod
    def last_twelve_months(cls, today: date) -> Period:
        """This month and the eleven before it, up to today: never only zeros on an
        installation younger than a calendar year."""
        start = date(today.year - (1 if today.month < 12 else 0), today.month % 12 + 1, 1)
        return cls(start, today)

    @classmethod
    def parse(cls, first: str | None, last: str | None, today: date) -> Period:
        """The period from ``van``/``tot`` (ISO dates); both empty: the last twelve months."""
        if not first and not last:
            return cls.last_twelve_months(today)
        days, reasons, codes = {}, {}, {}
        for field, value in (("van", first), ("tot", last)):
            try:
                days[field] = parse_day(value or "")
            except DayNotAccepted as refused:
                reasons[field], codes[field] = str(refused), refused.code
        if not codes and days["tot"] < days["van"]:
            reasons["tot"], codes["tot"] = PERIOD_ERRORS["minimum"], "minimum"
        elif not codes and (days["tot"] - days["van"]).days > MAX_PERIOD_DAYS:
            reasons["tot"], codes["tot"] = PERIOD_ERRORS["maximum"], "maximum"
        if codes:
            raise ValidationFailed(reasons, codes)
        return cls(days["van"], days["tot"])

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=TIMEZONE)

    @property
    def end(self) -> datetime:
        """The first instant after the period."""
        return end_of_day_utc(self.last, TIMEZONE)

    @property
    def calendar_year(self) -> int | None:
        """The year, when the period is exactly one calendar year (an annual report)."""
        year = self.first.year
        whole = (self.first, self.last) == (date(year, 1, 1), date(year, 12, 31))
        return year if whole else None

    def months(self) -> list[str]:
        months, day = [], self.first.replace(day=1)
        while day <= self.last:
            months.append(day.strftime("%Y-%m"))
            day = (day + timedelta(days=32)).replace(day=1)
        return months


@dataclass(frozen=True)
class Share:
    """``count`` out of ``total``, with the percentage (None when nothing was counted)."""

    count: int
    total: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.count / self.total, 1) if self.total else None


@dataclass(frozen=True)
class Compliance:
    met: int
    missed: int
    pending: int = 0

    @property
    def share(self) -> Share:
        return Share(self.met, self.met + self.missed)


@dataclass(frozen=True)
class LeadTime:
    closed: int
    median_days: int | None
    p90_days: int | None


@dataclass(frozen=True)
class Report:
    period: Period
    at: datetime  # when the report was made (the clock's now)
    received: int
    per_month: list[tuple[str, int]]
    per_category: list[tuple[str, int]]
    per_channel: list[tuple[str, int]]
    admissible: Share
    inadmissible_reasons: list[tuple[str, int]]
    outcomes: list[tuple[str, int]]
    escalated: Share
    national_outcomes: list[tuple[str, int]]
    acknowledgements: Compliance
    status_updates: Compliance
    answers: Compliance
    national_answers: Compliance
    lead_time: LeadTime
    open_by_step: list[tuple[str, list[int]]]
    recommendations: list[tuple[str, int]]

    @property
    def made_on(self) -> date:
        return self.at.astimezone(TIMEZONE).date()


class ReportDesk:
    """What the report pages call: the period, the figures, the rows of the CSV export."""

    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    @staticmethod
    def _check(account: Account) -> None:
        if not account.may(READ_REPORTS):
            raise Forbidden(f"{account.name} mag de rapporten niet inzien")

    def period(self, first: str | None, last: str | None) -> Period:
        today = self.klachten.clock.now().astimezone(TIMEZONE).date()
        return Period.parse(first, last, today)

    def report(self, account: Account, period: Period) -> Report:
        self._check(account)
        with transaction(self.klachten.factory) as session:
            return build_report(session, period, self.klachten.clock.now(session))

    def rows(self, account: Account, period: Period) -> Iterator[list[str]]:
        """The CSV export: the header, then one row per dossier, read in batches."""
        self._check(account)
        with transaction(self.klachten.factory) as session:
            record_access(session, self.klachten, account.name, None,
                          f"CSV-export {period.first.isoformat()} tot {period.last.isoformat()}")
        yield list(CSV_COLUMNS)
        with transaction(self.klachten.factory) as session:
            for row in csv_rows(session, period, self.klachten.clock.now(session)):
                yield [spreadsheet_safe(cell) for cell in row]


def build_report(session: Session, period: Period, now: datetime) -> Report:
    """Every figure of the period: one pass for the totals and the deadlines, one GROUP BY
    per breakdown (each served by a covering index on its column and ``received_at``)."""
    cohort = and_(F.received_at >= period.start, F.received_at < period.end)
    totals = _totals(session, cohort, now)
    months = dict(_counts(session, F.received_month, cohort))
    return Report(
        period=period, at=now, received=totals["received"],
        per_month=[(month, months.get(month, 0)) for month in period.months()],
        per_category=_counts(session, F.category, cohort),
        per_channel=_counts(session, F.channel, cohort),
        admissible=Share(totals["admissible"], totals["decided"]),
        inadmissible_reasons=_counts(session, F.inadmissible_reason,
                                     and_(cohort, F.inadmissible_reason.is_not(None))),
        outcomes=_counts(session, F.answer_outcome, and_(cohort, F.answer_outcome.is_not(None))),
        escalated=Share(totals["escalated"], totals["answered"]),
        national_outcomes=_counts(session, F.national_outcome,
                                  and_(cohort, F.national_outcome.is_not(None))),
        acknowledgements=_compliance(totals, "ack"),
        status_updates=Compliance(totals["status_met"], totals["status_missed"]),
        answers=_compliance(totals, "answer"),
        national_answers=_compliance(totals, "national"),
        lead_time=_lead_time(session, period),
        open_by_step=_open_by_step(session, now),
        recommendations=_counts(session, Recommendation.status, and_(
            Recommendation.created_at >= period.start, Recommendation.created_at < period.end)),
    )


def _counts(session: Session, column: InstrumentedAttribute[str | None],
            where: ColumnElement[bool]) -> list[tuple[str, int]]:
    """``column`` value and count, most frequent first (ties by value)."""
    count = func.count().label("n")
    rows = session.execute(select(column, count).where(where).group_by(column)
                           .order_by(count.desc(), column))
    return [(value if value is not None else "", n) for value, n in rows]


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


DEADLINES = {"ack": (F.ack_due_at, F.ack_at), "answer": (F.answer_due_at, F.answer_at),
             "national": (F.national_due_at, F.national_at)}


def _deadline_flags(name: str, due: InstrumentedAttribute[datetime | None],
                    done: InstrumentedAttribute[datetime | None],
                    now: datetime) -> dict[str, ColumnElement[int]]:
    """Met: done by the due instant. Missed: done later, or not done and the due instant
    passed while the dossier was open. Pending: not done and not due yet."""
    unmet_passed = and_(done.is_(None), due < now,
                        or_(F.closed_at.is_(None), F.closed_at > due))
    return {f"{name}_met": _flag(done <= due),
            f"{name}_missed": _flag(or_(done > due, unmet_passed)),
            f"{name}_pending": _flag(and_(done.is_(None), due >= now))}


def _totals(session: Session, cohort: ColumnElement, now: datetime) -> dict[str, int]:
    """The counts and every deadline's met, missed and pending, in one pass."""
    columns = {
        "received": func.count(), "decided": _flag(F.admissible.is_not(None)),
        "admissible": _flag(F.admissible.is_(True)),
        "answered": _flag(F.answer_outcome.is_not(None)),
        "escalated": _flag(F.escalated.is_(True)),
        "status_met": func.coalesce(func.sum(F.status_met), 0),
        "status_missed": func.coalesce(func.sum(F.status_missed), 0),
    }
    for name, (due, done) in DEADLINES.items():
        columns.update(_deadline_flags(name, due, done, now))
    row = session.execute(select(*(c.label(k) for k, c in columns.items())).where(cohort)).one()
    return {key: int(value) for key, value in row._mapping.items()}


def _compliance(totals: dict[str, int], name: str) -> Compliance:
    return Compliance(totals[f"{name}_met"], totals[f"{name}_missed"], totals[f"{name}_pending"])


def _lead_time(session: Session, period: Period) -> LeadTime:
    """Median and 90th percentile (nearest rank) of the days from receipt to closure."""
    closed = and_(F.closed_at >= period.start, F.closed_at < period.end, F.lead_days.is_not(None))
    count = session.scalar(select(func.count()).where(closed)) or 0

    def rank(fraction: float) -> int | None:
        if not count:
            return None
        return session.scalar(select(F.lead_days).where(closed).order_by(F.lead_days)
                              .offset(ceil(fraction * count) - 1).limit(1))

    return LeadTime(count, rank(0.5), rank(0.9))


def _open_by_step(session: Session, now: datetime) -> list[tuple[str, list[int]]]:
    """Dossiers open now (not closed), per step and per age band since receipt."""
    bands = []
    for low, high in AGE_BANDS:
        newest = now - timedelta(days=low)
        band = Dossier.received_at <= newest
        if high is not None:
            band = and_(band, Dossier.received_at > now - timedelta(days=high + 1))
        bands.append(_flag(band))
    rows = session.execute(
        select(Instance.step, *bands).join(Dossier, Dossier.id == Instance.dossier_id)
        .where(Dossier.closed_at.is_(None)).group_by(Instance.step).order_by(Instance.step))
    return [(step, [int(n) for n in counts]) for step, *counts in rows]


# ----- the pseudonymised rows behind the figures
CSV_COLUMNS = (
    "dossiernummer", "ontvangen_op", "afgesloten_op", "categorie", "kanaal", "ontvankelijk",
    "reden_niet_ontvankelijk", "uitkomst", "geescaleerd", "uitkomst_nationaal",
    "eindresultaat", "ontvangstmelding_vervaldag", "ontvangstmelding_op_tijd",
    "antwoord_vervaldag", "antwoord_op_tijd", "nationaal_antwoord_vervaldag",
    "nationaal_antwoord_op_tijd", "statusberichten_op_tijd", "statusberichten_te_laat",
    "doorlooptijd_dagen",
)


# A cell starting with one of these is a formula to a spreadsheet (OWASP, CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(cell: str) -> str:
    """A cell that a spreadsheet shows as text: a leading formula character gets a quote."""
    return f"'{cell}" if cell.startswith(_FORMULA_START) else cell


def csv_rows(session: Session, period: Period, now: datetime,
             batch: int = 2000) -> Iterator[list[str]]:
    """One row per dossier received in the period: dates, classification, deadlines met.
    No name, address, contact detail or complaint text: those are not in the facts."""
    query = (select(Dossier.number, *(getattr(F, name) for name in _CSV_FACTS))
             .join(Dossier, Dossier.id == F.dossier_id)
             .where(F.received_at >= period.start, F.received_at < period.end)
             .order_by(F.received_at, F.dossier_id).execution_options(yield_per=batch))
    for row in session.execute(query):
        f = row._mapping
        yield [
            row.number or "", _day(f["received_at"]), _day(f["closed_at"]), f["category"],
            f["channel"], _yes_no(f["admissible"]), f["inadmissible_reason"] or "",
            f["answer_outcome"] or "", _yes_no(f["escalated"]), f["national_outcome"] or "",
            f["outcome"] or "",
            *(value for name in DEADLINES for value in (
                _day(f[f"{name}_due_at"], before=True),
                _met(f[f"{name}_due_at"], f[f"{name}_at"], f["closed_at"], now))),
            str(f["status_met"]), str(f["status_missed"]),
            "" if f["lead_days"] is None else str(f["lead_days"]),
        ]


_CSV_FACTS = ("received_at", "closed_at", "category", "channel", "admissible",
              "inadmissible_reason", "answer_outcome", "escalated", "national_outcome",
              "outcome", "ack_due_at", "ack_at", "answer_due_at", "answer_at", "national_due_at",
              "national_at", "status_met", "status_missed", "lead_days")


def _day(instant: datetime | None, before: bool = False) -> str:
    """The local date of ``instant``; ``before``: ``instant`` is a due instant (the first
    moment after the due day), give its last day as every view does."""
    if instant is None:
        return ""
    if before:
        return last_day(instant, TIMEZONE).isoformat()
    return instant.astimezone(TIMEZONE).date().isoformat()


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("ja" if value else "nee")


def _met(due: datetime | None, done: datetime | None, closed: datetime | None,
         now: datetime) -> str:
    """The same rule as :func:`_compliance`, for one dossier: ja, nee or empty (pending)."""
    if due is None:
        return ""
    if done is not None:
        return _yes_no(done <= due)
    passed = due < now and (closed is None or closed > due)
    return "nee" if passed else ""
