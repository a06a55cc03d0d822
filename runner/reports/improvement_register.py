"""The improvement register (verbeterregister): the recommendations of step 8, followed up.

Every role that reads dossiers reads the register; the mediators update it: status, owner
(free text: the service or person responsible) and, for a rejection, the reason; follow-up
notes are appended, never edited. An edit names the version it was made on: a recommendation
changed meanwhile is a :class:`Conflict`, never a silent overwrite. Each change is written to
the audit trail of the recommendation's dossier, old value and new.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.orm.exc import StaleDataError

from runner.accounts.users import READ_REGISTER, UPDATE_REGISTER, Account
from runner.bpmn.errors import Conflict, Forbidden, NotFound, ValidationFailed
from runner.bpmn.store import AuditEntry, transaction
from runner.deadlines.calendar import end_of_day_utc
from runner.deadlines.days import DayNotAccepted, parse_day
from runner.search import contains
from runner.service import Klachten
from runner.store import Dossier, Recommendation, RecommendationNote

OPEN, IN_PROGRESS, DONE, REJECTED = "open", "in_behandeling", "uitgevoerd", "afgewezen"
STATUSES = (OPEN, IN_PROGRESS, DONE, REJECTED)
NO_OWNER = "-"  # the owner filter's value for "nobody responsible yet"
PAGE_SIZE = 25
MAX_OWNER, MAX_REASON, MAX_NOTE, MAX_SEARCH = 200, 2000, 4000, 100
AUDIT_CHANGED, AUDIT_NOTE, AUDIT_ELEMENT = ("aanbeveling gewijzigd", "opvolgnotitie toegevoegd",
                                            "verbeterregister")
_ORDER = case({status: rank for rank, status in enumerate(STATUSES)},
              value=Recommendation.status, else_=len(STATUSES))
SORTS: dict[str, tuple] = {
    "nieuwste": (Recommendation.created_at.desc(), Recommendation.id.desc()),
    "oudste": (Recommendation.created_at.asc(), Recommendation.id.asc()),
    "dossier": (Dossier.number.asc(), Recommendation.id.asc()),
    "dienst": (func.lower(Recommendation.service).asc(), Recommendation.id.asc()),
    "status": (_ORDER.asc(), Recommendation.created_at.desc(), Recommendation.id.desc()),
}


@dataclass(frozen=True)
class RegisterQuery:
    """Filters as typed in the page's form: plain strings, checked by :meth:`Register.page`."""

    status: str = ""
    service: str = ""
    owner: str = ""
    date_from: str = ""
    date_to: str = ""
    search: str = ""
    sort: str = "nieuwste"
    page: int = 1

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> RegisterQuery:
        """The query from the filter form's (or the API's) parameters, cut to size."""
        page = fields.get("pagina", "")
        return cls(status=fields.get("status", "")[:20], service=fields.get("dienst", "")[:200],
                   owner=fields.get("eigenaar", "")[:MAX_OWNER],
                   date_from=fields.get("van", "")[:10], date_to=fields.get("tot", "")[:10],
                   search=fields.get("zoek", "")[:MAX_SEARCH],
                   sort=fields.get("sorteer", "")[:20] or "nieuwste",
                   page=int(page) if page.isdigit() and len(page) < 7 else 1)


@dataclass(frozen=True)
class Note:
    author: str
    at: datetime
    text: str


@dataclass(frozen=True)
class Entry:
    """One recommendation as the register shows it (``notes`` only on the detail page)."""

    id: int
    dossier_number: str
    text: str
    service: str
    status: str
    owner: str
    rejection_reason: str
    created_at: datetime
    updated_at: datetime | None
    version: int
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class RegisterPage:
    rows: list[Entry]
    total: int
    page: int
    pages: int
    query: RegisterQuery
    services: list[str]
    owners: list[str]


@dataclass(frozen=True)
class Change:
    """What a mediator asks for: the new status, owner and rejection reason."""

    status: str
    owner: str = ""
    rejection_reason: str = ""


class Register:
    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    # ----- reading
    def page(self, account: Account, query: RegisterQuery) -> RegisterPage:
        """One page of the register, filtered, searched and sorted."""
        _check(account, READ_REGISTER)
        conditions = self._conditions(query)
        order = SORTS.get(query.sort)
        if order is None:
            raise ValidationFailed({"sorteer": f"onbekende sortering {query.sort!r}; kies uit "
                                    f"{', '.join(SORTS)}"}, {"sorteer": "enum"})
        with transaction(self.klachten.factory) as session:
            joined = select(Recommendation, Dossier.number).join(
                Dossier, Dossier.id == Recommendation.dossier_id).where(*conditions)
            total = session.scalar(select(func.count()).select_from(joined.subquery())) or 0
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(1, query.page), pages)
            rows = session.execute(joined.order_by(*order).limit(PAGE_SIZE)
                                   .offset((page - 1) * PAGE_SIZE)).all()
            return RegisterPage([_entry(r, number) for r, number in rows], total, page, pages,
                                query, _distinct(session, Recommendation.service),
                                _distinct(session, Recommendation.owner))

    def entry(self, account: Account, recommendation_id: int) -> Entry:
        """One recommendation with its follow-up notes, oldest first."""
        _check(account, READ_REGISTER)
        with transaction(self.klachten.factory) as session:
            recommendation = _get(session, recommendation_id)
            notes = session.scalars(select(RecommendationNote).where(
                RecommendationNote.recommendation_id == recommendation.id)
                .order_by(RecommendationNote.at, RecommendationNote.id))
            number = session.scalar(select(Dossier.number).where(
                Dossier.id == recommendation.dossier_id))
            return _entry(recommendation, number,
                          tuple(Note(n.author, n.at, n.text) for n in notes))

    # ----- following up
    def update(self, account: Account, recommendation_id: int, change: Change,
               expected_version: int | None) -> bool:
        """Apply ``change`` if the recommendation is still at ``expected_version``; returns
        whether anything changed. Invalid input changes nothing."""
        _check(account, UPDATE_REGISTER)
        wanted = _validated(change)
        if expected_version is None:
            raise ValidationFailed({"versie": "de versie van het formulier ontbreekt"},
                                   {"versie": "required"})
        try:
            with transaction(self.klachten.factory) as session:
                recommendation = _get(session, recommendation_id, for_update=True)
                if recommendation.version != expected_version:
                    raise Conflict(f"aanbeveling {recommendation_id} werd intussen gewijzigd "
                                   f"(versie {recommendation.version}, niet {expected_version})")
                changes = {field: {"van": getattr(recommendation, attribute), "naar": value}
                           for field, (attribute, value) in wanted.items()
                           if getattr(recommendation, attribute) != value}
                if not changes:
                    return False
                now = self.klachten.clock.now(session)
                for attribute, value in wanted.values():
                    setattr(recommendation, attribute, value)
                recommendation.updated_at = now
                _audit(session, recommendation, account, now, AUDIT_CHANGED,
                       {"aanbeveling": recommendation.id, "wijzigingen": changes})
                session.flush()
        except StaleDataError as error:  # the version check of the UPDATE itself
            raise Conflict(f"aanbeveling {recommendation_id} werd intussen gewijzigd") from error
        return True

    def add_note(self, account: Account, recommendation_id: int, text: str) -> None:
        """Append a follow-up note (notes are never edited, so no version is needed)."""
        _check(account, UPDATE_REGISTER)
        text = text.strip()
        if not text:
            raise ValidationFailed({"notitie": "schrijf een notitie"}, {"notitie": "required"})
        if len(text) > MAX_NOTE:
            raise ValidationFailed({"notitie": f"maximaal {MAX_NOTE} tekens"},
                                   {"notitie": "maxLength"})
        with transaction(self.klachten.factory) as session:
            recommendation = _get(session, recommendation_id)
            now = self.klachten.clock.now(session)
            session.add(RecommendationNote(recommendation_id=recommendation.id,
                                           author=account.name, at=now, text=text))
            _audit(session, recommendation, account, now, AUDIT_NOTE,
                   {"aanbeveling": recommendation.id, "notitie": text})

    # ----- plumbing
    def _conditions(self, query: RegisterQuery) -> list[Any]:
        conditions: list[Any] = []
        if query.status:
            conditions.append(Recommendation.status == _status(query.status, "status"))
        if query.service:
            conditions.append(Recommendation.service == query.service)
        if query.owner:
            conditions.append(Recommendation.owner == ("" if query.owner == NO_OWNER
                                                       else query.owner))
        if query.date_from or query.date_to:
            conditions.extend(self._period(query.date_from, query.date_to))
        term = query.search.strip()[:MAX_SEARCH]
        if term:
            conditions.append(or_(*(contains(column, term) for column in (
                Recommendation.text, Recommendation.service, Dossier.number))))
        return conditions

    def _period(self, date_from: str, date_to: str) -> list[Any]:
        """Recorded on or after ``date_from`` and on or before ``date_to`` (local days)."""
        zone = self.klachten.latest_model().timezone
        first = _day(date_from, "van") if date_from else None
        last = _day(date_to, "tot") if date_to else None
        if first and last and last < first:
            raise ValidationFailed({"tot": "ligt vóór de begindatum"}, {"tot": "minimum"})
        conditions = []
        if first:
            conditions.append(Recommendation.created_at
                              >= datetime.combine(first, time(0), tzinfo=zone))
        if last:
            conditions.append(Recommendation.created_at < end_of_day_utc(last, zone))
        return [and_(*conditions)]


def recommendations_of(session: Session, dossier_id: int) -> list[Entry]:
    """A dossier's recommendations, oldest first (the dossier page lists them)."""
    rows = session.execute(select(Recommendation, Dossier.number).join(Dossier).where(
        Recommendation.dossier_id == dossier_id).order_by(Recommendation.id)).all()
    return [_entry(r, number) for r, number in rows]


def _check(account: Account, permission: str) -> None:
    if not account.may(permission):
        raise Forbidden(f"{account.name} mag het verbeterregister niet "
                        f"{'bijwerken' if permission == UPDATE_REGISTER else 'lezen'}")


def _status(value: str, field: str) -> str:
    if value not in STATUSES:
        raise ValidationFailed({field: _unknown_status(value)}, {field: "enum"})
    return value


def _unknown_status(value: str) -> str:
    return f"onbekende status {value!r}; kies uit {', '.join(STATUSES)}"


def _day(value: str, field: str) -> date:
    try:
        return parse_day(value)
    except DayNotAccepted as refused:
        raise ValidationFailed({field: f"{value!r}: {refused}"}, {field: refused.code}) from None


def _validated(change: Change) -> dict[str, tuple[str, str]]:
    """Field name -> (model attribute, new value); every problem at once."""
    reasons, codes = {}, {}
    status = change.status.strip()
    owner = change.owner.strip()
    reason = change.rejection_reason.strip() if status == REJECTED else ""
    if status not in STATUSES:
        reasons["status"], codes["status"] = _unknown_status(status), "enum"
    if len(owner) > MAX_OWNER:
        reasons["eigenaar"], codes["eigenaar"] = f"maximaal {MAX_OWNER} tekens", "maxLength"
    if status == REJECTED and not reason:
        reasons["reden_afwijzing"] = "een afgewezen aanbeveling vraagt een reden"
        codes["reden_afwijzing"] = "required"
    elif len(reason) > MAX_REASON:
        reasons["reden_afwijzing"] = f"maximaal {MAX_REASON} tekens"
        codes["reden_afwijzing"] = "maxLength"
    if reasons:
        raise ValidationFailed(reasons, codes)
    return {"status": ("status", status), "eigenaar": ("owner", owner),
            "reden_afwijzing": ("rejection_reason", reason)}


def _get(session: Session, recommendation_id: int, for_update: bool = False) -> Recommendation:
    statement = select(Recommendation).where(Recommendation.id == recommendation_id)
    recommendation = session.scalar(statement.with_for_update() if for_update else statement)
    if recommendation is None:
        raise NotFound(f"aanbeveling {recommendation_id} bestaat niet")
    return recommendation


def _audit(session: Session, recommendation: Recommendation, account: Account,
           now: datetime, action: str, details: dict[str, Any]) -> None:
    session.add(AuditEntry(dossier_id=recommendation.dossier_id, at=now, actor=account.name,
                           action=action, element=AUDIT_ELEMENT, details=details))


def _distinct(session: Session, column: InstrumentedAttribute[str | None]) -> list[str]:
    return [v for v in session.scalars(select(column).distinct().order_by(column)) if v]


def _entry(recommendation: Recommendation, number: str | None,
           notes: tuple[Note, ...] = ()) -> Entry:
    return Entry(recommendation.id, number or "", recommendation.text, recommendation.service,
                 recommendation.status, recommendation.owner, recommendation.rejection_reason,
                 recommendation.created_at, recommendation.updated_at, recommendation.version,
                 notes)
