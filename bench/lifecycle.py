"""Benchmark: a full dossier lifecycle through the runner against raw SpiffWorkflow, one timer
sweep over many waiting dossiers, and the bytes stored per closed dossier.

Run from the repository root::

    PYTHONPATH=. python bench/lifecycle.py [--quick] [--dossiers N] [--lifecycle-only [--cpu]]

It prints a Markdown report and writes it to ``BENCHMARKS.md``, keeping the hand-written
history below the history marker.

(a) Each dossier goes through six transactions: submit, complete ``ontvankelijkheid_beoordelen``,
    ``onderzoek`` and ``gemotiveerd_antwoord``, a timer sweep after the 30-day reaction window
    (the clock is moved outside the measurement) and ``aanbeveling``. The runner works on a
    SQLite file (WAL, synchronous=FULL, as ``runner.bpmn.store.make_engine`` sets them). The raw
    side does the same engine steps in memory with the same parsed model, script engine and
    operators, serializing and deserializing at each wait state with SpiffWorkflow's stock
    ``BpmnWorkflowSerializer`` (spec included, as its documentation shows); its operators
    write into an in-memory SQLite session that is rolled back per dossier.
    Runner and raw dossiers alternate, so drift in machine speed hits both alike.
(b) ``sweep_timers()`` with 10 000 and 100 000 waiting dossiers of which none is due, the
    waiting rows bulk-inserted with SQLAlchemy Core (copies of a real waiting state).
(c) Bytes stored for one closed dossier (its instance keeps only the compact record of
    ``runner.bpmn.closed_record`` once the workflow ended), the SQLite file size per dossier, and
    the size of the definition stored once.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import importlib
import importlib.metadata
import json
import os
import platform
import pstats
import random
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import create_engine, event, func, insert, select
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from runner.bpmn.clock import frozen_at
from runner.bpmn.engine import SCRIPT_ENGINE, operator_context
from runner.bpmn.store import AuditEntry, Base, Definition, Instance
from runner.definition.model import Model
from runner.operators import OPERATORS, OperatorContext
from runner.procedure import open_klachten
from runner.service import Klachten
from runner.store import Dossier, Notice

try:  # the Alembic migrations, when present; otherwise the models create the schema
    from runner.migrations import upgrade as _migrate
except ImportError:  # pragma: no cover - depends on the state of the repository
    _migrate = None

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "BENCHMARKS.md"
HISTORY_MARKER = "<!-- history: kept by bench/lifecycle.py -->"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REACTION_WINDOW_PASSED = timedelta(days=36)  # 30 days, rolled past a weekend and holiday
TARGET_RATIO = 1.2  # runner/raw per lifecycle (issue 16; it was 1.5)
SWEEP_TARGET_RATIO = 1.5  # 100 000 / 10 000 waiting dossiers: flat
WARMUP = 3

COMPLAINT = {
    "klager": {"voornaam": "An", "achternaam": "Peeters", "email": "an@example.be"},
    "taal": "nl", "kanaal": "web", "categorie": "terugbetaling",
    "omschrijving": "Te weinig terugbetaald voor een raadpleging bij de huisarts.",
}
# (label, user task, form data); the timer sweep sits between the answer and the recommendation.
STEPS: list[tuple[str, str, dict[str, Any]]] = [
    ("complete ontvankelijkheid", "ontvankelijkheid_beoordelen", {"ontvankelijk": "ja"}),
    ("complete onderzoek", "onderzoek", {"bevindingen": "Het remgeld werd verkeerd berekend."}),
    ("complete gemotiveerd_antwoord", "gemotiveerd_antwoord",
     {"uitkomst": "gegrond", "antwoord": "U hebt gelijk; het verschil wordt teruggestort."}),
]
LAST_STEP = ("complete aanbeveling", "aanbeveling", {"aanbevelingen": []})
KINDS = ["submit", *(s[0] for s in STEPS), "sweep_timers (timer fires)", LAST_STEP[0]]


# ----------------------------------------------------------------------------- helpers
def ms(ns: float) -> float:
    return ns / 1e6


def median(values: list[float]) -> float:
    return statistics.median(values)


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


# What a transaction's time is: wall time, or with --cpu the CPU time of this thread (leaves
# out fsync waits and the time other processes had the cores: for comparing two versions of
# the code on a loaded machine; the figures of record are wall time on a quiet one).
CLOCK: Callable[[], int] = time.perf_counter_ns


def timed(call: Callable[[], Any], profile: cProfile.Profile | None = None) -> tuple[Any, int]:
    """Run ``call``; return its result and wall time in ns (profiled when ``profile`` is set)."""
    if profile is not None:
        profile.enable()
    try:
        start = CLOCK()
        result = call()
        return result, CLOCK() - start
    finally:
        if profile is not None:
            profile.disable()


def new_database(folder: Path, name: str) -> tuple[Klachten, str, Path]:
    path = folder / name
    url = f"sqlite:///{path}"
    if _migrate is not None:
        _migrate(url)
        k = open_klachten(url, clock="virtual")
    else:
        k = open_klachten(url, clock="virtual")
        Base.metadata.create_all(k.engine)
    k.clock.set(T0)
    k.deploy()
    return k, url, path


def model_of(k: Klachten) -> tuple[Model, str]:
    with Session(k.engine) as session:
        definition_id = session.scalar(select(func.max(Definition.id)))
        return k.runner.model(session, definition_id)


def open_task_id(k: Klachten, number: str, spec_name: str) -> str:
    tasks = [t for t in k.tasks(number) if t.name == spec_name]
    if len(tasks) != 1:
        raise RuntimeError(f"{number}: expected one open task {spec_name}, got {k.tasks(number)}")
    return tasks[0].id


def machine() -> dict[str, str]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "nproc": str(os.cpu_count()),
        "python": platform.python_version(),
        "spiffworkflow": importlib.metadata.version("SpiffWorkflow"),
        "sqlalchemy": importlib.metadata.version("SQLAlchemy"),
        "sqlite": sqlite3.sqlite_version,
    }


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def command_line() -> str:
    prefix = f"PYTHONPATH={os.environ['PYTHONPATH']} " if os.environ.get("PYTHONPATH") else ""
    return prefix + "python " + shlex.join(sys.argv)


# ----------------------------------------------------------------------------- (a) runner
def runner_lifecycle(k: Klachten, i: int, start: datetime,
                     profile: cProfile.Profile | None = None) -> tuple[str, list[int]]:
    """One dossier through the runner; returns its number and the ns of each transaction."""

    def run(call: Callable[[], Any]) -> tuple[Any, int]:
        return timed(call, profile)

    times: list[int] = []
    complaint = {**COMPLAINT, "klager": {**COMPLAINT["klager"], "voornaam": f"An{i}"}}
    k.clock.set(start)
    submitted, ns = run(lambda: k.submit(complaint))
    times.append(ns)
    number = submitted.dossier_number
    for _, spec_name, data in STEPS:
        task_id = open_task_id(k, number, spec_name)
        _, ns = run(lambda t=task_id, d=data: k.complete_task(t, d, "mia"))
        times.append(ns)
    k.clock.set(start + REACTION_WINDOW_PASSED)
    ticked, ns = run(k.sweep_timers)
    if ticked != 1:
        raise RuntimeError(f"{number}: sweep ticked {ticked} instances, expected 1")
    times.append(ns)
    task_id = open_task_id(k, number, LAST_STEP[1])
    _, ns = run(lambda: k.complete_task(task_id, LAST_STEP[2], "mia"))
    times.append(ns)
    return number, times


# ----------------------------------------------------------------------------- (a) raw
# Raw SpiffWorkflow as its documentation shows it: the stock serializer, spec included.
RAW_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))


def raw_dump(workflow: BpmnWorkflow) -> str:
    return RAW_SERIALIZER.serialize_json(workflow)


def raw_load(state: str) -> BpmnWorkflow:
    workflow = RAW_SERIALIZER.deserialize_json(state)
    workflow.script_engine = SCRIPT_ENGINE
    return workflow


def raw_lifecycle(model: Model, spec_json: str, memory_engine, i: int, start: datetime,
                  profile: cProfile.Profile | None = None) -> list[int]:
    """The same engine steps on SpiffWorkflow alone, state serialized at each wait state."""
    times: list[int] = []
    session = Session(memory_engine)
    session.begin()
    try:
        complaint = {**COMPLAINT, "klager": {**COMPLAINT["klager"], "voornaam": f"An{i}"}}
        dossier = Dossier(complainant_name="An Peeters", category=complaint["categorie"],
                          channel="web", language="nl", received_at=start)
        session.add(dossier)
        session.flush()  # the operators need the dossier row; not measured

        def engine_call(now: datetime, step: Callable[[], str]) -> str:
            ctx = OperatorContext(session=session, dossier=dossier, model=model, now=now)
            with frozen_at(now), operator_context(ctx, OPERATORS):
                return step()

        def submit() -> str:
            data = {"ontvangen_op": start.isoformat(), "kanaal": "web", "taal": "nl",
                    **complaint}
            workflow = BpmnWorkflow(model.spec, model.subprocess_specs,
                                    script_engine=SCRIPT_ENGINE)
            workflow.task_tree.data.update({**model.settings.get("startgegevens", {}), **data})
            workflow.do_engine_steps()
            return raw_dump(workflow)

        def complete(state: str, spec_name: str, data: dict) -> str:
            workflow = raw_load(state)
            task = next(t for t in workflow.get_tasks(state=TaskState.READY, manual=True)
                        if t.task_spec.name == spec_name)
            target = task.task_spec.extensions.get("properties", {}).get("resultaat")
            if target:
                task.data[target] = data
            else:
                task.data.update(data)
            task.run()
            workflow.do_engine_steps()
            return raw_dump(workflow)

        def tick(state: str) -> str:
            workflow = raw_load(state)
            workflow.refresh_timers()
            workflow.do_engine_steps()
            return raw_dump(workflow)

        state, ns = timed(lambda: engine_call(start, submit), profile)
        times.append(ns)
        for _, spec_name, data in STEPS:
            state, ns = timed(lambda s=state, n=spec_name, d=data:
                              engine_call(start, lambda: complete(s, n, d)), profile)
            times.append(ns)
        later = start + REACTION_WINDOW_PASSED
        state, ns = timed(lambda s=state: engine_call(later, lambda: tick(s)), profile)
        times.append(ns)
        state, ns = timed(lambda s=state: engine_call(
            later, lambda: complete(s, LAST_STEP[1], LAST_STEP[2])), profile)
        times.append(ns)
        if not raw_load(state).is_completed():
            raise RuntimeError("raw lifecycle did not complete the workflow")
        return times
    finally:
        session.rollback()
        session.close()


def bench_lifecycle(folder: Path, n: int) -> dict[str, Any]:
    k, _, db_path = new_database(folder, "lifecycle.db")
    model, spec_json = model_of(k)
    memory_engine = create_engine("sqlite://", poolclass=StaticPool)
    Base.metadata.create_all(memory_engine)

    runner_times: list[list[int]] = []
    raw_times: list[list[int]] = []
    numbers: list[str] = []
    for i in range(WARMUP + n):
        start = T0 + timedelta(minutes=i)  # the clock goes back after each dossier's sweep
        order = ("runner", "raw") if i % 2 == 0 else ("raw", "runner")
        for side in order:
            gc.collect()
            if side == "runner":
                number, times = runner_lifecycle(k, i, start)
                if i >= WARMUP:
                    runner_times.append(times)
                    numbers.append(number)
            else:
                times = raw_lifecycle(model, spec_json, memory_engine, i, start)
                if i >= WARMUP:
                    raw_times.append(times)
    for number in numbers[:1]:
        if not k.dossier(number).closed:
            raise RuntimeError(f"{number} is not closed after the lifecycle")

    rows = []
    for j, kind in enumerate(KINDS):
        rows.append((kind, [t[j] for t in runner_times], [t[j] for t in raw_times]))
    rows.append(("all transactions (pooled)", [x for t in runner_times for x in t],
                 [x for t in raw_times for x in t]))
    rows.append(("whole lifecycle (sum of the 6, per dossier)", [sum(t) for t in runner_times],
                 [sum(t) for t in raw_times]))
    return {"k": k, "db_path": db_path, "numbers": numbers, "rows": rows,
            "dossiers": WARMUP + n, "memory_engine": memory_engine}


def _synchronous_off(dbapi_conn, _record) -> None:
    dbapi_conn.execute("PRAGMA synchronous=OFF")


def bench_durability(folder: Path, durable: Klachten, model: Model, spec_json: str,
                     memory_engine, dossiers: int) -> dict[str, Any]:
    """Runner lifecycles with synchronous=OFF (not durable, for analysis only), alternating with
    durable runner lifecycles and raw ones, to see what the durable commits cost."""
    fast, _, _ = new_database(folder, "not_durable.db")
    event.listen(fast.engine, "connect", _synchronous_off)  # runs after make_engine's pragmas
    fast.engine.dispose()
    with fast.engine.connect() as conn:
        level = conn.exec_driver_sql("PRAGMA synchronous").scalar()
        conn.rollback()
    if level != 0:
        raise RuntimeError(f"synchronous is {level}, expected 0 (OFF)")
    full, off, raw = [], [], []
    for i in range(WARMUP + dossiers):
        start = T0 + timedelta(minutes=i)
        gc.collect()
        _, durable_times = runner_lifecycle(durable, 20_000 + i, start)
        gc.collect()
        _, fast_times = runner_lifecycle(fast, 20_000 + i, start)
        gc.collect()
        raw_times = raw_lifecycle(model, spec_json, memory_engine, 20_000 + i, start)
        if i >= WARMUP:
            full.append(sum(durable_times))
            off.append(sum(fast_times))
            raw.append(sum(raw_times))
    fast.engine.dispose()
    return {"dossiers": dossiers, "full": median(full), "off": median(off),
            "raw": median(raw)}


RUNNER_DIR = str(ROOT / "runner") + os.sep
SQLALCHEMY_DIR = f"{os.sep}sqlalchemy{os.sep}"
# Functions counted on both sides (calls and cumulative time per lifecycle), by dotted name.
WATCHED = [
    "bpmn.engine.load_state", "bpmn.engine.dump_state", "bpmn.engine.ScriptEngine.call_service",
    "bpmn.instances.LoadedCase.record", "bpmn.case.Case.step", "bpmn.case.Case.open_tasks",
    "bpmn.case.Case.next_timer_at", "bpmn.case.Case.validate",
    "bpmn.instances._sync_open_tasks", "bpmn.instances._sync_waiting_messages",
    "bpmn.clock.VirtualClock.now",
]


def _code_key(dotted: str) -> tuple[str, int, str] | None:
    """pstats' key (file, first line, name) of a runner function, None if it is gone."""
    module, *attrs = dotted.split(".")
    target: Any = importlib.import_module(f"runner.{module}")
    for attr in attrs:
        target = getattr(target, attr, None)
        if target is None:
            return None
    code = target.__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def profile_lifecycles(k: Klachten, model: Model, spec_json: str, memory_engine,
                       dossiers: int) -> dict[str, Any]:
    """cProfile of the measured transactions of extra runner and raw lifecycles."""
    runner_profile, raw_profile = cProfile.Profile(), cProfile.Profile()
    for i in range(dossiers):
        start = T0 + timedelta(minutes=i)
        gc.collect()
        runner_lifecycle(k, 10_000 + i, start, runner_profile)
        gc.collect()
        raw_lifecycle(model, spec_json, memory_engine, 10_000 + i, start, raw_profile)
    runner = pstats.Stats(runner_profile).stats  # type: ignore[attr-defined]
    raw = pstats.Stats(raw_profile).stats  # type: ignore[attr-defined]
    per = 1000 / dossiers  # seconds in total -> ms per lifecycle

    def ours(filename: str) -> bool:
        return filename.startswith(RUNNER_DIR) or SQLALCHEMY_DIR in filename

    top = sorted(((ct, nc, key) for key, (_, nc, _, ct, _) in runner.items() if ours(key[0])),
                 reverse=True)[:10]
    top_rows = [(f"{_short_path(filename)}:{line}({name})", nc / dossiers, ct * per)
                for ct, nc, (filename, line, name) in top]

    def grouped(entries: dict) -> dict[str, float]:
        groups: dict[str, float] = {}
        for (filename, _, name), (_, _, tt, _, _) in entries.items():
            group = _group(filename, name)
            groups[group] = groups.get(group, 0.0) + tt * per
        return groups

    runner_groups, raw_groups = grouped(runner), grouped(raw)
    groups = sorted(((runner_groups.get(g, 0.0), raw_groups.get(g, 0.0), g)
                     for g in runner_groups.keys() | raw_groups.keys()),
                    key=lambda row: row[0] - row[1], reverse=True)

    def watched(entries: dict, key: tuple[str, int, str] | None) -> tuple[float, float]:
        _, calls, _, cum, _ = entries.get(key, (0, 0, 0.0, 0.0, None))
        return calls / dossiers, cum * per

    watched_rows = [(name, *watched(runner, _code_key(name)), *watched(raw, _code_key(name)))
                    for name in WATCHED if _code_key(name) is not None]
    commits = [(nc, tt) for (filename, _, name), (_, nc, tt, _, _) in runner.items()
               if filename == "~" and "commit" in name and "sqlite3.Connection" in name]
    return {"dossiers": dossiers, "top": top_rows, "groups": groups,
            "commits": sum(c for c, _ in commits) / dossiers,
            "commit_ms": sum(t for _, t in commits) * per,
            "runner_ms": sum(runner_groups.values()), "raw_ms": sum(raw_groups.values()),
            "watched": watched_rows}


def _short_path(filename: str) -> str:
    if filename.startswith(RUNNER_DIR):
        return os.path.relpath(filename, ROOT)
    if SQLALCHEMY_DIR in filename:
        return "sqlalchemy/" + filename.split(SQLALCHEMY_DIR, 1)[1]
    return filename


def _group(filename: str, name: str) -> str:
    """Which package a profile entry's own time (tottime) belongs to."""
    if filename == "~":
        if "sqlite3.Connection" in name and "commit" in name:
            return "sqlite3 commit (C; fsync with synchronous=FULL)"
        if "sqlite3" in name:
            return "sqlite3 execute/fetch (C)"
        if "json" in name:
            return "json"
        if "compile" in name:
            return "built-in compile (expressions)"
        return "other C built-ins (dict.get, isinstance, ...)"
    if filename.startswith(RUNNER_DIR):
        return "runner/"
    for package in ("SpiffWorkflow", "sqlalchemy", "jsonschema", "jinja2", "RestrictedPython",
                    "json", "holidays", "referencing", "rpds", "uuid.py", "copy.py"):
        if f"{os.sep}{package}" in filename:
            return package.removesuffix(".py")
    return "other Python"


# ----------------------------------------------------------------------------- (b) sweep
def waiting_template(k: Klachten) -> tuple[Instance, Dossier]:
    """Drive one real dossier to the reaction-window wait; return its rows as the template."""
    number = k.submit(COMPLAINT).dossier_number
    for _, spec_name, data in STEPS:
        k.complete_task(open_task_id(k, number, spec_name), data, "mia")
    with Session(k.engine) as session:
        dossier = session.scalar(select(Dossier).where(Dossier.number == number))
        instance = session.scalar(select(Instance).where(Instance.dossier_id == dossier.id))
        session.expunge_all()
        return instance, dossier


def bulk_insert(k: Klachten, template: Instance, dossier: Dossier, first: int, count: int,
                rng: random.Random, batch: int = 5_000) -> None:
    """Insert ``count`` waiting dossiers with their instances (Core, explicit ids)."""
    with k.engine.connect() as conn:
        next_id = conn.scalar(select(func.max(Dossier.id))) + 1
        next_instance = conn.scalar(select(func.max(Instance.id))) + 1
        conn.rollback()
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        dossiers, instances = [], []
        for j in range(size):
            seq = first + offset + j
            dossiers.append({
                "id": next_id + offset + j, "number": f"BENCH-{seq:07d}",
                "year": 2026, "sequence": 100_000 + seq,
                "complainant_name": f"Klager {seq}", "category": dossier.category,
                "channel": dossier.channel, "language": dossier.language,
                "received_at": T0,
            })
            instances.append({
                "id": next_instance + offset + j, "dossier_id": next_id + offset + j,
                "definition_id": template.definition_id, "state": template.state,
                "serializer_version": template.serializer_version, "version": 1,
                "step": template.step, "completed": False, "has_incident": False,
                "next_timer_at": T0 + timedelta(days=rng.uniform(1, 60)),
                "updated_at": T0,
            })
        with k.engine.begin() as conn:  # one transaction per batch keeps the WAL small
            conn.execute(insert(Dossier.__table__), dossiers)
            conn.execute(insert(Instance.__table__), instances)


def sweep_plan(k: Klachten) -> tuple[str, list[str]]:
    """The SQL of the sweep's select, caught during a real sweep, and its query plan."""
    caught: list[tuple[str, Any]] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if "FROM instances" in statement and "next_timer_at <" in statement:
            caught.append((statement, parameters))

    event.listen(k.engine, "before_cursor_execute", listener)
    try:
        k.sweep_timers()
    finally:
        event.remove(k.engine, "before_cursor_execute", listener)
    statement, parameters = caught[0]
    with k.engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
        conn.rollback()
    return " ".join(statement.split()), [row[-1] for row in plan]


def bench_sweep(folder: Path, sizes: list[int], repeats: int = 20) -> dict[str, Any]:
    k, _, db_path = new_database(folder, "sweep.db")
    template, dossier = waiting_template(k)
    rng = random.Random(20260302)
    results = []
    waiting = 1  # the real template dossier waits too (timer in 30 days)
    for size in sizes:
        started = time.perf_counter()
        bulk_insert(k, template, dossier, waiting, size - waiting, rng)
        insert_s = time.perf_counter() - started
        waiting = size
        with k.engine.connect() as conn:
            counted = conn.scalar(select(func.count()).select_from(Instance.__table__).where(
                Instance.next_timer_at.is_not(None)))
            conn.rollback()
        for _ in range(3):  # warm the page cache
            k.sweep_timers()
        sweeps, clocks = [], []
        for _ in range(repeats):
            ticked, ns = timed(k.sweep_timers)
            if ticked != 0:
                raise RuntimeError(f"sweep ticked {ticked} instances, expected none due")
            sweeps.append(ns)
            clocks.append(timed(k.clock.now)[1])
        results.append({"size": size, "counted": counted, "insert_s": insert_s,
                        "sweeps": sweeps, "clock": clocks,
                        "file_mb": _file_bytes(db_path) / 1e6})
    sql, plan = sweep_plan(k)
    k.engine.dispose()
    return {"results": results, "sql": sql, "plan": plan, "repeats": repeats,
            "state_bytes": len(template.state.encode())}


def _file_bytes(db_path: Path) -> int:
    return sum(p.stat().st_size for p in (db_path, Path(f"{db_path}-wal")) if p.exists())


# ----------------------------------------------------------------------------- (c) storage
def storage(k: Klachten, db_path: Path, number: str, dossiers: int) -> dict[str, Any]:
    with Session(k.engine) as session:
        dossier = session.scalar(select(Dossier).where(Dossier.number == number))
        instance = session.scalar(select(Instance).where(Instance.dossier_id == dossier.id))
        audit = session.scalars(select(AuditEntry).where(AuditEntry.dossier_id == dossier.id))
        audit_sizes = [len(json.dumps({
            "id": a.id, "dossier_id": a.dossier_id, "at": a.at.isoformat(), "actor": a.actor,
            "action": a.action, "element": a.element, "step": a.step, "details": a.details,
        })) for a in audit]
        notices = session.scalars(select(Notice).where(Notice.dossier_id == dossier.id)).all()
        notice_sizes = [len(n.subject.encode()) + len(n.body.encode()) for n in notices]
        definition = session.scalar(select(Definition).where(
            Definition.id == instance.definition_id))
        spec_bytes = len(definition.spec.encode())
        files_bytes = len(json.dumps(definition.files).encode())
    k.engine.dispose()
    raw = sqlite3.connect(db_path, isolation_level=None)  # outside any BEGIN IMMEDIATE
    try:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        try:
            tables = raw.execute(
                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
        except sqlite3.OperationalError:  # dbstat is an optional SQLite compile option
            tables = []
    finally:
        raw.close()
    file_bytes = _file_bytes(db_path)
    return {
        "number": number, "state": len(instance.state.encode()) + len(instance.archive or b""),
        "state_kind": ("closed record (data + completed path, zlib)" if instance.archive
                       else "serialized workflow, without spec"),
        "audit": audit_sizes,
        "notices": notice_sizes, "kinds": [n.kind for n in notices],
        "spec": spec_bytes, "files": files_bytes, "file_bytes": file_bytes,
        "dossiers": dossiers, "tables": [(name, int(size)) for name, size in tables[:8]],
    }


# ----------------------------------------------------------------------------- report
def kept_history() -> str:
    """The hand-written optimisation log below the marker survives a new run."""
    if not REPORT.exists():
        return ""
    old = REPORT.read_text(encoding="utf-8")
    return old[old.index(HISTORY_MARKER):] if HISTORY_MARKER in old else ""



def lifecycle_table(rows: list[tuple[str, list[int], list[int]]]) -> list[str]:
    """Table (a): medians and p90s per transaction, runner and raw, and their ratio."""
    lines = ["| transaction | runner median ms | runner p90 ms | raw median ms | raw p90 ms "
             "| runner/raw |", "|---|---:|---:|---:|---:|---:|"]
    for kind, runner_ns, raw_ns in rows:
        r, w = median(runner_ns), median(raw_ns)
        bold = "**" if kind.startswith("whole") else ""
        lines.append(f"| {bold}{kind}{bold} | {ms(r):.1f} | {ms(p90(runner_ns)):.1f} | "
                     f"{ms(w):.1f} | {ms(p90(raw_ns)):.1f} | {bold}{r / w:.2f}{bold} |")
    return lines


def report(meta: dict[str, str], n: int, life: dict[str, Any], prof: dict[str, Any] | None,
           sweep: dict[str, Any], store: dict[str, Any], elapsed: float) -> str:
    out: list[str] = []
    add = out.append
    add("# Benchmarks")
    add("")
    add(f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    add(f"- Command: `{meta['command']}` (from the repository root; {elapsed:.0f} s)")
    add(f"- Machine: {meta['platform']}; CPU {meta['cpu']}; nproc {meta['nproc']}")
    add(f"- Python {meta['python']}, SpiffWorkflow {meta['spiffworkflow']}, "
        f"SQLAlchemy {meta['sqlalchemy']}, SQLite {meta['sqlite']}")
    add(f"- Load average (1, 5, 15 min) at start: {meta['load_start']}; at end: "
        f"{meta['load_end']} (other work on the machine shows up as noise in the p90s)")
    add("")

    # (a)
    rows = life["rows"]
    add("## (a) Dossier lifecycle: runner vs raw SpiffWorkflow")
    add("")
    add(f"{n} dossiers per side (after {WARMUP} warm-up dossiers per side), runner and raw "
        "alternating. Runner: `Klachten` on a SQLite file in a temp dir (WAL, "
        "synchronous=FULL, virtual clock), each transaction timed around the public call "
        "(`submit`, `complete_task`, `sweep_timers`); finding the task id (`tasks()`) and "
        "moving the clock are not timed. Raw: the same parsed model, script engine and "
        "operators, engine steps and SpiffWorkflow's stock serializer (spec included) per "
        "transaction, "
        "in memory; the raw times include the operators' inserts into an in-memory SQLite "
        "session (rolled back per dossier), but no form validation, audit, derived rows, "
        "optimistic locking or durable commit.")
    add("")
    out.extend(lifecycle_table(rows))
    add("")
    whole = rows[-1]
    ratio = median(whole[1]) / median(whole[2])
    pooled = rows[-2]
    pooled_ratio = median(pooled[1]) / median(pooled[2])
    verdict = "meets" if ratio <= TARGET_RATIO else "does NOT meet"
    add(f"Ratio runner/raw over the whole lifecycle: **{ratio:.2f}** "
        f"(median of all transactions pooled: {pooled_ratio:.2f}); this {verdict} the "
        f"target of at most {TARGET_RATIO}.")
    add("")
    if prof is not None:
        add(f"### Where the runner's time goes (cProfile, {prof['dossiers']} extra lifecycles "
            "per side)")
        add("")
        for line in analysis(life, prof):
            add(line)
        add("")
        add(f"Profiled time per lifecycle: runner {prof['runner_ms']:.0f} ms, raw "
            f"{prof['raw_ms']:.0f} ms (cProfile inflates both; compare shares and differences, "
            "not absolutes). Own time (tottime) by package, largest runner surplus first:")
        add("")
        add("| package | runner ms | raw ms | runner - raw ms |")
        add("|---|---:|---:|---:|")
        for runner_ms, raw_ms, group in prof["groups"]:
            if max(runner_ms, raw_ms) >= 0.5:
                add(f"| {group} | {runner_ms:.1f} | {raw_ms:.1f} | {runner_ms - raw_ms:+.1f} |")
        add("")
        add("Top 10 cumulative entries from `runner/` and SQLAlchemy (runner side):")
        add("")
        add("| function | calls per lifecycle | cumulative ms per lifecycle |")
        add("|---|---:|---:|")
        for where, calls, cum in prof["top"]:
            add(f"| `{where}` | {calls:.0f} | {cum:.1f} |")
        add("")
        add("Selected functions on both sides (cumulative, so nested entries overlap):")
        add("")
        add("| function | runner calls | runner ms | raw calls | raw ms |")
        add("|---|---:|---:|---:|---:|")
        for name, runner_calls, runner_cum, raw_calls, raw_cum in prof["watched"]:
            add(f"| `{name}` | {runner_calls:.0f} | {runner_cum:.1f} | {raw_calls:.0f} | "
                f"{raw_cum:.1f} |")
        add(f"| sqlite3 `commit` (file DB) | {prof['commits']:.0f} | "
            f"{prof['commit_ms']:.1f} | | |")
        add("")
    # (b)
    add("## (b) One timer sweep with many waiting dossiers, none due")
    add("")
    add("Waiting dossiers bulk-inserted with SQLAlchemy Core (each instance a copy of a real "
        f"waiting state of {sweep['state_bytes']:,} bytes, `next_timer_at` uniformly in now + "
        "1..60 days), plus the real dossier the state came from. Median of "
        f"{sweep['repeats']} calls of `sweep_timers()` after 3 warm-up calls; each call "
        "reads the virtual clock (one transaction) and runs the select (one more).")
    add("")
    add("| waiting dossiers | sweep median ms | sweep p90 ms | of which clock read ms "
        "| bulk insert s | db file MB |")
    add("|---:|---:|---:|---:|---:|---:|")
    for result in sweep["results"]:
        add(f"| {result['counted']:,} | {ms(median(result['sweeps'])):.2f} | "
            f"{ms(p90(result['sweeps'])):.2f} | {ms(median(result['clock'])):.2f} | "
            f"{result['insert_s']:.1f} | {result['file_mb']:,.0f} |")
    add("")
    small, large = sweep["results"][0], sweep["results"][-1]
    sweep_ratio = median(large["sweeps"]) / median(small["sweeps"])
    sweep_verdict = "meets" if sweep_ratio <= SWEEP_TARGET_RATIO else "does NOT meet"
    add(f"Ratio {large['counted']:,} / {small['counted']:,}: **{sweep_ratio:.2f}** "
        f"({sweep_verdict} the target: flat, at most {SWEEP_TARGET_RATIO}).")
    add("")
    add("The sweep's select as the runner issued it, and SQLite's plan for it:")
    add("")
    add("```")
    add(sweep["sql"])
    for line in sweep["plan"]:
        add(f"  -> {line}")
    add("```")
    add("")

    # (c)
    add("## (c) Stored bytes per closed dossier")
    add("")
    audit, notices = store["audit"], store["notices"]
    total = store["state"] + sum(audit) + sum(notices)
    add(f"For closed dossier {store['number']} (this lifecycle: no recommendations, "
        "no incidents; audit rows measured as `len(json.dumps(row))`):")
    add("")
    add("| item | count | bytes |")
    add("|---|---:|---:|")
    add(f"| instance state ({store['state_kind']}) | 1 | {store['state']:,} |")
    add(f"| audit rows | {len(audit)} | {sum(audit):,} |")
    add(f"| notices (subject + body): {', '.join(store['kinds'])} | {len(notices)} "
        f"| {sum(notices):,} |")
    add(f"| **total** | | **{total:,}** |")
    add("")
    per_dossier = store["file_bytes"] / store["dossiers"]
    add(f"SQLite file after the lifecycle run (WAL checkpointed): {store['file_bytes']:,} bytes "
        f"for {store['dossiers']} closed dossiers = **{per_dossier:,.0f} bytes per dossier** "
        "(includes indexes, page slack and the definition below).")
    add("")
    add(f"Stored once per definition version: spec {store['spec']:,} bytes, model files "
        f"{store['files']:,} bytes.")
    if store["tables"]:
        add("")
        add("Largest tables and indexes in that file (`dbstat`): " + ", ".join(
            f"{name} {size / 1024:,.0f} KiB" for name, size in store["tables"]) + ".")
    add("")
    return "\n".join(out)


def analysis(life: dict[str, Any], prof: dict[str, Any]) -> list[str]:
    """A short reading of the figures below (all numbers from this run)."""
    whole = life["rows"][-1]
    gap = ms(median(whole[1]) - median(whole[2]))
    durability = prof["durability"]
    fsync = ms(durability["full"] - durability["off"])
    full_ratio = durability["full"] / durability["raw"]
    off_ratio = durability["off"] / durability["raw"]
    watched = {name: (rc, rm, wc, wm) for name, rc, rm, wc, wm in prof["watched"]}
    groups = {group: (r, w) for r, w, group in prof["groups"]}
    lines = [
        f"Analysis. The runner spends {gap:.0f} ms more per lifecycle than raw "
        "SpiffWorkflow (medians above). Where it goes:",
        "",
        f"- **Durable commits** are {'a minor' if fsync < gap / 3 else 'a large'} part: in "
        f"{durability['dossiers']} further lifecycles, alternating, the runner took "
        f"{ms(durability['full']):.0f} ms with synchronous=FULL and "
        f"{ms(durability['off']):.0f} ms with synchronous=OFF (not durable; analysis only) "
        f"against {ms(durability['raw']):.0f} ms raw (medians): fsync costs about "
        f"{fsync:.0f} ms per lifecycle, and the ratio goes from {full_ratio:.2f} to "
        f"{off_ratio:.2f} without it.",
    ]
    sa_runner, sa_raw = groups.get("sqlalchemy", (0.0, 0.0))
    largest = prof["groups"][0][2] == "sqlalchemy"
    lines.append(
        f"- **SQLAlchemy** has {'the largest' if largest else 'a'} surplus in own time "
        f"(+{sa_runner - sa_raw:.0f} ms per profiled lifecycle): loading the instance and "
        "dossier rows (ORM), the operators' rows (the ORM's flush: outbox, dossier), the "
        "optimistic-lock update, audit and report facts (Core), "
        "and the derived rows (`_sync_open_tasks` "
        f"{watched.get('bpmn.instances._sync_open_tasks', (0, 0))[1]:.0f} ms, "
        "`_sync_waiting_messages` "
        f"{watched.get('bpmn.instances._sync_waiting_messages', (0, 0))[1]:.0f} ms, each a select "
        "in every action, plus writes when something changed). cProfile overstates "
        "call-heavy Python like this, so the real share is smaller than the profiled one.")
    lines.append(
        "- The operators (`call_service`, including the Jinja notice rendering) cost the same "
        "on both sides; state is saved and loaded without the spec on the runner side and "
        "with it on the raw side; see the selected functions below.")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 dossiers instead of 200")
    parser.add_argument("--dossiers", type=int, help="dossiers per side (overrides --quick)")
    parser.add_argument("--lifecycle-only", action="store_true",
                        help="only (a), without profile: print its table, leave BENCHMARKS.md")
    parser.add_argument("--cpu", action="store_true",
                        help="with --lifecycle-only: CPU time of the thread instead of wall time")
    args = parser.parse_args()
    if args.cpu and not args.lifecycle_only:
        parser.error("--cpu only with --lifecycle-only: BENCHMARKS.md records wall time")
    if args.cpu:
        global CLOCK
        CLOCK = time.thread_time_ns
    n = args.dossiers or (30 if args.quick else 200)
    meta = {**machine(), "command": command_line(), "load_start": _load()}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="klachten-bench-") as tmp:
        folder = Path(tmp)
        print(f"(a) lifecycle, {n} dossiers per side ...", file=sys.stderr)
        life = bench_lifecycle(folder, n)
        if args.lifecycle_only:
            life["k"].engine.dispose()
            print("\n".join(lifecycle_table(life["rows"])))
            return
        store = storage(life["k"], life["db_path"], life["numbers"][0], life["dossiers"])
        whole = life["rows"][-1]
        prof = None
        if median(whole[1]) / median(whole[2]) > TARGET_RATIO:
            print("    above target: profiling the runner ...", file=sys.stderr)
            model, spec_json = model_of(life["k"])
            prof = profile_lifecycles(life["k"], model, spec_json, life["memory_engine"],
                                      10 if args.quick else 30)
            print("    above target: durable vs synchronous=OFF ...", file=sys.stderr)
            prof["durability"] = bench_durability(folder, life["k"], model, spec_json,
                                                  life["memory_engine"],
                                                  10 if args.quick else 50)
        life["k"].engine.dispose()
        print("(b) timer sweep with 10 000 and 100 000 waiting dossiers ...", file=sys.stderr)
        sweep = bench_sweep(folder, [10_000, 100_000])
    meta["load_end"] = _load()
    text_ = report(meta, n, life, prof, sweep, store, time.perf_counter() - started)
    print(text_)
    REPORT.write_text(text_ + "\n" + kept_history(), encoding="utf-8")
    print(f"written to {REPORT}", file=sys.stderr)


if __name__ == "__main__":
    main()
