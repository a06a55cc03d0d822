"""The dossier list: every dossier in every state, for every staff role that may read
dossiers, searched, filtered, sorted and paged in one query.

The search looks in the dossier number, the complainant's name, e-mail address and member
number and the complaint's words, through the search index of :mod:`runner.search` (a
term of three characters or more; a shorter one is a LIKE on the number and the name). The
filters are columns of ``dossiers`` with an index: the owner (``runner.work.ownership``),
the state, step and next due date that :mod:`runner.work.dossier_state` derives after
every action, the category, the channel, the period of receipt. As in the werkbak (ADR
14), the count stops at :data:`~runner.work.inbox.COUNT_LIMIT`, so that a page costs about
the same with 100 000 dossiers as with 10 000.

Every listed dossier is written to the access log (the list shows names: personal data).
An erased dossier is still listed, by its number, and is no longer found by what was erased.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, literal, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from runner.accounts.users import READ_DOSSIERS, Account, Accounts
from runner.bpmn.case import spec_properties
from runner.bpmn.clock import as_utc
from runner.bpmn.errors import Forbidden, ValidationFailed
from runner.bpmn.store import transaction
from runner.deadlines.calendar import end_of_day_utc
from runner.deadlines.display import last_day
from runner.definition.model import Model
from runner.results import NOT_IN_JSON, in_json
from runner.search import ALL_COLUMNS, MAX_TERM, dossier_contains, indexed, matching_dossiers
from runner.service import COMPLAINT_FORM, Klachten
from runner.store import AccessEntry, Dossier
from runner.work.dossier_state import STATES
from runner.work.inbox import COUNT_LIMIT, PAGE_SIZE, deadline_state

LATE, DUE_WITHIN = "te_laat", "binnen"
DEADLINES = (LATE, DUE_WITHIN)
DEFAULT_WITHIN, MAX_WITHIN = 7, 365
LISTED = "dossierlijst"  # what the access log says of a listed dossier
SORTS = {"ontvangen": Dossier.received_at, "dossier": Dossier.number,
         "klager": Dossier.complainant_name, "categorie": Dossier.category,
         "kanaal": Dossier.channel, "status": Dossier.state, "stap": Dossier.step,
         "vervaldag": Dossier.due_at}
DEFAULT_SORT = "ontvangen"


@dataclass(frozen=True)
class DossierQuery:
    """What the list is asked: each field is a query parameter (``zoek``, ``status``, ...)."""

    search: str = field(default="", metadata={"name": "zoek"})
    state: str = field(default="", metadata={"name": "status"})
    step: str = field(default="", metadata={"name": "stap"})
    category: str = field(default="", metadata={"name": "categorie"})
    owner: str = field(default="", metadata={"name": "eigenaar"})
    channel: str = field(default="", metadata={"name": "kanaal"})
    received_from: date | None = field(default=None, metadata={"name": "van"})
    received_to: date | None = field(default=None, metadata={"name": "tot"})
    deadline: str = field(default="", metadata={"name": "termijn"})
    within_days: int = field(default=DEFAULT_WITHIN, metadata={"name": "dagen"})
    sort: str = field(default=DEFAULT_SORT, metadata={"name": "sorteer"})
    descending: bool = field(default=True, metadata={"name": "richting"})
    page: int = field(default=1, metadata={"name": "pagina"})

    def as_fields(self, page: bool = False) -> dict[str, str]:
        """The query parameters that differ from the defaults (``pagina`` only when asked):
        what a link or a saved view keeps."""
        shown: dict[str, str] = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if value == item.default or (item.name == "page" and not page):
                continue
            name = item.metadata["name"]
            if isinstance(value, bool):
                shown[name] = "af" if value else "op"
            else:
                shown[name] = value.isoformat() if isinstance(value, date) else str(value)
        return shown

    def filtered(self) -> bool:
        """Whether anything narrows the list (the sort and the page do not)."""
        return any(getattr(self, name) != getattr(DossierQuery, name, None) for name in (
            "search", "state", "step", "category", "owner", "channel", "received_from",
            "received_to", "deadline"))


PARAMETERS = tuple(item.metadata["name"] for item in fields(DossierQuery))


@dataclass(frozen=True)
class Choices:
    """The values each filter takes, from the model and the users."""

    states: tuple[str, ...]
    steps: tuple[str, ...]
    categories: tuple[str, ...]
    channels: tuple[str, ...]
    owners: tuple[str, ...]


@dataclass(frozen=True)
class DossierRow:
    """A dossier on the list (in the API's JSON: ``DossierRegel``)."""

    number: str = field(metadata=in_json("dossiernummer"))
    complainant: str = field(metadata=in_json("klager"))
    category: str = field(metadata=in_json("categorie"))
    channel: str = field(metadata=in_json("kanaal"))
    state: str = field(metadata=in_json("status"))
    step: str = field(metadata=in_json("stap"))
    received_on: date = field(metadata=in_json("ontvangen_op"))
    due_at: datetime | None = field(metadata=in_json("vervaldatum"))
    last_day: date | None = field(metadata=in_json("laatste_dag"))
    deadline_state: str | None = field(metadata=in_json("termijn"))
    owner: str | None = field(metadata=in_json("eigenaar"))
    erased: bool = field(default=False, metadata=in_json("gewist"))
    closed_on: date | None = field(default=None, metadata=NOT_IN_JSON)


@dataclass(frozen=True)
class DossierPage:
    rows: list[DossierRow]
    total: int
    more: bool  # more dossiers match than ``total`` (COUNT_LIMIT)
    page: int
    pages: int
    query: DossierQuery
    choices: Choices


class DossierList:
    def __init__(self, klachten: Klachten, accounts: Accounts):
        self.klachten = klachten
        self.accounts = accounts

    def choices(self, model: Model | None = None) -> Choices:
        model = model or self.klachten.latest_model()
        steps = {step for spec in model.all_task_specs()
                 if (step := spec_properties(spec).get("stap"))}
        channels = model.form(COMPLAINT_FORM)["properties"]["kanaal"].get("enum", [])
        return Choices(STATES, tuple(sorted(steps)),
                       tuple(model.settings.get("categorieen", [])), tuple(channels),
                       tuple(sorted(a.name for a in self.accounts.list())))

    def parse(self, given: Mapping[str, str]) -> DossierQuery:
        """A query from its parameters (the page's, the API's, the command line's), each
        checked: an unknown value is a :class:`ValidationFailed` naming the choices."""
        return parse_query(given, self.choices())

    def page(self, account: Account, query: DossierQuery, what: str = LISTED) -> DossierPage:
        """One page of the list for ``account``; each dossier on it is access-logged as
        ``what``."""
        if not account.may(READ_DOSSIERS):
            raise Forbidden(f"{account.name} mag geen dossiers inzien")
        model = self.klachten.latest_model()
        choices = self.choices(model)
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            condition = _conditions(session, query, now, model.timezone)
            counted = session.scalar(select(func.count()).select_from(
                select(literal(1)).select_from(Dossier).where(condition)
                .limit(COUNT_LIMIT + 1).subquery())) or 0
            total, more = min(counted, COUNT_LIMIT), counted > COUNT_LIMIT
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(1, query.page), pages)
            dossiers = list(session.scalars(
                select(Dossier).where(condition).order_by(*_order(query))
                .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)))
            session.add_all(AccessEntry(dossier_id=d.id, user=account.name[:100],
                                        what=what[:200], at=now) for d in dossiers)
            rows = [_row(d, now, model.timezone) for d in dossiers]
        return DossierPage(rows, total, more, page, pages, replace(query, page=page), choices)


def parse_query(given: Mapping[str, str], choices: Choices) -> DossierQuery:
    """:meth:`DossierList.parse` against known ``choices``; every wrong value is named."""
    reasons: dict[str, str] = {}
    codes: dict[str, str] = {}
    values: dict[str, Any] = {}

    def refuse(name: str, reason: str, code: str = "enum") -> None:
        reasons[name], codes[name] = reason, code

    unknown = sorted(set(given) - set(PARAMETERS))
    for name in unknown:
        refuse(name, f"onbekende filter; kies uit {', '.join(PARAMETERS)}",
               "additionalProperties")
    text = {name: str(given.get(name) or "").strip() for name in PARAMETERS}
    for name, value in text.items():
        if "\x00" in value:
            refuse(name, "bevat een ongeldig teken (NUL)", "pattern")
            text[name] = ""
    if len(text["zoek"]) > MAX_TERM:
        refuse("zoek", f"hoogstens {MAX_TERM} tekens", "maxLength")
    values["search"] = text["zoek"][:MAX_TERM]
    for name, attribute, allowed, what in (
            ("status", "state", choices.states, "status"),
            ("stap", "step", choices.steps, "stap"),
            ("categorie", "category", choices.categories, "categorie"),
            ("kanaal", "channel", choices.channels, "kanaal"),
            ("eigenaar", "owner", choices.owners, "gebruiker"),
            ("termijn", "deadline", DEADLINES, "termijn"),
            ("sorteer", "sort", tuple(SORTS), "sortering")):
        value = text[name]
        if value and value not in allowed:
            refuse(name, f"onbekende {what} {value[:40]!r}; kies uit {', '.join(allowed)}")
        elif value:
            values[attribute] = value
    for name, attribute in (("van", "received_from"), ("tot", "received_to")):
        if text[name]:
            try:
                values[attribute] = date.fromisoformat(text[name])
            except ValueError:
                refuse(name, f"{text[name][:40]!r} is geen datum zoals 2026-03-31", "format")
    if values.get("received_from") and values.get("received_to") and (
            values["received_from"] > values["received_to"]):
        refuse("tot", "ligt vóór de datum 'van'", "minimum")
    for name, attribute, low, high in (("dagen", "within_days", 1, MAX_WITHIN),
                                       ("pagina", "page", 1, 2_147_483_647)):
        if text[name]:
            if not text[name].isdigit() or not low <= int(text[name]) <= high:
                refuse(name, f"geef een geheel getal van {low} tot {high}", "type")
            else:
                values[attribute] = int(text[name])
    if text["richting"] and text["richting"] not in ("op", "af"):
        refuse("richting", "kies op of af")
    elif text["richting"]:
        values["descending"] = text["richting"] == "af"
    if reasons:
        raise ValidationFailed(reasons, codes)
    return DossierQuery(**values)


def _conditions(session: Session, query: DossierQuery, now: datetime,
                timezone: ZoneInfo) -> ColumnElement[bool]:
    found: list[ColumnElement[bool]] = []
    if query.search and indexed(query.search):
        found.append(Dossier.id.in_(matching_dossiers(
            query.search, session.get_bind().dialect.name, ALL_COLUMNS)))
    elif query.search:
        found.append(dossier_contains(query.search))
    for attribute, column in (("state", Dossier.state), ("step", Dossier.step),
                              ("category", Dossier.category), ("channel", Dossier.channel)):
        if value := getattr(query, attribute):
            found.append(column == value)
    if query.owner:
        found.append(owned_by(query.owner))
    if query.received_from:
        found.append(Dossier.received_at >= end_of_day_utc(
            query.received_from - timedelta(days=1), timezone))
    if query.received_to:
        found.append(Dossier.received_at < end_of_day_utc(query.received_to, timezone))
    if query.deadline == LATE:
        found.append(Dossier.due_at < now)
    elif query.deadline == DUE_WITHIN:
        found.append(and_(Dossier.due_at >= now,
                          Dossier.due_at < now + timedelta(days=query.within_days)))
    return and_(*found) if found else true()


def owned_by(name: str) -> ColumnElement[bool]:
    """The dossiers ``name`` owns (``runner.work.ownership``)."""
    return Dossier.owner == name


def _order(query: DossierQuery) -> tuple:
    column = SORTS.get(query.sort, SORTS[DEFAULT_SORT])
    ordered = column.desc() if query.descending else column.asc()
    tie = Dossier.id.desc() if query.descending else Dossier.id.asc()
    return ordered.nulls_last(), tie


def _row(dossier: Dossier, now: datetime, timezone: ZoneInfo) -> DossierRow:
    due = dossier.due_at
    return DossierRow(
        dossier.number or "", dossier.complainant_name, dossier.category, dossier.channel,
        dossier.state, dossier.step, as_utc(dossier.received_at).astimezone(timezone).date(),
        due, last_day(due, timezone) if due else None,
        deadline_state(due, now) if due else None, dossier.owner,
        dossier.erased_at is not None,
        as_utc(dossier.closed_at).astimezone(timezone).date() if dossier.closed_at else None)


def access_what(channel: str) -> str:
    """What the access log says of a dossier listed through ``channel`` (API, the command
    line): ``dossierlijst (API)``."""
    return f"{LISTED} ({channel})"

