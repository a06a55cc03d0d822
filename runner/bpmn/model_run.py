"""Running a process model before it is deployed, to find what fails only at run time.

:class:`ModelExplorer` runs the model's engine in memory, with the real operators writing to
a scratch database, on a virtual clock. It walks the paths as people would: each start the
application gives (:meth:`ModelExplorer.starts`), every user task completed with sample data
from its form (one variant per choice that a condition, table or template can decide on),
every message the instance waits for sent, every timer fired. Every DMN table, expression,
due date and timer is evaluated on the way, and whatever the application checks after each
step (:meth:`ModelExplorer.after_step`). A failure is reported with the element, the file
that defines it and the path that led there.

Paths are explored breadth-first: at each state (step, open tasks, awaited messages) of a
flavour (what the start varies that changes every later step), the first action not tried
yet is taken and the others are queued as forks of the stored state. A message that a new
instance accepts already (an event subprocess, say) is explored in the first flavour only.
"""

from __future__ import annotations

import re
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from . import clock as clocks
from .case import Case
from .definitions import FORMS_DIR, ProcessModel
from .engine import (
    Operator,
    StoredSpecs,
    dump_state,
    load_state,
    new_workflow,
    operator_context,
    restore_specs,
    serialize_spec,
)
from .errors import ERROR, WARNING, Problem, ValidationFailed
from .form_samples import samples
from .forms import validate_form, with_defaults
from .store import Base

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
MAX_ACTIONS = 400  # over all paths: bounds the run
MAX_DEPTH = 30  # actions on one path


@dataclass(frozen=True)
class Action:
    kind: str  # "taak", "bericht" or "timer"
    element: str  # the user task's or message's name ("" for a timer)
    data: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    variant: int = 0
    label: str = field(default="", compare=False, hash=False)


@dataclass(frozen=True)
class Start:
    data: dict[str, Any]  # the start form's data
    label: str
    flavour: tuple[Any, ...] = ()  # what the start varies that changes every later step


@dataclass
class Walk:
    """One instance on one path: its case, its case-file row, the clock, the way there."""

    start: Start
    case_file: Any
    case: Case
    now: datetime
    path: list[Action] = field(default_factory=list)

    def describe(self) -> str:
        return " → ".join([self.start.label, *(action.label for action in self.path)])


class _Failed(Exception):
    """An action failed; the problem is reported, the path stops."""


@contextmanager
def scratch_session() -> Iterator[Session]:
    """A session on a new SQLite file with every table of :class:`Base` (the application's
    too, once its models are imported), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="model-run-") as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'run.db'}")
        try:
            Base.metadata.create_all(engine)
            with Session(engine) as session:
                yield session
        finally:
            engine.dispose()


def run_model(files: dict[str, str], parse: Callable[[dict[str, str]], ProcessModel],
              explorer: type[ModelExplorer], operators: Mapping[str, Operator]) -> list[Problem]:
    """Every run-time failure of the model in ``files``, as lint problems: ``explorer``
    walks it with ``operators``, from the specs exactly as a deploy stores them, in a
    scratch database."""
    model = parse(files)
    specs = restore_specs(serialize_spec(model))
    with scratch_session() as session:
        walker = explorer(session, model, specs, operators)
        walker.run()
    return walker.problems


class ModelExplorer:
    """Walks a model's paths; an application says where they start and what it checks."""

    start_form = ""  # the form in forms/ that the starts' data must fit

    def __init__(self, session: Session, model: ProcessModel, specs: StoredSpecs,
                 operators: Mapping[str, Operator]):
        self.session = session
        self.model = model
        self.specs = specs
        self.operators = operators
        self.problems: list[Problem] = []
        self.seen: set[tuple[str, str]] = set()
        self.tried: set[tuple[Any, ...]] = set()
        self.visited: set[tuple[Any, ...]] = set()
        self.always: set[str] | None = None
        self.first_flavour: tuple[Any, ...] = ()
        self.budget = MAX_ACTIONS
        self.elements = {spec.bpmn_id for spec in model.all_task_specs() if spec.bpmn_id}
        self.reached: set[str] = set()
        self.choices = _deciding_names(model)
        self.xml = {name: text for name, text in model.files.items()
                    if name.endswith((".bpmn", ".dmn"))}

    # ----- what the application says
    def starts(self) -> list[Start]:
        """Where the paths start: each with the start form's data."""
        raise NotImplementedError

    def case_file(self, start: Start, data: dict[str, Any], now: datetime) -> Any:
        """The case-file row a started instance belongs to (added to the session)."""
        raise NotImplementedError

    def context(self, walk: Walk) -> Any:
        """What the operators receive during a step."""
        raise NotImplementedError

    def started(self, walk: Walk) -> bool:
        """Whether a new instance came out as it must (else report and return False)."""
        return True

    def message_payload(self, name: str) -> dict[str, Any]:
        """A message's sample data: from the form named like its variable, if there is one."""
        form = f"{FORMS_DIR}/{_message_variable(self.model, name) or name}.json"
        if form not in self.model.files:
            return {}
        found = samples(self.model.json_file(form), START)
        return found[0] if found else {}

    def after_step(self, walk: Walk) -> None:
        """Checks of what a step produced (notices, letters, deadlines)."""

    def after_run(self) -> None:
        """Checks of what all the paths together produced."""

    def covered_more(self) -> bool:
        """Whether the application's own coverage is complete too (the run may stop)."""
        return True

    # ----- driver
    def run(self) -> None:
        starts = self.starts()
        self.first_flavour = starts[0].flavour
        queue: deque[Callable[[], Walk | None]] = deque(
            partial(self.submit, start) for start in starts)
        while queue and self.budget > 0 and not self.covered_all():
            walk = queue.popleft()()
            if walk is not None:
                self.go_on(walk, queue)
        if any(problem.severity == ERROR for problem in self.problems):
            return  # paths stopped at the errors: what they did not reach says nothing
        self.after_run()
        for element in sorted(self.elements - self.reached):
            self.fail(element, "werd bij de controle op geen enkel pad bereikt; controleer "
                               "of een stroom of voorwaarde ernaartoe ontbreekt", WARNING)

    def covered_all(self) -> bool:
        """Every element reached, and what the application covers."""
        return self.reached >= self.elements and self.covered_more()

    def go_on(self, walk: Walk, queue: deque[Callable[[], Walk | None]]) -> None:
        """Take the first untried action from each state, queue the others as forks; stop
        at a state that a walk of the same flavour reached before."""
        forked = True
        while self.budget > 0 and len(walk.path) < MAX_DEPTH:
            state = (walk.start.flavour, walk.case.step(),
                     tuple(sorted(t.task_spec.name for t in walk.case.ready_user_tasks())),
                     tuple(sorted(walk.case.waiting_messages())))
            if state in self.visited and not forked:
                return
            forked = False
            self.visited.add(state)
            if self.always is None:
                self.always = set(state[3])
            actions = [a for a in self.actions(walk) if (state, a) not in self.tried
                       and not self.elsewhere(walk.start, a)]
            if not actions:
                return
            self.tried.update((state, action) for action in actions)
            snapshot = (dump_state(walk.case.workflow), walk.now, list(walk.path))
            queue.extend(partial(self.fork, walk, snapshot, action) for action in actions[1:])
            if not self.perform(walk, actions[0]):
                return

    def fork(self, walk: Walk, snapshot: tuple[str, datetime, list[Action]],
             action: Action) -> Walk | None:
        state, now, path = snapshot
        fork = Walk(walk.start, walk.case_file, Case(load_state(state, self.specs), self.model),
                    now, list(path))
        return fork if self.perform(fork, action) else None

    def elsewhere(self, start: Start, action: Action) -> bool:
        return (action.kind == "bericht" and start.flavour != self.first_flavour
                and action.element in (self.always or set()))

    def actions(self, walk: Walk) -> list[Action]:
        actions: list[Action] = []
        for task in walk.case.open_tasks():
            variants: list[dict[str, Any]] = [{}]
            if task.form:
                variants = samples(self.model.form(task.form), walk.now, self.choices)
                if not variants:
                    self.fail(task.spec_name, f"de controle kan geen geldige gegevens maken "
                                              f"voor {FORMS_DIR}/{task.form}; dit pad werd "
                                              "niet uitgevoerd", WARNING)
            actions += [Action("taak", task.spec_name, data, index,
                               f"{task.spec_name} {_short(data)}".strip())
                        for index, data in enumerate(variants)]
        if walk.case.next_timer_at():
            actions.append(Action("timer", "", {}, 0, "timer verstreken"))
        actions += [Action("bericht", name, self.message_payload(name), 0, f"bericht {name}")
                    for name in sorted(walk.case.waiting_messages())]
        return actions

    # ----- running
    def submit(self, start: Start) -> Walk | None:
        """A new instance from the start's data, as the application starts one."""
        self.budget -= 1
        form_file = f"{FORMS_DIR}/{self.start_form}"
        form = self.model.form(self.start_form)
        now = START
        data = with_defaults(form, {**self.start_defaults(now), **start.data})
        try:
            validate_form(form, data)
        except ValidationFailed as err:
            self.fail("", f"het voorbeeld ({start.label}) past niet in {form_file}: {err}",
                      WARNING, form_file)
            return None
        case_file = self.case_file(start, data, now)
        self.session.flush()
        workflow = new_workflow(self.specs, {**self.start_data(), **data})
        walk = Walk(start, case_file, Case(workflow, self.model), now)
        if not self.step(walk, lambda: walk.case.run()):
            return None
        return walk if self.started(walk) else None

    def start_defaults(self, now: datetime) -> dict[str, Any]:
        """Start form fields the application fills in itself (the instant of receipt)."""
        return {}

    def start_data(self) -> dict[str, Any]:
        """Data every new instance starts with, beside the start form's."""
        return {}

    def perform(self, walk: Walk, action: Action) -> bool:
        self.budget -= 1
        walk.path.append(action)
        if action.kind == "taak":
            task = next(t for t in walk.case.ready_user_tasks()
                        if t.task_spec.name == action.element)
            try:
                walk.case.validate(task, action.data)
            except ValidationFailed as err:
                self.fail(action.element, f"de voorbeeldgegevens van de controle passen niet "
                                          f"in het formulier ({err})", WARNING)
                return False
            return self.step(walk, lambda: walk.case.complete(task, action.data))
        if action.kind == "bericht":
            return self.step(walk, lambda: walk.case.send_message(action.element, action.data))
        due = walk.case.next_timer_at() or walk.now  # offered only when a timer waits
        walk.now = max(walk.now, due) + timedelta(seconds=1)
        return self.step(walk, lambda: walk.case.tick(walk.now))

    def step(self, walk: Walk, engine_step: Callable[[], None]) -> bool:
        """Run engine steps as an action does, then read what a save would: the open tasks
        with their due dates and letters, the next timer. False on failure."""
        try:
            with clocks.frozen_at(walk.now), operator_context(self.context(walk), self.operators):
                try:
                    engine_step()
                finally:
                    failed = walk.case.incident_tasks()
                if failed:
                    raise _Failed(failed[0].task_spec.name, "de stap faalt")
                for task in walk.case.ready_user_tasks():
                    walk.case.letter_code(task)
                walk.case.open_tasks()
                walk.case.next_timer_at()
            self.session.flush()
        except _Failed as err:
            self.fail(err.args[0], f"faalt op het pad {walk.describe()}: {err.args[1]}")
            return False
        except Exception as err:  # every failure is a finding
            element = _element_of(err, walk)
            self.fail(element, f"faalt op het pad {walk.describe()}: {reason(err)}")
            return False
        self.reached.update(task.task_spec.bpmn_id for task in walk.case.workflow.get_tasks(
            state=TaskState.COMPLETED | TaskState.READY | TaskState.WAITING))
        self.after_step(walk)
        return True

    # ----- reporting
    def fail(self, element: str, message: str, severity: str = ERROR,
             file: str | None = None) -> None:
        key = (element, re.sub(r"^faalt op het pad .*?: ", "", message))
        if key in self.seen:
            return
        self.seen.add(key)
        table = self.decision_file(element)
        if table:
            message = f"{message} (beslissingstabel in {table})"
        self.problems.append(Problem(file or self.locate(element), element, message, severity))

    def decision_file(self, element: str) -> str | None:
        """The DMN file of a business rule task's table: where a designer fixes it."""
        spec = next((s for s in self.model.all_task_specs() if s.name == element), None)
        table = getattr(getattr(getattr(spec, "dmnEngine", None), "decision_table", None),
                        "id", None)
        return next((name for name, text in self.xml.items()
                     if table and name.endswith(".dmn") and f'id="{table}"' in text), None)

    def locate(self, element: str) -> str:
        pattern = f'id="{element}"'
        found = [name for name, text in self.xml.items() if element and pattern in text]
        return found[0] if found else next(iter(sorted(self.xml)), "")


def _element_of(err: BaseException, walk: Walk) -> str:
    """The element an engine error is about: its task, else the task being run when it
    was raised (read from the traceback), else the last action's."""
    task = getattr(err, "task", None)
    if task is not None:
        name: str = task.task_spec.name
        return name
    traceback = err.__traceback__
    found = ""
    while traceback is not None:
        candidate = traceback.tb_frame.f_locals.get("my_task")
        if candidate is not None and hasattr(candidate, "task_spec"):
            found = candidate.task_spec.name
        traceback = traceback.tb_next
    return found or (walk.path[-1].element if walk.path else "")


def _deciding_names(model: ProcessModel) -> set[str]:
    """Names that conditions, DMN tables and templates use: a choice in a form is varied
    only when one of these can decide on it."""
    texts = [text for name, text in model.files.items() if name.endswith((".dmn", ".txt"))]
    for spec in model.all_task_specs():
        for condition, _ in getattr(spec, "cond_task_specs", None) or ():
            texts.append(str(getattr(condition, "args", [""])[0]))
    return set(re.findall(r"\w+", " ".join(texts)))


def _message_variable(model: ProcessModel, name: str) -> str | None:
    for spec in model.all_task_specs():
        definition = getattr(spec, "event_definition", None)
        if getattr(definition, "name", None) == name:
            return getattr(definition, "result_var", None) or None
    return None


def _short(data: dict[str, Any]) -> str:
    choices = [f"{k}={v}" for k, v in data.items() if isinstance(v, str) and len(v) <= 20]
    return f"({', '.join(choices)})" if choices else ""


def reason(err: BaseException) -> str:
    """The first line of an error's message (the line a designer reads)."""
    lines = str(err).strip().splitlines()
    return lines[0].strip() if lines else type(err).__name__
