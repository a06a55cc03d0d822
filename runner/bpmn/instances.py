"""Load, guard, run, save: one action on one dossier in one transaction.

``open_case`` loads the instance row with its version; ``save_case`` writes the state and
everything derived from it (open tasks, waiting messages, next timer, step), which fails
with :class:`Conflict` when another action changed the row meanwhile (optimistic locking on
``instances.version``). Audit entries are written in the same transaction, and so is what
the application derives from the saved case through the save hooks it hands the runner
(:class:`runner.bpmn.plugins.Plugins`: an application's report figures, say).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.task import Task
from sqlalchemy import Connection, Table, bindparam, delete, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from .case import Case
from .closed_record import ClosedCase, ClosedRecord, is_closed
from .definitions import ProcessModel
from .engine import SERIALIZER_VERSION, StoredSpecs, dump_state, load_state
from .errors import Conflict, ExpressionRejected
from .store import AuditEntry, Incident, Instance, OpenTask, WaitingMessage

SYSTEM_ACTOR = "systeem"


class CaseFile(Protocol):
    """The application's row an instance belongs to (``instances.dossier_id``)."""

    id: int


@dataclass
class LoadedCase:
    """A case together with the rows it came from, for the duration of one action."""

    session: Session
    instance: Instance
    dossier: CaseFile
    case: Case | ClosedCase
    now: datetime
    audit: list[dict[str, Any]] = field(default_factory=list)

    def record(self, actor: str, action: str, element: str = "", **details: Any) -> None:
        """Queue an audit entry; written with the state by :func:`save_case`. Its step is the
        one the dossier was in when the action started."""
        self.audit.append({
            "dossier_id": self.dossier.id, "at": self.now, "actor": actor, "action": action,
            "element": element, "step": self.instance.step or "", "details": details,
        })

    def engine_completed(self, task: Task) -> None:
        """Audit every named element the engine completes (service tasks, timers, messages)."""
        spec = task.task_spec
        if isinstance(spec, UserTask) or not getattr(spec, "bpmn_name", None):
            return
        action = "gebeurtenis" if isinstance(spec, CatchingEvent) else "stap uitgevoerd"
        self.record(SYSTEM_ACTOR, action, spec.name, naam=spec.bpmn_name)


# Called by save_case, in the action's transaction, after the runner's own derived rows:
# the application derives its own rows (handed over in its plug-ins, runner.bpmn.plugins).
SaveHook = Callable[[LoadedCase], None]


def save_case(loaded: LoadedCase, model: ProcessModel, state: str | None = None,
              hooks: Sequence[SaveHook] = ()) -> None:
    """Write state and derived rows (open tasks, waiting messages, the ``hooks``'); a
    concurrent change raises Conflict. ``state``: the exact serialized text to keep (a
    reverted migration restores the stored state byte for byte), instead of dumping it. A
    workflow that has ended is stored as its compact :class:`ClosedRecord` instead of its
    engine state.

    An existing instance is written by one Core ``UPDATE ... WHERE version = ?`` (its
    object then holds the written values as committed); the derived rows and the audit by
    Core statements on the action's connection, without the ORM's unit of work."""
    session, instance, case = loaded.session, loaded.instance, loaded.case
    values = {"serializer_version": SERIALIZER_VERSION, "step": case.step()[:200],
              "completed": is_closed(case), "has_incident": bool(case.incident_tasks()),
              "next_timer_at": case.next_timer_at(), "updated_at": loaded.now}
    if isinstance(case, Case) and case.workflow.is_completed():
        values.update(archive=ClosedRecord.of(case).pack(), state="")
    elif isinstance(case, Case):
        values["state"] = dump_state(case.workflow) if state is None else state
        if instance.archive is not None:  # an ended workflow runs again (a reopening)
            values["archive"] = None
    new = instance.id is None  # inserted by the flush below, with no derived rows yet
    if new:
        for key, value in values.items():
            setattr(instance, key, value)
    else:
        _update_instance(session.connection(), instance, values)
    session.flush()  # what the operators wrote, before the hooks read it
    connection = session.connection()
    _sync_open_tasks(loaded, connection, new)
    _sync_waiting_messages(loaded, connection, new)
    for hook in hooks:
        hook(loaded)
    if loaded.audit:
        connection.execute(_INSERT_AUDIT, loaded.audit)
        loaded.audit.clear()


def _update_instance(connection: Connection, instance: Instance, values: dict[str, Any]) -> None:
    """One ``UPDATE`` of the instance row if its version is still the one loaded, with
    ``values`` and whatever the caller changed on the object (a migration's definition);
    the object then holds them as committed, so the ORM writes nothing more."""
    state = inspect(instance)
    changed = {prop.key: getattr(instance, prop.key) for prop in state.mapper.column_attrs
               if prop.key not in state.unmodified}
    values = {**changed, **values, "version": instance.version + 1}
    written = connection.execute(_UPDATE_INSTANCE, {
        **values, "row_id": instance.id, "row_version": instance.version})
    if written.rowcount != 1:
        raise Conflict("het dossier werd intussen gewijzigd; laad het opnieuw")
    for key, value in values.items():
        set_committed_value(instance, key, value)


def _sync_open_tasks(loaded: LoadedCase, connection: Connection, new: bool) -> None:
    """Make the inbox rows match the engine's ready user tasks (claims on kept rows stay);
    a ``new`` instance has none stored yet."""
    instance = loaded.instance
    stored = set() if new else set(connection.scalars(_OPEN_TASK_IDS,
                                                      {"instance_id": instance.id}))
    ready_ids = {str(task.id) for task in loaded.case.ready_user_tasks()}
    if stored - ready_ids:
        connection.execute(_DELETE_OPEN_TASKS, {"ids": list(stored - ready_ids)})
    if ready_ids - stored:
        connection.execute(_INSERT_OPEN_TASK, [
            {"id": info.id, "instance_id": instance.id, "dossier_id": instance.dossier_id,
             "spec_name": info.spec_name, "title": info.title[:200], "lane": info.lane,
             "step": info.step, "form": info.form, "due_at": info.due_at,
             "created_at": loaded.now, "claimed_by": None}
            for info in loaded.case.open_tasks() if info.id not in stored
        ])


def _sync_waiting_messages(loaded: LoadedCase, connection: Connection, new: bool) -> None:
    instance = loaded.instance
    wanted = loaded.case.waiting_messages()
    stored = set() if new else set(connection.scalars(_WAITING_MESSAGE_NAMES,
                                                      {"instance_id": instance.id}))
    if stored - wanted:
        connection.execute(_DELETE_WAITING_MESSAGES, {"instance_id": instance.id,
                                                      "names": list(stored - wanted)})
    if wanted - stored:
        connection.execute(_INSERT_WAITING_MESSAGE,
                           [{"instance_id": instance.id, "name": name}
                            for name in wanted - stored])


# The statements of every save, built once (building a statement costs more than running it).
_INSTANCES, _OPEN_TASKS = cast(Table, Instance.__table__), cast(Table, OpenTask.__table__)
_WAITING, _AUDIT = cast(Table, WaitingMessage.__table__), cast(Table, AuditEntry.__table__)
_UPDATE_INSTANCE = update(_INSTANCES).where(_INSTANCES.c.id == bindparam("row_id"),
                                            _INSTANCES.c.version == bindparam("row_version"))
_OPEN_TASK_IDS = select(_OPEN_TASKS.c.id).where(
    _OPEN_TASKS.c.instance_id == bindparam("instance_id"))
_DELETE_OPEN_TASKS = delete(_OPEN_TASKS).where(
    _OPEN_TASKS.c.id.in_(bindparam("ids", expanding=True)))
_INSERT_OPEN_TASK = insert(_OPEN_TASKS)
_WAITING_MESSAGE_NAMES = select(_WAITING.c.name).where(
    _WAITING.c.instance_id == bindparam("instance_id"))
_DELETE_WAITING_MESSAGES = delete(_WAITING).where(
    _WAITING.c.instance_id == bindparam("instance_id"),
    _WAITING.c.name.in_(bindparam("names", expanding=True)))
_INSERT_WAITING_MESSAGE = insert(_WAITING)
_INSERT_AUDIT = insert(_AUDIT)


def open_case(session: Session, instance: Instance, dossier: CaseFile,
              model: ProcessModel,
              specs: StoredSpecs, now: datetime) -> LoadedCase:
    return LoadedCase(session, instance, dossier, case_of(instance, model, specs), now)


def case_of(instance: Instance, model: ProcessModel, specs: StoredSpecs) -> Case | ClosedCase:
    """The stored case: the workflow of a running dossier, the record of a closed one."""
    if instance.archive is not None:
        return ClosedCase(ClosedRecord.unpack(instance.archive), model)
    return Case(load_state(instance.state, specs), model)


def record_incidents(loaded: LoadedCase, error: Exception) -> None:
    """Turn tasks left in ERROR by a failing operator into visible incidents."""
    text = incident_text(error)
    for task in loaded.case.incident_tasks():
        loaded.session.add(Incident(
            dossier_id=loaded.dossier.id, element=task.task_spec.name,
            step=loaded.case.step()[:200], error=text[:4000], created_at=loaded.now,
        ))
    loaded.record(SYSTEM_ACTOR, "incident", error=text[:500])


def incident_text(error: Exception) -> str:
    """The error with the reason SpiffWorkflow wrapped ("Error evaluating expression ..."
    says nothing of why: the step budget ran out, a value was too large)."""
    text, cause = str(error), error.__cause__ or error.__context__
    if isinstance(cause, ExpressionRejected) and str(cause) not in text:
        text = f"{text.strip().rstrip('.')}: {cause}"
    return text


def resolve_incidents(loaded: LoadedCase) -> int:
    """Mark the dossier's open incidents resolved (a retry is under way); returns how many."""
    incidents = loaded.session.scalars(select(Incident).where(
        Incident.dossier_id == loaded.dossier.id, Incident.resolved_at.is_(None))).all()
    for incident in incidents:
        incident.resolved_at = loaded.now
    return len(incidents)
