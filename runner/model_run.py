"""Running a process model before it is deployed, to find what fails only at run time.

:func:`run_model` runs the model's engine in memory, with the real operators writing to a
scratch database, on a virtual clock. It walks the paths as members and mediators would:
complaints with and without e-mail, by letter, anonymous, in each language, through each
channel and category; every user task completed with sample data from its form (one variant
per choice that a condition, table or template can decide on), every message the dossier
waits for sent, every timer fired. Every notice is rendered (and every letter printed), every
DMN table, expression, due date and timer evaluated on the way. A failure is reported with
the element, the file that defines it and the path that led there.

Paths are explored breadth-first: at each state (step, open tasks, awaited messages) of a
flavour (language and delivery channel), the first action not tried yet is taken and the
others are queued as forks of the stored state. A message that a new dossier accepts
already (an event subprocess, a withdrawal) is explored in the first flavour only.
"""

from __future__ import annotations

import re
import tempfile
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from .bpmn import clock as clocks
from .bpmn.case import Case
from .bpmn.definitions import FORMS_DIR
from .bpmn.engine import (
    StoredSpecs,
    dump_state,
    load_state,
    new_workflow,
    operator_context,
    restore_specs,
    serialize_spec,
)
from .bpmn.errors import ValidationFailed
from .bpmn.form_samples import samples
from .bpmn.forms import validate_form, with_defaults
from .bpmn.store import Base
from .definitions import LANGUAGES, Model, parse
from .letters import notice_letter
from .lint import ERROR, WARNING, Problem
from .operators import OperatorContext, delivery_address, postal_address
from .rule_texts import rule_names
from .service import COMPLAINT_FORM, UNDELIVERABLE_MESSAGE
from .status import TEXTS as STATUS_TEXTS
from .store import Dossier, Notice

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
MAX_ACTIONS = 400  # over all paths: bounds the run
MAX_DEPTH = 30  # actions on one path
CALENDAR_DAYS = "kalenderdagen"
_MEMBER = {"voornaam": "An", "achternaam": "Peeters", "email": "an.peeters@example.be",
           "adres": "Kerkstraat 1, 9000 Gent", "telefoon": "09 123 45 67",
           "lidnummer": "12345678901"}
_CONTACTS = (
    ("met e-mail", _MEMBER),
    ("per brief, zonder e-mail", {k: v for k, v in _MEMBER.items() if k != "email"}),
    ("alleen per telefoon", {k: _MEMBER[k] for k in ("voornaam", "achternaam", "telefoon")}),
    ("anoniem", {}),
)
_INTERVAL = re.compile(r"""\[\s*['"](\w+)['"]\s*\]\s*\[\s*['"]interval['"]\s*\]""")


@dataclass(frozen=True)
class Action:
    kind: str  # "taak", "bericht" or "timer"
    element: str  # the user task's or message's name ("" for a timer)
    data: dict = field(default_factory=dict, compare=False, hash=False)
    variant: int = 0
    label: str = field(default="", compare=False, hash=False)


@dataclass(frozen=True)
class Start:
    complaint: dict
    label: str
    flavour: tuple = ()  # what changes every notice: language and delivery channel


@dataclass
class _Walk:
    """One dossier on one path: its case, the dossier row, the clock, the way there."""

    start: Start
    dossier: Dossier
    case: Case
    now: datetime
    path: list[Action] = field(default_factory=list)

    def describe(self) -> str:
        return " → ".join([self.start.label, *(action.label for action in self.path)])


class _Failed(Exception):
    """An action failed; the problem is reported, the path stops."""


def run_model(files: dict[str, str]) -> list[Problem]:
    """Every run-time failure of the model in ``files``, as lint problems."""
    model = parse(files)
    specs = restore_specs(serialize_spec(model))  # exactly what a deploy stores
    with _scratch_session() as session:
        explorer = _Explorer(session, model, specs)
        explorer.run()
    return explorer.problems


@contextmanager
def _scratch_session() -> Iterator[Session]:
    with tempfile.TemporaryDirectory(prefix="klachten-lint-") as folder:
        engine = create_engine(f"sqlite:///{Path(folder) / 'lint.db'}")
        try:
            Base.metadata.create_all(engine)
            with Session(engine) as session:
                yield session
        finally:
            engine.dispose()


class _Explorer:
    def __init__(self, session: Session, model: Model, specs: StoredSpecs):
        self.session = session
        self.model = model
        self.specs = specs
        self.problems: list[Problem] = []
        self.seen: set[tuple[str, str]] = set()
        self.tried: set[tuple] = set()
        self.visited: set[tuple] = set()
        self.letters: set[str] = set()
        self.always: set[str] | None = None
        self.first_flavour: tuple = ()
        self.budget = MAX_ACTIONS
        self.elements = {spec.bpmn_id for spec in model.all_task_specs() if spec.bpmn_id}
        self.notices = {(kind, language) for kind in _notice_kinds(model)
                        for language in LANGUAGES}
        self.reached: set[str] = set()
        self.rules: set[str] = set()  # the deadline rules the dossiers computed
        self.rendered: set[tuple[str, str]] = set()
        self.choices = _deciding_names(model)
        self.interval_timers = _interval_timers(model)
        self.xml = {name: text for name, text in model.files.items()
                    if name.endswith((".bpmn", ".dmn"))}

    # ----- driver
    def run(self) -> None:
        starts = self.starts()
        self.first_flavour = starts[0].flavour
        queue: deque[Callable[[], _Walk | None]] = deque(
            partial(self.submit, start) for start in starts)
        while queue and self.budget > 0 and not self.covered_all():
            walk = queue.popleft()()
            if walk is not None:
                self.go_on(walk, queue)
        if any(problem.severity == ERROR for problem in self.problems):
            return  # paths stopped at the errors: what they did not reach says nothing
        self.check_rule_texts()
        for element in sorted(self.elements - self.reached):
            self.fail(element, "werd bij de controle op geen enkel pad bereikt; controleer "
                               "of een stroom of voorwaarde ernaartoe ontbreekt", WARNING)

    def covered_all(self) -> bool:
        """Every element reached and every notice rendered in every language."""
        return self.reached >= self.elements and self.rendered >= self.notices

    def go_on(self, walk: _Walk, queue: deque) -> None:
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

    def fork(self, walk: _Walk, snapshot: tuple, action: Action) -> _Walk | None:
        state, now, path = snapshot
        fork = _Walk(walk.start, walk.dossier, Case(load_state(state, self.specs), self.model),
                     now, list(path))
        return fork if self.perform(fork, action) else None

    def elsewhere(self, start: Start, action: Action) -> bool:
        return (action.kind == "bericht" and start.flavour != self.first_flavour
                and action.element in (self.always or set()))

    def starts(self) -> list[Start]:
        form = self.model.form(COMPLAINT_FORM)
        properties = form.get("properties", {})
        categories = list(self.model.settings.get("categorieen") or []) or ["andere"]
        channels = list(properties.get("kanaal", {}).get("enum") or ["web"])
        languages = list(properties.get("taal", {}).get("enum") or ["nl"])
        base = {"taal": languages[0], "kanaal": channels[0], "categorie": categories[0],
                "omschrijving": "Ik kreeg te weinig terugbetaald voor mijn kinesitherapie."}
        starts = [Start({**base, "taal": language, "klager": contact},
                        f"klacht {how}, taal {language}",
                        (language, delivery_address(contact)[0]))
                  for language in languages for how, contact in _CONTACTS]
        flavour = starts[0].flavour
        starts += [Start({**base, "kanaal": channel, "klager": _MEMBER},
                         f"klacht via kanaal {channel}", flavour) for channel in channels[1:]]
        starts += [Start({**base, "categorie": category, "klager": _MEMBER},
                         f"klacht in categorie {category}", flavour)
                   for category in categories[1:]]
        return starts

    def actions(self, walk: _Walk) -> list[Action]:
        actions: list[Action] = []
        for task in walk.case.open_tasks():
            variants = [{}]
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
        actions += [Action("bericht", name, self.payload(name), 0, f"bericht {name}")
                    for name in sorted(walk.case.waiting_messages())]
        return actions

    def payload(self, name: str) -> dict:
        if name == UNDELIVERABLE_MESSAGE:
            return {"soort": "ontvangstmelding", "code": "ABCDEFGH", "kanaal": "email",
                    "reden": "550 onbekende ontvanger (controle)", "pogingen": 3}
        form = f"{FORMS_DIR}/{_message_variable(self.model, name) or name}.json"
        if form not in self.model.files:
            return {}
        found = samples(self.model.json_file(form), START)
        return found[0] if found else {}

    # ----- running
    def submit(self, start: Start) -> _Walk | None:
        """A new dossier from the start's complaint, as ``Klachten.submit`` starts it."""
        self.budget -= 1
        form = self.model.form(COMPLAINT_FORM)
        now = START
        data = with_defaults(form, {"ontvangen_op": now.isoformat(), **start.complaint})
        try:
            validate_form(form, data)
        except ValidationFailed as err:
            self.fail("", f"de voorbeeldklacht ({start.label}) past niet in "
                          f"{FORMS_DIR}/{COMPLAINT_FORM}: {err}", WARNING,
                      f"{FORMS_DIR}/{COMPLAINT_FORM}")
            return None
        dossier = Dossier(complainant_name="controle", category=data["categorie"],
                          channel=data["kanaal"], language=data["taal"], received_at=now)
        self.session.add(dossier)
        self.session.flush()
        workflow = new_workflow(self.specs, {**self.model.settings.get("startgegevens", {}),
                                             **data})
        walk = _Walk(start, dossier, Case(workflow, self.model), now)
        if not self.step(walk, lambda: walk.case.run()):
            return None
        if not dossier.number:
            self.fail("", f"het dossier kreeg geen nummer ({start.label})")
            return None
        return walk

    def perform(self, walk: _Walk, action: Action) -> bool:
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
        walk.now = max(walk.now, walk.case.next_timer_at()) + timedelta(seconds=1)
        return self.step(walk, lambda: walk.case.tick(walk.now))

    def step(self, walk: _Walk, engine_step: Callable[[], None]) -> bool:
        """Run engine steps as an action does, then read what a save would: the open tasks
        with their due dates and letters, the next timer, new notices. False on failure."""
        ctx = OperatorContext(session=self.session, dossier=walk.dossier, model=self.model,
                              now=walk.now)
        try:
            with clocks.frozen_at(walk.now), operator_context(ctx):
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
            self.fail(element, f"faalt op het pad {walk.describe()}: {_reason(err)}")
            return False
        self.reached.update(task.task_spec.bpmn_id for task in walk.case.workflow.get_tasks(
            state=TaskState.COMPLETED | TaskState.READY | TaskState.WAITING))
        self.print_letters(walk)
        deadlines = walk.case.deadlines()
        self.rules.update(deadlines)
        self.check_intervals(deadlines)
        return True

    def print_letters(self, walk: _Walk) -> None:
        """Print a letter once per language (its layout differs by language only)."""
        self.rendered.update(self.session.execute(
            select(Notice.kind, Notice.language).distinct()).all())
        notices = self.session.scalars(select(Notice).where(
            Notice.dossier_id == walk.dossier.id, Notice.channel == "brief"))
        for notice in notices:
            if notice.language in self.letters:
                continue
            self.letters.add(notice.language)
            try:
                notice_letter(self.model, [notice], walk.dossier.number or "",
                              postal_address(walk.start.complaint["klager"]) or "")
            except Exception as err:  # every failure is a finding
                self.fail("", f"de brief '{notice.kind}' ({notice.language}) kan niet "
                              f"gedrukt worden: {_reason(err)}", ERROR,
                          f"notices/{notice.language}/{notice.kind}.txt")

    def check_intervals(self, deadlines: dict[str, dict]) -> None:
        """A cycle timer repeats a fixed number of calendar days: an interval rule that
        counts working days or rolls forward to a working day cannot be honoured."""
        for element, rule in self.interval_timers:
            deadline = deadlines.get(rule)
            if not deadline:
                continue
            rolls = bool(deadline.get("doorschuiven"))
            if deadline.get("eenheid") != CALENDAR_DAYS or rolls:
                self.fail(element, f"het interval '{rule}' telt in {deadline.get('eenheid')}"
                                   f"{' en schuift door naar een werkdag' if rolls else ''}, "
                                   "maar een herhalende timer herhaalt een vast aantal "
                                   "kalenderdagen; zet in de termijnentabel eenheid "
                                   "'kalenderdagen' en doorschuiven False voor deze regel")

    def check_rule_texts(self) -> None:
        """Every ``{rule.dagen}`` in the status page texts and the forms names a rule that
        the dossiers compute."""
        for name in sorted(self.model.files):
            if name != STATUS_TEXTS and not (name.startswith(f"{FORMS_DIR}/")
                                             and name.endswith(".json")):
                continue
            for rule in sorted(set(rule_names(self.model.json_file(name))) - self.rules):
                self.fail("", f"de tekst noemt {{{rule}.dagen}}, maar geen dossier berekent "
                              f"een termijn '{rule}'; kies een termijn uit de termijnentabel "
                              f"({', '.join(sorted(self.rules))})", ERROR, name)

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


def _element_of(err: BaseException, walk: _Walk) -> str:
    """The element an engine error is about: its task, else the task being run when it
    was raised (read from the traceback), else the last action's."""
    task = getattr(err, "task", None)
    if task is not None:
        return task.task_spec.name
    traceback = err.__traceback__
    found = ""
    while traceback is not None:
        candidate = traceback.tb_frame.f_locals.get("my_task")
        if candidate is not None and hasattr(candidate, "task_spec"):
            found = candidate.task_spec.name
        traceback = traceback.tb_next
    return found or (walk.path[-1].element if walk.path else "")


def _deciding_names(model: Model) -> set[str]:
    """Names that conditions, DMN tables and templates use: a choice in a form is varied
    only when one of these can decide on it."""
    texts = [text for name, text in model.files.items() if name.endswith((".dmn", ".txt"))]
    for spec in model.all_task_specs():
        for condition, _ in getattr(spec, "cond_task_specs", None) or ():
            texts.append(str(getattr(condition, "args", [""])[0]))
    return set(re.findall(r"\w+", " ".join(texts)))


def _notice_kinds(model: Model) -> set[str]:
    """The notice kinds the diagram's service tasks produce (a literal ``soort``)."""
    kinds = set()
    for spec in model.all_task_specs():
        value = (getattr(spec, "operation_params", None) or {}).get("soort", {})
        match = re.fullmatch(r"""\s*['"](\w+)['"]\s*""", str(value.get("value", "")))
        if match:
            kinds.add(match[1])
    return kinds


def _interval_timers(model: Model) -> list[tuple[str, str]]:
    """``(timer element, deadline rule)`` for each cycle timer repeating a rule's interval."""
    found = []
    for spec in model.all_task_specs():
        definition = getattr(spec, "event_definition", None)
        if isinstance(definition, CycleTimerEventDefinition):
            found += [(spec.bpmn_id or spec.name, rule)
                      for rule in _INTERVAL.findall(definition.expression or "")]
    return found


def _message_variable(model: Model, name: str) -> str | None:
    for spec in model.all_task_specs():
        definition = getattr(spec, "event_definition", None)
        if getattr(definition, "name", None) == name:
            return getattr(definition, "result_var", None) or None
    return None


def _short(data: dict) -> str:
    choices = [f"{k}={v}" for k, v in data.items() if isinstance(v, str) and len(v) <= 20]
    return f"({', '.join(choices)})" if choices else ""


def _reason(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0].strip() if lines else type(err).__name__
