"""Real OS processes for the crash and concurrency tests: ``klachten`` commands and worker
processes that wait at a start barrier, each on the database of a test, plus a look at
their PostgreSQL sessions (tagged with ``application_name``)."""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

BARRIER_WORKER = Path(__file__).with_name("barrier_worker.py")


def with_application_name(database_url: str, name: str) -> str:
    """The URL with ``application_name`` set, so the test can find the process's sessions
    in ``pg_stat_activity``."""
    separator = "&" if "?" in database_url else "?"
    return f"{database_url}{separator}application_name={name}"


def worker_env(database_url: str, instance: Path, **settings: str) -> dict[str, str]:
    """The environment of a ``klachten`` process on the test's database and virtual clock."""
    return {**os.environ, "KLACHTEN_DATABASE_URL": database_url, "KLACHTEN_CLOCK": "virtual",
            "KLACHTEN_INSTANCE_PATH": str(instance), **settings}


def klachten_command(database_url: str, instance: Path, *args: str,
                     **settings: str) -> subprocess.Popen:
    """Start ``klachten ARGS`` (the installed command's code) as its own process."""
    return subprocess.Popen(
        [sys.executable, "-m", "web", *args], env=worker_env(database_url, instance, **settings),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def start_barrier_workers(database_url: str, instance: Path, count: int,
                          application_name: str, **settings: str) -> list[subprocess.Popen]:
    """Start ``count`` worker processes and wait until each is connected and waits at the
    barrier (see ``barrier_worker.py``); :func:`release` lets them go at once."""
    url = with_application_name(database_url, application_name)
    workers = [subprocess.Popen([sys.executable, str(BARRIER_WORKER)],
                                env=worker_env(url, instance, **settings), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(count)]
    for worker in workers:
        line = worker.stdout.readline()
        assert line.strip() == "klaar", (line, worker.stderr.read())
    return workers


def release(workers: list[subprocess.Popen], timeout: float = 120) -> list[dict]:
    """Open the barrier and collect what each worker reports."""
    for worker in workers:
        worker.stdin.write("start\n")
        worker.stdin.flush()
    reports = []
    for worker in workers:
        out, err = worker.communicate(timeout=timeout)
        assert worker.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports


# conditions for pg_sessions
WAITING_FOR_A_LOCK = "wait_event_type = 'Lock'"
# waiting for a lock that another session of the same application holds (a wait behind,
# say, autovacuum truncating a table does not count)
BLOCKED_BY_ONE_ANOTHER = ("EXISTS (SELECT 1 FROM pg_stat_activity b "
                          "WHERE b.application_name = a.application_name "
                          "AND b.pid = ANY(pg_blocking_pids(a.pid)))")
# a transaction that locked or wrote rows has a transaction id
HOLDING_ROWS = ("EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid "
                "AND l.locktype = 'transactionid')")


def pg_sessions(admin_url: str, application_name: str, condition: str = "TRUE") -> int:
    """How many sessions of ``application_name`` the server has (that meet ``condition``)."""
    with _admin(admin_url).connect() as conn:
        return conn.scalar(text(
            "SELECT count(*) FROM pg_stat_activity a WHERE application_name = :name "
            f"AND {condition}"), {"name": application_name})


@functools.cache
def _admin(url: str) -> Engine:
    """One pooled engine per server for the look-ups (the test process ends it)."""
    return create_engine(url)


def wait_until(condition, timeout: float = 30, every: float = 0.01, what: str = "") -> None:
    """Poll ``condition`` until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"na {timeout} s nog niet: {what}"
        time.sleep(every)


# Reachable by phone only: their notices are not mailed, so the workers' time goes to the
# timers (the outbox is tested on its own).
BY_PHONE = {"voornaam": "Jan", "achternaam": "Peeters", "telefoon": "09 123 45 67"}


def _investigating(database_url: str, count: int) -> list[str]:
    """Submit ``count`` complaints and declare them admissible: each dossier then waits in
    the investigation with its status-update timer running."""
    from conftest import complaint

    from runner.procedure import open_klachten

    klachten = open_klachten(database_url, clock="virtual")
    numbers = []
    try:
        for _ in range(count):
            number = klachten.submit(complaint(klager=BY_PHONE)).dossier_number
            [task] = klachten.tasks(number)
            klachten.complete_task(task.id, {"ontvankelijk": "ja"}, "mia")
            numbers.append(number)
    finally:
        klachten.close()
    return numbers


def investigating_dossiers(database_url: str, count: int, processes: int = 4) -> list[str]:
    """Build ``count`` dossiers in the investigation through the ordinary submit and task
    path, in parallel processes (the build is the slow part of a test with 1 000 dossiers;
    forked, the processes start without importing and parsing everything again)."""
    share, rest = divmod(count, processes)
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(processes, mp_context=context) as pool:
        parts = pool.map(_investigating, [database_url] * processes,
                         [share + (i < rest) for i in range(processes)])
        return [number for part in parts for number in part]
