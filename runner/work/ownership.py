"""Who owns a dossier and who holds its tasks: claiming, taking over, assigning.

The mediator who takes a dossier's first task (claims or completes it) owns the dossier
until its closure; each later task of the dossier in a lane the owner works goes to them
(:func:`after_save`, a save hook: in the transaction of whatever action opened the task).
A claim is a lock (:mod:`runner.bpmn.claims`): a task someone else holds is taken over only
with a reason, audited. Assigning a dossier to another mediator needs a reason too when it
had an owner; the owner's open tasks go along. A legal hold does not stop assigning: it
keeps the dossier from being erased, not from being worked. A closed (or erased) dossier
keeps its last owner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, exists, select, update
from sqlalchemy.orm import Session

from runner.accounts.users import ASSIGN, MEDIATOR, ROLES_FILE, Account
from runner.bpmn import claims
from runner.bpmn.case import spec_properties
from runner.bpmn.errors import Conflict, Forbidden, NotFound, ValidationFailed
from runner.bpmn.instances import LoadedCase
from runner.bpmn.store import AuditEntry, EndedTask, Instance, OpenTask, transaction
from runner.definition.model import Model
from runner.results import in_json
from runner.service import TASK_COMPLETED, TASK_TAKEN_OVER, Klachten, separated_from
from runner.store import Dossier, User, as_dossier
from runner.work.task_form import Field, describe

ASSIGNED = "dossier toegewezen"


@dataclass(frozen=True)
class Holder:
    """Who holds an open task since when (in the API's JSON: ``Houder``)."""

    task_id: str = field(metadata=in_json("taak"))
    holder: str | None = field(metadata=in_json("geclaimd_door"))
    since: datetime | None = field(metadata=in_json("geclaimd_sinds"))
    owner: str | None = field(metadata=in_json("eigenaar"))


@dataclass(frozen=True)
class LostTask:
    """A task someone else completed, for whoever still had it open: by whom, when, and
    the form's fields, so the page can give back what they typed."""

    task_id: str
    dossier_number: str
    by: str
    at: datetime
    fields: list[Field]


class Ownership:
    """Claims, take-overs and assignments, each one transaction."""

    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    def holder(self, task_id: str) -> Holder:
        """Who holds the open task since when, and who owns its dossier."""
        with transaction(self.klachten.factory) as session:
            row = session.execute(select(OpenTask, Dossier.owner).join(
                Dossier, Dossier.id == OpenTask.dossier_id).where(OpenTask.id == task_id)).first()
            if row is None:
                raise claims.not_open(session, task_id, self.klachten.zone(session))
            task, owner = row
            return Holder(task.id, task.claimed_by, task.claimed_at, owner)

    def lost(self, task_id: str, language: str = "nl") -> LostTask | None:
        """The completed task ``task_id`` (by whom, when, its form's fields), or None."""
        with transaction(self.klachten.factory) as session:
            done = session.get(EndedTask, task_id)
            if done is None:
                return None
            dossier = session.get_one(Dossier, done.dossier_id)
            model = self.klachten.dossier_model(session, dossier.id)
            fields = list(describe(model.form(done.form), language)) if done.form else []
            return LostTask(task_id, dossier.number or "", done.ended_by, done.ended_at, fields)

    def mediators(self) -> list[str]:
        """The enabled mediators a dossier can be assigned to, by name."""
        with transaction(self.klachten.factory) as session:
            return [user.name for user in session.scalars(
                select(User).where(User.disabled.is_(False)).order_by(User.name))
                if MEDIATOR in user.roles]

    def claim(self, account: Account, task_id: str, take_over: str | None = None) -> None:
        """``account`` holds the task; one another user holds is taken over only with a
        reason (``take_over``), audited. The caller checked that the account may work it."""
        reason = claims.reason_of(take_over) if take_over is not None else None
        with transaction(self.klachten.factory) as session:
            now, zone = self.klachten.clock.now(session), self.klachten.zone(session)
            task = claims.locked(session, task_id, zone)
            previous = claims.hold(task, account.name, now, zone, reason is not None)
            dossier = session.get_one(Dossier, task.dossier_id)
            if dossier.owner is None:
                dossier.owner = account.name
            if previous:
                _audit(session, dossier.id, now, account.name, TASK_TAKEN_OVER,
                       task.spec_name, van=previous, reden=reason)

    def assign(self, account: Account, number: str, to: str, reason: str | None) -> str | None:
        """Make ``to`` (an enabled mediator) the owner of dossier ``number``; the open tasks
        its previous owner held, or nobody did, in lanes ``to`` works, go along. A reason is
        required when the dossier had an owner. Returns the previous owner."""
        if not account.may(ASSIGN):
            raise Forbidden(f"{account.name} mag geen dossiers toewijzen")
        model = self.klachten.model_of(number)
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            dossier = session.scalar(select(Dossier).where(Dossier.number == number)
                                     .with_for_update())
            if dossier is None:
                raise NotFound(f"dossier {number} bestaat niet")
            if dossier.erased_at is not None or dossier.closed_at is not None:
                raise Conflict(f"dossier {number} is afgesloten: het kan niet meer "
                               "toegewezen worden")
            lanes = _lanes(_mediator(session, to), model)
            previous = dossier.owner
            if previous == to:
                return previous
            text = claims.reason_of(reason) if previous or reason else ""
            dossier.owner = to
            moved = session.scalars(select(OpenTask).where(
                OpenTask.dossier_id == dossier.id, OpenTask.lane.in_(lanes),
                (OpenTask.claimed_by.is_(None) | (OpenTask.claimed_by == previous)))
                .with_for_update()).all()
            for task in moved:
                if not _separated(session, task, to, model):
                    task.claimed_by, task.claimed_at = to, now
            _audit(session, dossier.id, now, account.name, ASSIGNED, "", aan=to,
                   van=previous or "", reden=text)
            return previous


def after_save(loaded: LoadedCase) -> None:
    """Give the dossier's new open tasks that nobody holds to its owner, in the lanes the
    owner works and unless separation of duties keeps the owner from them (a save hook)."""
    dossier = as_dossier(loaded.dossier)
    if dossier.owner is None:
        return
    session = loaded.session
    free = session.execute(_FREE_TASKS, {"instance_id": loaded.instance.id}).all()
    if not free:
        return
    owner = session.scalar(select(User).where(User.name == dossier.owner))
    if owner is None or owner.disabled:
        return
    model = cast(Model, loaded.case.model)
    lanes = _lanes(owner, model)
    given = [task_id for task_id, lane, spec in free
             if lane in lanes and not _completed_any(session, dossier.id, owner.name,
                                                     _separations(model).get(spec, []))]
    if given:
        session.connection().execute(_GIVE, [{"task_id": task_id, "owner": owner.name,
                                              "now": loaded.now} for task_id in given])


def _mediator(session: Session, name: str) -> User:
    user = session.scalar(select(User).where(User.name == name))
    if user is None or user.disabled or MEDIATOR not in user.roles:
        raise ValidationFailed({"aan": f"{name or '(leeg)'} is geen actieve klachtenbemiddelaar"},
                               {"aan": "enum"})
    return user


def _lanes(user: User, model: Model) -> list[str]:
    mapping = model.json_file(ROLES_FILE)["lanes"]
    return [lane for lane, role in mapping.items() if role in user.roles]


def _separations(model: Model) -> dict[str, list[str]]:
    """Per user task, the tasks whose completers may not do it (``andere_gebruiker_dan``)."""
    return {spec.name: others for spec in model.user_task_specs()
            if (others := separated_from(spec_properties(spec)))}


def _separated(session: Session, task: OpenTask, user: str, model: Model) -> bool:
    return _completed_any(session, task.dossier_id, user,
                          _separations(model).get(task.spec_name, []))


def _completed_any(session: Session, dossier_id: int, user: str, tasks: list[str]) -> bool:
    return bool(tasks) and bool(session.scalar(select(exists().where(
        AuditEntry.dossier_id == dossier_id, AuditEntry.element.in_(tasks),
        AuditEntry.action == TASK_COMPLETED, AuditEntry.actor == user))))


def _audit(session: Session, dossier_id: int, now: datetime, actor: str, action: str,
           element: str, **details: str | None) -> None:
    step = session.scalar(select(Instance.step).where(Instance.dossier_id == dossier_id)) or ""
    session.add(AuditEntry(dossier_id=dossier_id, at=now, actor=actor, action=action,
                           element=element, step=step, details=details))


_OPEN_TASKS = cast(Table, OpenTask.__table__)
_FREE_TASKS = select(_OPEN_TASKS.c.id, _OPEN_TASKS.c.lane, _OPEN_TASKS.c.spec_name).where(
    _OPEN_TASKS.c.instance_id == bindparam("instance_id"), _OPEN_TASKS.c.claimed_by.is_(None))
_GIVE = update(_OPEN_TASKS).where(_OPEN_TASKS.c.id == bindparam("task_id")).values(
    claimed_by=bindparam("owner"), claimed_at=bindparam("now"))
