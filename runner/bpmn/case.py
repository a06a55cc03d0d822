"""One dossier's workflow: what is open, and the engine steps an action may take.

The case never touches the database; ``runner.bpmn.instances`` loads it, guards, calls one of
these methods and saves. The step shown to people is derived here from the engine state
(ready user tasks and waiting events with their ``stap`` property), never kept separately.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import (
    MessageEventDefinition as BaseMessageEventDefinition,
)
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import EventBasedGateway
from SpiffWorkflow.bpmn.util.event import BpmnEvent
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.specs.defaults import UserTask
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from . import clock as clocks
from .definitions import ProcessModel
from .errors import Conflict, ModelError, NotFound
from .forms import validate_form

CLOSED_STEP = "Afgesloten"
# The precision of stored instants: a timer due at t fires at any now >= t (see Case.tick).
TIMER_RESOLUTION = timedelta(microseconds=1)
LETTER_PROPERTY = "brief"
T = TypeVar("T")
# The states of tasks whose data is the process data as it stands (see Case.data).
_DATA_STATES = TaskState.READY | TaskState.STARTED | TaskState.COMPLETED | TaskState.ERROR


@dataclass(frozen=True)
class OpenTaskInfo:
    id: str
    spec_name: str
    title: str
    lane: str
    step: str
    form: str | None
    due_at: datetime | None


def properties(task: Task) -> dict[str, str]:
    return spec_properties(task.task_spec)


def spec_properties(spec: Any) -> dict[str, str]:
    found: dict[str, str] = getattr(spec, "extensions", {}).get("properties", {})
    return found


def _step_number(spec: Any) -> str:
    """The ``stap`` property; an event-based gateway (which has no extensions in
    SpiffWorkflow) takes it from the events it waits for."""
    number = spec_properties(spec).get("stap", "")
    if not number and isinstance(spec, EventBasedGateway):
        number = next((n for n in map(_step_number, spec.outputs) if n), "")
    return number


def _parse_instant(value: str) -> datetime:
    instant = datetime.fromisoformat(value)
    return instant if instant.tzinfo else instant.replace(tzinfo=UTC)


@dataclass(frozen=True)
class _OpenWork:
    ready_user: list[Task]
    waiting: list[Task]
    failed: list[Task]


class CaseData:
    """What a case reads from its process data alone: the same for a running case and a
    closed one (:class:`~runner.bpmn.closed_record.ClosedCase`)."""

    def data(self) -> dict[str, Any]:
        raise NotImplementedError

    def deadlines(self, data: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
        """Every deadline computed so far, by name. Deadline operators return dicts with
        ``termijn`` and ``vervaldag``, alone or keyed by name; no variable name is assumed.
        ``data``: the process data when the caller has it already (saves a walk)."""
        found: dict[str, dict[str, Any]] = {}
        for value in (self.data() if data is None else data).values():
            candidates = value.values() if isinstance(value, dict) else ()
            for item in [value, *candidates]:
                if isinstance(item, dict) and {"termijn", "vervaldag"} <= item.keys():
                    found[item["termijn"]] = item
        return found

    def due_date(self, name: str) -> date | None:
        """The last day of the deadline ``name``, once it has been computed."""
        value = self.deadlines().get(name, {}).get("vervaldag")
        return date.fromisoformat(value) if value else None


class Case(CaseData):
    def __init__(self, workflow: BpmnWorkflow, model: ProcessModel):
        self.workflow = workflow
        self.model = model
        self._open: _OpenWork | None = None

    # ----- what is open
    def _open_work(self) -> _OpenWork:
        """Ready user tasks, waiting tasks and failed tasks, from one walk of the task tree
        (kept until the next engine step). A full walk, not get_tasks(state=...): that filter
        does not descend below STARTED or WAITING parents, so it would miss a failed task
        under a boundary event."""
        if self._open is None:
            ready, waiting, failed = [], [], []
            for task in self.workflow.get_tasks():
                if task.state == TaskState.READY and task.task_spec.manual:
                    ready.append(task)
                elif task.state == TaskState.WAITING:
                    waiting.append(task)
                elif task.state == TaskState.ERROR:
                    failed.append(task)
            self._open = _OpenWork(ready, waiting, failed)
        return self._open

    def ready_user_tasks(self) -> list[Task]:
        return self._open_work().ready_user

    def waiting_tasks(self) -> list[Task]:
        return self._open_work().waiting

    def open_tasks(self) -> list[OpenTaskInfo]:
        infos = []
        for task in self.ready_user_tasks():
            props = properties(task)
            due_at = self._due_at(task, props.get("vervaldatum"))
            infos.append(OpenTaskInfo(
                id=str(task.id), spec_name=task.task_spec.name,
                title=task.task_spec.bpmn_name or task.task_spec.name,
                lane=task.task_spec.lane or "", step=props.get("stap", ""),
                form=props.get("formJsonSchemaFilename"), due_at=due_at,
            ))
        return infos

    def _due_at(self, task: Task, expression: str | None) -> datetime | None:
        if not expression:
            return None
        return self._evaluate(task, "vervaldatum", expression, _parse_instant, "tijdstip")

    def letter_code(self, task: Task) -> str | None:
        """The notice code of the letter a print-and-post task is about: its ``brief``
        property, an expression such as ``brief['code']``."""
        expression = properties(task).get(LETTER_PROPERTY)
        if not expression:
            return None
        return self._evaluate(task, LETTER_PROPERTY, expression, str, "berichtcode")

    def _evaluate(self, task: Task, name: str, expression: str,
                  convert: Callable[[Any], T], expected: str) -> T:
        """A property's expression evaluated on the task's data; failing is a model error."""
        try:
            return convert(self.workflow.script_engine.evaluate(task, expression))
        except Exception as err:
            raise ModelError(f"{task.task_spec.name}: {name} {expression!r} geeft geen "
                             f"{expected}: {err}") from err

    def _waiting_definitions(self) -> Iterator[tuple[Task, object]]:
        """Each waiting task with each event it waits for; an event-based gateway waits for
        several at once (a MultipleEventDefinition, whose timer value the gateway holds)."""
        for task in self.waiting_tasks():
            definition = getattr(task.task_spec, "event_definition", None)
            if isinstance(definition, MultipleEventDefinition):
                for inner in definition.event_definitions:
                    yield task, inner
            elif definition is not None:
                yield task, definition

    def element_states(self) -> tuple[set[str], set[str]]:
        """The diagram's elements this case completed, and those it is in now (ready user
        tasks and waiting events), by element id."""
        done = {task.task_spec.name for task in self.workflow.get_tasks(state=TaskState.COMPLETED)}
        current = {task.task_spec.name for task in [*self.ready_user_tasks(),
                                                     *self.waiting_tasks()]}
        return done - current, current

    def waiting_messages(self) -> set[str]:
        """The messages the dossier accepts now: those its waiting events catch and, while the
        process runs, those that start an event subprocess."""
        names = {definition.name for _, definition in self._waiting_definitions()
                 if isinstance(definition, BaseMessageEventDefinition)}
        if not self.workflow.is_completed():
            names |= self._event_subprocess_messages()
        return names

    def _event_subprocess_messages(self) -> set[str]:
        """Messages that start an event subprocess of the process. SpiffWorkflow keeps these
        as triggers of the start task, not as waiting tasks."""
        names = set()
        for name in getattr(self.workflow.spec.start, "trigger_specs", ()):
            for start in self.workflow.subprocess_specs[name].bpmn_start_events:
                if isinstance(start.event_definition, BaseMessageEventDefinition):
                    names.add(start.event_definition.name)
        return names

    def _timer_tasks(self) -> Iterator[tuple[Task, TimerEventDefinition]]:
        for task, definition in self._waiting_definitions():
            if isinstance(definition, TimerEventDefinition):
                yield task, definition

    def cycle_timer_waiting(self) -> bool:
        """Whether a cycle timer (a repeating reminder, say) is waiting."""
        return any(isinstance(definition, CycleTimerEventDefinition)
                   for _, definition in self._timer_tasks())

    def next_timer_at(self) -> datetime | None:
        """The earliest due timer, read from each waiting timer's own stored value."""
        due = []
        for task, definition in self._timer_tasks():
            value = task.internal_data.get("event_value")
            if value is None:
                continue
            if isinstance(definition, CycleTimerEventDefinition):
                if value.get("cycles", 0) != 0:
                    due.append(_parse_instant(value["next"]))
            else:
                due.append(_parse_instant(value))
        return min(due) if due else None

    def data(self) -> dict[str, Any]:
        """The process data as it stands: that of the most recently changed task that holds
        data (one that ran, runs or may run: a join still waiting for its other branches, or
        a task not reached yet, holds none or a stale copy; the end of a status branch
        leaves such a join behind as the latest change), outside event subprocesses (which
        hold only the data of the message that started them)."""
        latest_first = sorted((task for task in self.workflow.get_tasks()
                               if task.state & _DATA_STATES),
                              key=lambda task: task.last_state_change, reverse=True)
        return next((task.data for task in latest_first
                     if not self._in_event_subprocess(task)), {})

    def _in_event_subprocess(self, task: Task) -> bool:
        """Whether ``task`` runs in an event subprocess started by a message (such a
        subprocess's task spec is restored as a plain subprocess: known by its name)."""
        triggers = getattr(self.workflow.spec.start, "trigger_specs", ())
        while task.task_spec.name not in triggers:
            parent_id = task.workflow.parent_task_id
            if parent_id is None:
                return False
            task = self.workflow.get_task_from_id(parent_id)
        return True

    def step(self) -> str:
        """The step(s) the dossier is in, from the engine: ready user tasks, else waiting events."""
        if self.workflow.is_completed():
            return CLOSED_STEP
        labels = [self._label(task) for task in self._step_tasks()]
        labels += [f"Incident: {self._label(task)}" for task in self.incident_tasks()]
        return "; ".join(sorted(set(labels)))

    def _step_tasks(self) -> list[Task]:
        """The tasks that say which step the dossier is in: the ready user tasks, else the
        waiting events that carry a ``stap``; the user tasks of event subprocesses (a side
        path such as reaching someone another way) come beside the step, never instead of it."""
        main: list[Task] = []
        side: list[Task] = []
        for task in self.ready_user_tasks():
            (side if self._in_event_subprocess(task) else main).append(task)
        return (main or [task for task in self.waiting_tasks()
                         if _step_number(task.task_spec)]) + side

    def open_steps(self) -> list[tuple[str, str]]:
        """``(stap, element id)`` of each task that says which step the dossier is in."""
        return sorted({(_step_number(task.task_spec), task.task_spec.name)
                       for task in self._step_tasks()})

    @staticmethod
    def _label(task: Task) -> str:
        number = _step_number(task.task_spec)
        name = task.task_spec.bpmn_name or task.task_spec.name
        return f"{number}. {name}" if number else name

    # ----- engine steps
    def run(self, did_complete: Callable[[Task], None] | None = None) -> None:
        self._open = None
        try:
            self.workflow.do_engine_steps(did_complete_task=did_complete)
        finally:
            self._open = None

    def user_task(self, task_id: str) -> Task:
        try:
            task = self.workflow.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError):
            task = None
        if task is None or not isinstance(task.task_spec, UserTask):
            raise NotFound(f"taak {task_id} bestaat niet in dit dossier")
        if task.state != TaskState.READY:
            # Task.run() does not check the state: a CANCELLED task would silently complete.
            state = TaskState.get_name(task.state)
            raise Conflict(f"taak {task_id} is niet meer open (toestand {state})")
        return task

    def validate(self, task: Task, data: dict[str, Any]) -> None:
        form = properties(task).get("formJsonSchemaFilename")
        if not form:
            return
        validate_form(self.model.form(form), data)

    def complete(self, task: Task, data: dict[str, Any],
                 did_complete: Callable[[Task], None] | None = None) -> None:
        target = properties(task).get("resultaat")
        if target:
            task.data[target] = data
        else:
            task.data.update(data)
        task.run()
        if did_complete:
            did_complete(task)
        self.run(did_complete)

    def send_message(self, name: str, payload: dict[str, Any],
                     did_complete: Callable[[Task], None] | None = None) -> None:
        if name not in self.waiting_messages():
            raise Conflict(f"het dossier wacht niet op het bericht {name}")
        self.workflow.send_event(BpmnEvent(MessageEventDefinition(name), payload))
        self.run(did_complete)

    def tick(self, now: datetime, did_complete: Callable[[Task], None] | None = None) -> None:
        """Fire the timers due at ``now``: those whose moment has come, ``now`` included.

        SpiffWorkflow fires a timer only when its instant is strictly before the clock, so the
        timers are refreshed one resolution step (a microsecond, the precision of the stored
        instants) later: due < now + 1 µs is due <= now. Only the comparison sees that
        instant; the tasks that fire then run at ``now``. A due cycle fires once, whatever it
        missed, and starts again from ``now`` (:meth:`catch_up_cycles`, ADR 0002)."""
        self.catch_up_cycles(now)
        with clocks.frozen_at(now + TIMER_RESOLUTION):
            self.workflow.refresh_timers()
        self.run(did_complete)

    def catch_up_cycles(self, now: datetime) -> None:
        """Make each due cycle timer fire exactly once, at ``now``, however many occurrences
        an outage made it miss: its occurrence is moved to ``now``, so the engine, firing it,
        sets the next one a full period after ``now`` (never sooner after the notice it
        sends). A cycle with a limited count uses up what it missed (but fires once)."""
        for task, definition in self._timer_tasks():
            value = task.internal_data.get("event_value")
            if not isinstance(definition, CycleTimerEventDefinition) or not value:
                continue
            if value.get("cycles", 0) == 0 or _parse_instant(value["next"]) > now:
                continue
            period = timedelta(seconds=value["duration"])
            missed = int((now - _parse_instant(value["next"])) / period) if period else 0
            if value["cycles"] > 0:
                value["cycles"] = max(1, value["cycles"] - missed)
            value["next"] = now.isoformat()

    def incident_tasks(self) -> list[Task]:
        return self._open_work().failed

    def mark_failed(self, error: BaseException) -> list[Task]:
        """The tasks an engine error left failed. SpiffWorkflow marks a task it was running
        (a gateway without a matching condition, an operator); an error while it evaluated
        a waiting event (a timer expression) leaves no mark: that task, found in the
        traceback, is marked here, so the error becomes an incident that can be retried."""
        self._open = None
        if not self.incident_tasks():
            task = failing_task(error)
            if task is not None and task.workflow is not None:
                task._set_state(TaskState.ERROR)
                self._open = None
        return self.incident_tasks()

    def retry(self, now: datetime, did_complete: Callable[[Task], None] | None = None) -> None:
        """Run failed tasks again, then fire what is due (a timer that failed to fire). A
        failed event waits again, its timer to be computed anew; other tasks run again."""
        failed = self.incident_tasks()
        for task in failed:
            task._set_state(TaskState.READY)
        self._open = None
        for task in failed:
            if isinstance(task.task_spec, CatchingEvent):  # wait again: evaluate anew
                task.internal_data.pop("event_value", None)
                task._set_state(TaskState.WAITING)
                task.task_spec._update(task)
        self.tick(now, did_complete)


def failing_task(error: BaseException) -> Task | None:
    """The task an engine error is about: the error's own, else the innermost task being
    worked on (``my_task``) in the traceback."""
    task = getattr(error, "task", None)
    if isinstance(task, Task):
        return task
    found = None
    traceback = error.__traceback__
    while traceback is not None:
        candidate = traceback.tb_frame.f_locals.get("my_task")
        if isinstance(candidate, Task):
            found = candidate
        traceback = traceback.tb_next
    return found
