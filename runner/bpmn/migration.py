"""Move a running BPMN workflow onto another version of its specs, and say what that changes.

Built on SpiffWorkflow's diff utilities: ``diff_workflow`` aligns the tasks of the instance
with the new specs, ``migrate_workflow`` swaps the specs and resets branches (here only the
READY ones: see :func:`migrate` for what resetting a waiting timer would do). Timers keep
their due time or, when the new rule values apply, take the due time the new expression
gives from the same start.

Nothing here knows what the workflow is about: a caller that derives data from decision
results (deadlines from rule rows, say) passes a function that redoes it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.dmn.specs.business_rule_task_mixin import BusinessRuleTaskMixin
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

# Where an instance is: the tasks it waits on, runs or failed in.
POSITION = TaskState.READY | TaskState.WAITING | TaskState.STARTED | TaskState.ERROR


class Specs(Protocol):
    """A version's top-level spec and the specs of its subprocesses (read only)."""

    @property
    def spec(self) -> Any: ...

    @property
    def subprocess_specs(self) -> dict[str, Any]: ...


@dataclass
class InstanceDiff:
    """What moving one instance to the new specs would do, by element id.

    ``blockers`` are sentences saying why it cannot move (empty when it can).
    """

    position: list[str]
    blockers: list[str] = field(default_factory=list)
    added_ahead: list[str] = field(default_factory=list)
    removed_ahead: list[str] = field(default_factory=list)
    removed_done: list[str] = field(default_factory=list)
    changed_done: list[str] = field(default_factory=list)
    changed_position: list[str] = field(default_factory=list)
    ahead: set[str] = field(default_factory=set)

    @property
    def movable(self) -> bool:
        return not self.blockers


@dataclass
class _Diffs:
    top: Any
    subprocesses: dict[Any, Any]


def _element(task: Task) -> str | None:
    """The BPMN element id of a task (None for the engine's own helper tasks)."""
    return getattr(task.task_spec, "bpmn_id", None)


def _label(spec: Any) -> str:
    name = getattr(spec, "bpmn_name", None)
    return f"{name} ({spec.name})" if name else spec.name


def _workflows(workflow: BpmnWorkflow) -> Iterator[tuple[Any, Any]]:
    """The top workflow and each subworkflow, with the key of its diff (None for the top)."""
    yield None, workflow
    yield from workflow.subprocesses.items()


def compare(workflow: BpmnWorkflow, new: Specs, registry: Any) -> tuple[InstanceDiff, _Diffs]:
    """Align ``workflow`` with ``new`` and say whether and how it can move."""
    top, subs = diff_workflow(registry, workflow, new.spec, new.subprocess_specs)
    diffs = _Diffs(top, subs)
    position = [task for task in workflow.get_tasks(state=POSITION) if _element(task)]
    result = InstanceDiff(position=sorted({element for task in position
                                           if (element := _element(task))}))
    for key, sub in _workflows(workflow):
        diff = top if key is None else subs.get(key)
        if diff is None:
            result.blockers.append(f"deelproces {sub.spec.name} bestaat niet in de nieuwe versie")
            continue
        _classify(diff, result)
    for task in position:
        aligned = _aligned(diffs, task)
        if aligned is None:
            result.blockers.append(f"de huidige stap {_label(task.task_spec)} bestaat niet "
                                   "meer in de nieuwe versie")
        elif type(aligned) is not type(task.task_spec):
            result.blockers.append(f"de huidige stap {_label(task.task_spec)} is in de nieuwe "
                                   "versie een ander soort element")
    result.ahead = _reachable(new, [_aligned(diffs, task) for task in position])
    old_names = {spec.name for spec in _all_specs(workflow.spec, workflow.subprocess_specs)}
    new_names = {spec.name for spec in _all_specs(new.spec, new.subprocess_specs)}
    result.added_ahead = sorted(name for name in result.ahead if name not in old_names)
    old_ahead = _reachable(workflow, [task.task_spec for task in position])
    result.removed_ahead = sorted({*result.removed_ahead,
                                   *(name for name in old_ahead if name not in new_names)})
    result.blockers = sorted(set(result.blockers))
    return result, diffs


def _classify(diff: Any, result: InstanceDiff) -> None:
    removed, changed = set(diff.removed), set(diff.changed)
    for task in {*removed, *changed}:
        element = _element(task)
        if element is None:
            continue
        done = task.state in (TaskState.COMPLETED, TaskState.CANCELLED)
        if task in removed:
            (result.removed_done if done else result.removed_ahead).append(element)
        elif done:
            result.changed_done.append(element)
        elif task.state & POSITION:
            result.changed_position.append(element)
    for name in ("removed_done", "removed_ahead", "changed_done", "changed_position"):
        setattr(result, name, sorted(set(getattr(result, name))))


def _aligned(diffs: _Diffs, task: Task) -> Any:
    """The new spec of ``task`` (a subworkflow's diff is keyed by its parent task's id)."""
    parent = task.workflow.parent_task_id
    diff = diffs.top if parent is None else diffs.subprocesses.get(parent)
    return None if diff is None else diff.alignment.get(task)


def _all_specs(spec: Any, subprocess_specs: dict[str, Any]) -> Iterator[Any]:
    yield from spec.task_specs.values()
    for sub in subprocess_specs.values():
        yield from sub.task_specs.values()


def _reachable(specs: Specs, starts: Iterable[Any]) -> set[str]:
    """Element ids reachable from ``starts`` in ``specs`` (a version's, or a workflow's own):
    along the flows, into a subprocess, and out of it after its end."""
    parents = {spec.spec: spec for spec in _all_specs(specs.spec, specs.subprocess_specs)
               if isinstance(spec, SubWorkflowTask)}
    # A subprocess the instance is in is not entered again: the tasks it is at inside are
    # among the starts.
    inside = {id(spec) for spec in starts if isinstance(spec, SubWorkflowTask)}
    seen = set(inside)
    todo = [output for spec in starts if spec is not None
            for output in (spec.outputs if id(spec) in inside else [spec])]
    while todo:
        spec = todo.pop()
        if id(spec) in seen:
            continue
        seen.add(id(spec))
        todo.extend(spec.outputs)
        if isinstance(spec, SubWorkflowTask) and spec.spec in specs.subprocess_specs:
            todo.append(specs.subprocess_specs[spec.spec].start)
        process = spec._wf_spec
        if spec is process.end and process.name in parents:
            todo.extend(parents[process.name].outputs)
    return {spec.bpmn_id for spec in _all_specs(specs.spec, specs.subprocess_specs)
            if id(spec) in seen - inside and getattr(spec, "bpmn_id", None)}


@dataclass(frozen=True)
class _Timer:
    """A waiting timer's definition and expression value before the migration."""

    definition: TimerEventDefinition
    expression: Any  # None if it could not be evaluated


def migrate(workflow: BpmnWorkflow, new: Specs, diffs: _Diffs, new_rules: bool = False,
            derive: Callable[[dict[str, Any]], None] | None = None) -> list[str]:
    """Move ``workflow`` onto ``new`` (``compare`` said it can); run it with the clock
    frozen at the migration's instant.

    Only READY tasks are reset (their successors predicted again from the new version):
    ``migrate_workflow``'s default also resets WAITING tasks, which drops what a cycle
    timer already started (sent status notices, a failed one awaiting retry) and restarts
    every timer at the migration. A waiting task keeps its timer; its successors follow the
    new version when it completes. With ``new_rules`` the completed decisions are evaluated
    again on the new tables, the open tasks get their results (then ``derive`` redoes what
    is computed from them), and each timer takes the due time its new expression gives
    from the same start. Returns the data variables whose value changed."""
    timers = {task.id: _snapshot(task, definition)
              for task in workflow.get_tasks(state=TaskState.WAITING)
              if (definition := _timer_definition(task.task_spec))
              and "event_value" in task.internal_data}
    migrate_workflow(diffs.top, workflow, new.spec, reset_mask=TaskState.READY)
    for key, sub in workflow.subprocesses.items():
        migrate_workflow(diffs.subprocesses[key], sub, new.subprocess_specs[sub.spec.name],
                         reset_mask=TaskState.READY)
    workflow.subprocess_specs = new.subprocess_specs
    for _key, each in _workflows(workflow):
        _drop_removed(each)
    if not new_rules:
        return []
    changed = _reevaluate_decisions(workflow, derive)
    for task in workflow.get_tasks(state=TaskState.WAITING):
        if task.id in timers:
            _reschedule(task, timers[task.id])
    return changed


def _drop_removed(workflow: BpmnWorkflow) -> None:
    """Tasks of elements the new version no longer has (``migrate_workflow`` leaves them):
    a finished one leaves the tree, its children moving up to its parent (the audit trail
    keeps what it did); a predicted one is dropped, to be predicted again by its parent.
    A stored instance must name only task specs of its own version."""
    known = {id(spec) for spec in workflow.spec.task_specs.values()}
    for task in list(workflow.tasks.values()):
        if task.id not in workflow.tasks or id(task.task_spec) in known:
            continue
        if task.state & (TaskState.COMPLETED | TaskState.CANCELLED):
            _splice(workflow, task)
        else:
            workflow._remove_task(task.id)


def _splice(workflow: BpmnWorkflow, task: Task) -> None:
    parent = task.parent
    index = parent._children.index(task.id)
    parent._children[index:index + 1] = task._children
    for child in task.children:
        child._parent = parent.id
    del workflow.tasks[task.id]
    if workflow.last_task is task:
        workflow.last_task = None


def _timer_definition(spec: Any) -> TimerEventDefinition | None:
    """The timer a task spec waits for, alone or among the events of an event-based
    gateway (a MultipleEventDefinition)."""
    definition = getattr(spec, "event_definition", None)
    inner = getattr(definition, "event_definitions", None) or [definition]
    return next((d for d in inner if isinstance(d, TimerEventDefinition)), None)


def _snapshot(task: Task, definition: TimerEventDefinition) -> _Timer:
    try:
        expression = task.workflow.script_engine.evaluate(task, definition.expression)
    except Exception:  # a broken old expression is what a migration repairs
        expression = None
    return _Timer(definition, expression)


def _open(workflow: BpmnWorkflow) -> list[Task]:
    return [task for task in workflow.get_tasks()
            if task.state not in (TaskState.COMPLETED, TaskState.CANCELLED)]


def _reevaluate_decisions(workflow: BpmnWorkflow,
                          derive: Callable[[dict[str, Any]], None] | None) -> list[str]:
    """Evaluate every completed decision again with its (new) table on the data it had; put
    the results that differ into the data of the open tasks (and their parents)."""
    results: dict[str, Any] = {}
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        if isinstance(task.task_spec, BusinessRuleTaskMixin):
            for name, value in task.task_spec.dmnEngine.result(task).items():
                if task.data.get(name) != value:
                    results[name] = value
    if not results:
        return []
    for task in _open_with_parents(workflow):
        task.data.update(results)
        if derive is not None:
            derive(task.data)
    return sorted(results)


def _open_with_parents(workflow: BpmnWorkflow) -> list[Task]:
    """The open tasks and their parents: a waiting task merges its parent's data into its
    own at every update, so a value given to it alone would be overwritten."""
    tasks = {task.id: task for task in _open(workflow)}
    for task in list(tasks.values()):
        if task.parent is not None:
            tasks.setdefault(task.parent.id, task.parent)
    return list(tasks.values())


def _reschedule(task: Task, before: _Timer) -> None:
    """A waiting timer's due time under its new expression, counted from the start it had
    (a timer whose kind changed starts afresh)."""
    definition = _timer_definition(task.task_spec)
    value = task.internal_data.get("event_value")
    if (definition is None or type(definition) is not type(before.definition)
            or before.expression is None):
        task.internal_data.pop("event_value", None)
        return
    expression = task.workflow.script_engine.evaluate(task, definition.expression)
    if isinstance(definition, CycleTimerEventDefinition):
        _cycles, _start, duration = TimerEventDefinition.parse_iso_recurring_interval(
            expression)
        start = datetime.fromisoformat(value["next"]) - timedelta(seconds=value["duration"])
        value.update(next=(start + duration).isoformat(), duration=duration.total_seconds())
    elif isinstance(definition, DurationTimerEventDefinition):
        due = TimerEventDefinition.get_datetime(value)
        start = due - _duration(before.expression, due)
        task.internal_data["event_value"] = (start + _duration(expression, start)).isoformat()
    else:
        task.internal_data["event_value"] = expression


def _duration(expression: str, start: datetime) -> timedelta:
    parsed = TimerEventDefinition.parse_iso_duration(expression)
    duration: timedelta = TimerEventDefinition.get_timedelta_from_start(parsed, start)
    return duration


def timer_dues(workflow: BpmnWorkflow) -> dict[str, str]:
    """When each waiting timer falls due next, by element id (ISO instant)."""
    dues: dict[str, str] = {}
    for task in workflow.get_tasks(state=TaskState.WAITING):
        value = task.internal_data.get("event_value")
        element = _element(task)
        if value is None or not element:
            continue
        if isinstance(value, dict):
            if value.get("cycles", 0) == 0:
                continue
            value = value["next"]
        dues[element] = str(value)
    return dues
