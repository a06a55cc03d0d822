"""The mediators' inbox (werkbak): one page of open tasks for a user's lanes, in one query.

Sorted by due date (or another column, either way); each row says whether its deadline is
on time, due within two days or overdue, from the clock. Filters (step, category,
overdue), a search on the dossier number or the complainant's name (through the trigram
index of ``runner.search``), and pagination. The
national re-examination is not offered to anyone who completed a task of the first
handling in that dossier (``andere_gebruiker_dan``). The view ``mijn`` lists the tasks of
the user's own dossiers, those the user holds, and those nobody holds (a new complaint, a
re-examination: someone has to pick them up); ``alle`` every task of the user's lanes. A claim is a
lock (``runner.work.ownership``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, false, func, literal, not_, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from runner.accounts.users import Account, Accounts
from runner.bpmn import claims
from runner.bpmn.case import spec_properties
from runner.bpmn.clock import as_utc
from runner.bpmn.errors import Forbidden
from runner.bpmn.store import AuditEntry, Instance, OpenTask, transaction
from runner.deadlines.display import last_day
from runner.definition.model import Model
from runner.results import NOT_IN_JSON, in_json
from runner.search import dossier_contains, indexed, matching_dossiers, unindexed
from runner.service import TASK_COMPLETED, Klachten, separated_from
from runner.store import Dossier
from runner.work import language_check
from runner.work.language_check import LanguageWarning
from runner.work.ownership import Ownership
from runner.work.task_form import TaskForm, data_from_fields, describe, labels_and_limits, text

ON_TIME, DUE_SOON, OVERDUE = "op_tijd", "binnenkort", "te_laat"
DUE_SOON_WITHIN = timedelta(days=2)
PAGE_SIZE = 25
COUNT_LIMIT = 1000  # tasks counted; beyond it the werkbak says "more than 1 000"
FEW_HITS = 300  # a search with at most this many hits is listed from the search index


# The columns the werkbak sorts on (``sorteer``), each with the dossier number as tie-break.
SORTS = {"vervaldag": OpenTask.due_at, "dossier": Dossier.number,
         "klager": Dossier.complainant_name, "categorie": Dossier.category,
         "stap": OpenTask.step, "taak": OpenTask.title, "behandelaar": OpenTask.claimed_by,
         "ontvangen": Dossier.received_at}
DEFAULT_SORT = "vervaldag"
MINE, ALL = "mijn", "alle"  # the werkbak's views


@dataclass(frozen=True)
class InboxQuery:
    step: str = ""
    category: str = ""
    overdue: bool = False
    search: str = ""
    page: int = 1
    sort: str = DEFAULT_SORT
    descending: bool = False
    view: str = ALL
    user: str = ""  # whose dossiers the view ``mijn`` shows

    def order(self) -> tuple:
        """ORDER BY of the sort column (unknown names sort by due date), empty last."""
        column = SORTS.get(self.sort, SORTS[DEFAULT_SORT])
        ordered = column.desc() if self.descending else column.asc()
        return ordered.nulls_last(), Dossier.number


@dataclass(frozen=True)
class InboxRow:
    """A task on the werkbak (in the API's JSON: ``Taak``)."""

    task_id: str = field(metadata=in_json("id"))
    dossier_number: str = field(metadata=in_json("dossiernummer"))
    complainant: str = field(metadata=in_json("klager"))
    category: str = field(metadata=in_json("categorie"))
    step: str = field(metadata=in_json("stap"))
    title: str = field(metadata=in_json("titel"))
    lane: str = field(metadata=in_json("rol"))
    due_at: datetime | None = field(metadata=in_json("vervaldatum"))
    deadline_state: str = field(metadata=in_json("termijn"))  # ON_TIME, DUE_SOON, OVERDUE
    claimed_by: str | None = field(metadata=in_json("geclaimd_door"))
    received_on: date | None = field(default=None, metadata=NOT_IN_JSON)
    # The user task's id in the diagram (labelled in labels.json).
    task_name: str = field(default="", metadata=NOT_IN_JSON)
    # The deadline's last day (runner.deadlines.display).
    last_day: date | None = field(default=None, metadata=in_json("laatste_dag"))
    claimed_at: datetime | None = field(default=None, metadata=in_json("geclaimd_sinds"))
    owner: str | None = field(default=None, metadata=in_json("eigenaar"))


@dataclass(frozen=True)
class InboxPage:
    rows: list[InboxRow]
    total: int
    page: int
    pages: int
    query: InboxQuery
    steps: list[str]
    categories: list[str]
    more: bool = False  # more tasks match than ``total`` (COUNT_LIMIT)


def deadline_state(due_at: datetime | None, now: datetime) -> str:
    if due_at is None or due_at > now + DUE_SOON_WITHIN:
        return ON_TIME
    return OVERDUE if due_at < now else DUE_SOON


class Inbox:
    def __init__(self, klachten: Klachten, accounts: Accounts):
        self.klachten = klachten
        self.accounts = accounts

    def page(self, account: Account, query: InboxQuery) -> InboxPage:
        # The model is read once (its own transaction), before the page's transaction.
        model = self.klachten.latest_model()
        lanes = self.accounts.lanes(account, model)
        visibility = self._visibility(account, model)
        visible = visibility(True)
        by_index = indexed(query.search)
        # With a term the index can look up, the count goes from the dossiers it finds to
        # their tasks by dossier id: the lane's index must not be walked (runner.search).
        counting = visibility(False) if by_index else visible
        categories = list(model.settings.get("categorieen", []))
        steps = _steps(model, lanes)
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            found = []
            if query.step:
                found.append(OpenTask.step == query.step)
            if query.overdue:
                found.append(OpenTask.due_at < now)
            if by_index:
                found.append(OpenTask.dossier_id.in_(
                    matching_dossiers(query.search, session.get_bind().dialect.name)))
            on_dossier = _dossier_filter(query)
            total, more = _count(session, and_(counting, *found), on_dossier)
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(max(1, query.page), pages)
            # Few hits: fetch them by dossier id and sort them. Many: walk the lane in the
            # order asked (ix_open_tasks_lane_due) until a page is full, which is soon.
            shown = counting if total <= FEW_HITS else visible
            listed = (select(OpenTask, Dossier).join(Dossier, Dossier.id == OpenTask.dossier_id)
                      .where(shown, *found))
            if on_dossier is not None:
                listed = listed.where(on_dossier)
            # NULLS LAST in the ORDER BY itself (not an IS NULL expression), so the database
            # walks ix_open_tasks_lane_due instead of sorting every visible task.
            rows = session.execute(
                listed.order_by(*query.order())
                .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()

            listed_rows = [_row(task, dossier, now, model.timezone) for task, dossier in rows]
            return InboxPage(listed_rows, total, page, pages, query, steps, categories, more)

    def claim(self, account: Account, task_id: str, take_over: str | None = None) -> None:
        """Assign an open task to oneself; a task someone else holds only when taken over
        with a reason (``take_over``)."""
        self.check_may_work(account, task_id)
        self.ownership.claim(account, task_id, take_over)

    def complete(self, account: Account, task_id: str, data: dict[str, Any],
                 expected_version: int | None = None, take_over: str | None = None) -> str:
        """Complete a task as ``account``: only in its lanes; the runner guards the rest
        (validation, separation of duties, another's claim unless ``take_over`` gives the
        reason to take it over, conflicts). Returns the dossier number."""
        self.check_may_work(account, task_id)
        return self.klachten.complete_task(task_id, data, account.name, expected_version,
                                           take_over=take_over)

    @property
    def ownership(self) -> Ownership:
        """Owners, claims, take-overs and assignments (:mod:`runner.work.ownership`)."""
        return Ownership(self.klachten)

    def next_task(self, account: Account, number: str) -> str | None:
        """The dossier's open task that ``account`` holds (where a mediator goes after
        completing one), or None."""
        with transaction(self.klachten.factory) as session:
            return session.scalar(select(OpenTask.id).join(Dossier).where(
                Dossier.number == number, OpenTask.claimed_by == account.name)
                .order_by(OpenTask.due_at.is_(None), OpenTask.due_at).limit(1))

    def form(self, account: Account, task_id: str, language: str = "nl") -> TaskForm:
        """The task's form to render (titles in ``language``), for a user who may work it."""
        self.check_may_work(account, task_id)
        found = self.klachten.task_schema(task_id)
        task, schema = found.task, found.schema
        fields = describe(schema, language)
        labels, limits = labels_and_limits(fields)
        return TaskForm(task_id, task.dossier_number or "",
                        text(schema, "title", language, task.title),
                        text(schema, "description", language), found.version, fields, labels,
                        limits, self.klachten.post.task_letter(task_id), task.name, task.due_at)

    def submit_form(self, account: Account, task_id: str, fields: Mapping[str, str],
                    expected_version: int | None) -> str:
        """Complete a task with posted form fields; returns the dossier number."""
        self.check_may_work(account, task_id)
        schema = self.klachten.task_schema(task_id).schema
        return self.complete(account, task_id, data_from_fields(schema, fields),
                             expected_version)

    def language_warnings(self, account: Account, task_id: str, fields: Mapping[str, str]
                          ) -> list[LanguageWarning]:
        """The posted texts that reach the member (form property ``x-naar-klager``) but
        read like the other language than the dossier's: the form warns before completing."""
        self.check_may_work(account, task_id)
        schema = self.klachten.task_schema(task_id).schema
        with transaction(self.klachten.factory) as session:
            language = session.scalar(select(Dossier.language).join(
                OpenTask, OpenTask.dossier_id == Dossier.id).where(OpenTask.id == task_id))
        return language_check.warnings(fields, language_check.to_member_fields(schema),
                                       language or "")

    def check_may_work(self, account: Account, task_id: str) -> None:
        """The task is open in one of the account's lanes and not held back from this user."""
        lanes = self.accounts.lanes(account)
        visible = self._visible(account)
        with transaction(self.klachten.factory) as session:
            allowed = session.scalar(select(OpenTask.id).join(Dossier).where(
                OpenTask.id == task_id, visible))
            if allowed is not None:
                return
            # Asked after the visibility check: a task completed in between is gone (404,
            # as for the others who raced for it), not forbidden.
            task = session.get(OpenTask, task_id)
            if task is None:
                raise claims.not_open(session, task_id, self.klachten.zone(session))
            reason = (f"de taak hoort bij de rol {task.lane}" if task.lane not in lanes
                      else "scheiding van functies: iemand anders moet ze uitvoeren")
            raise Forbidden(f"{account.name} mag taak {task_id} niet uitvoeren ({reason})")

    def _visible(self, account: Account, model: Model | None = None):
        """Tasks in the account's lanes, minus those that separation of duties holds back
        from it (read before a transaction: the model comes from its own)."""
        return self._visibility(account, model)(True)

    def _visibility(self, account: Account, model: Model | None = None
                    ) -> Callable[[bool], ColumnElement[bool]]:
        """:meth:`_visible` as a function of whether SQLite may walk the lane's index (the
        versions and roles are read once for both)."""
        model = model or self.klachten.latest_model()
        in_lanes = self._in_lanes(account)

        def visible(lane_index: bool) -> ColumnElement[bool]:
            condition = in_lanes(OpenTask.lane if lane_index else unindexed(OpenTask.lane))
            for name, others in _separations(model).items():
                earlier = exists().where(AuditEntry.dossier_id == OpenTask.dossier_id,
                                         AuditEntry.element.in_(others),
                                         AuditEntry.action == TASK_COMPLETED,
                                         AuditEntry.actor == account.name)
                condition = and_(condition, not_(and_(OpenTask.spec_name == name, earlier)))
            return condition

        return visible

    def _in_lanes(self, account: Account) -> Callable[[Any], ColumnElement[bool]]:
        """Tasks in a lane that the account's roles work, by the ``rollen.json`` of the
        version each dossier runs on: a lane renamed in a new version keeps the tasks of
        dossiers on the old one visible. One plain condition when all versions agree. A
        function of the lane column (plain, or one SQLite may not look up by its index)."""
        groups: dict[tuple[str, ...], list[int]] = {}
        models = self.klachten.models()
        for version, model in models.items():
            groups.setdefault(tuple(self.accounts.lanes(account, model)), []).append(version)
        groups.pop((), None)
        if not groups:
            return lambda _lane: false()
        if len(groups) == 1 and len(next(iter(groups.values()))) == len(models):
            return lambda lane: lane.in_(next(iter(groups)))
        return lambda lane: or_(*(and_(lane.in_(lanes), OpenTask.instance_id.in_(
            select(Instance.id).where(Instance.definition_id.in_(versions))))
            for lanes, versions in groups.items()))


def _steps(model: Model, lanes: list[str]) -> list[str]:
    """The steps of the user tasks in ``lanes``, from the model (the step filter's
    choices; no scan of the open tasks)."""
    return sorted({step for spec in model.user_task_specs()
                   if spec.lane in lanes and (step := spec_properties(spec).get("stap"))})


def _separations(model: Model) -> dict[str, list[str]]:
    return {spec.name: others for spec in model.user_task_specs()
            if (others := separated_from(spec_properties(spec)))}


def _dossier_filter(query: InboxQuery):
    """The part of the query on the dossier's own row (category, a search term too short
    for the index), or None."""
    conditions = []
    if query.view == MINE:
        mine = query.user
        conditions.append(or_(OpenTask.claimed_by == mine, Dossier.owner == mine,
                              OpenTask.claimed_by.is_(None)))
    if query.category:
        conditions.append(Dossier.category == query.category)
    if query.search.strip() and not indexed(query.search):
        conditions.append(dossier_contains(query.search))
    return and_(*conditions) if conditions else None


def _count(session: Session, filtered, on_dossier) -> tuple[int, bool]:
    """How many tasks match, counted up to COUNT_LIMIT, and whether there are more: the
    count costs the same with 10 000 or 100 000 open tasks. Dossier columns are joined only
    when a filter needs them, and count(*) lets the database read only an index
    (ix_open_tasks_lane_spec) instead of every task's row."""
    matching = select(literal(1)).select_from(OpenTask).where(filtered)
    if on_dossier is not None:
        matching = matching.join(Dossier, Dossier.id == OpenTask.dossier_id).where(on_dossier)
    counted = session.scalar(select(func.count()).select_from(
        matching.limit(COUNT_LIMIT + 1).subquery())) or 0
    return min(counted, COUNT_LIMIT), counted > COUNT_LIMIT


def _row(task: OpenTask, dossier: Dossier, now: datetime, timezone: ZoneInfo) -> InboxRow:
    return InboxRow(task.id, dossier.number or "", dossier.complainant_name, dossier.category,
                    task.step, task.title, task.lane, task.due_at,
                    deadline_state(task.due_at, now), task.claimed_by,
                    as_utc(dossier.received_at).astimezone(timezone).date(), task.spec_name,
                    last_day(task.due_at, timezone) if task.due_at else None,
                    task.claimed_at, dossier.owner)
