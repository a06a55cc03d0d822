"""Crash safety and concurrency on PostgreSQL: several worker processes, workers killed with
SIGKILL in the middle of their work, simultaneous users, a connection lost mid-action.

Every test runs real OS processes (or threads with their own connections) against one
private schema of the PostgreSQL server in ``KLACHTEN_TEST_DATABASE_URL``; without it they
are deselected (see conftest.py). What is guaranteed is written down in
docs/crash-safety.md.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from conftest import PG_URL, START, complaint, run_together
from smtp_server import SENDER
from sqlalchemy import event, func, select, text
from worker_processes import (
    BLOCKED_BY_ONE_ANOTHER,
    HOLDING_ROWS,
    WAITING_FOR_A_LOCK,
    investigating_dossiers,
    klachten_command,
    pg_sessions,
    release,
    start_barrier_workers,
    wait_until,
    with_application_name,
)

from runner.bpmn.errors import Conflict, DatabaseUnavailable, TaskEnded, ValidationFailed
from runner.bpmn.store import AuditEntry, Incident, Instance, transaction
from runner.operators import existing_sequence_numbers
from runner.procedure import open_klachten
from runner.service import Klachten
from runner.store import Dossier, DossierSequence, Notice

pytestmark = [pytest.mark.postgresql,
              pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)]

STATUS = "statusbericht"
FIRST_STATUS_DUE = START + timedelta(days=22)  # the 3-week cycle started at day 0
SWEPT_DOSSIERS = 80  # the sweep a worker is killed in: long enough to land in its middle


def _per_dossier(klachten: Klachten, kind: str) -> Counter:
    """How many notices of ``kind`` each dossier has (by dossier id)."""
    with transaction(klachten.factory) as session:
        return Counter(dict(session.execute(
            select(Notice.dossier_id, func.count()).where(Notice.kind == kind)
            .group_by(Notice.dossier_id)).all()))


def _count(klachten: Klachten, query) -> int:
    with transaction(klachten.factory) as session:
        return session.scalar(select(func.count()).select_from(query.subquery()))


def _assert_each_fired_once(klachten: Klachten, dossiers: int) -> None:
    """One status notice and one status step in the audit per dossier, no incident, and
    every timer moved on to the next interval: nothing lost, nothing doubled."""
    assert set(_per_dossier(klachten, STATUS).values()) == {1}
    assert len(_per_dossier(klachten, STATUS)) == dossiers
    with transaction(klachten.factory) as session:
        timer_events = Counter(session.scalars(
            select(AuditEntry.dossier_id).where(AuditEntry.element == STATUS,
                                                AuditEntry.action == "stap uitgevoerd")))
        next_timers = set(session.scalars(select(Instance.next_timer_at)))
        incidents = session.scalar(select(func.count()).select_from(Incident))
    assert len(timer_events) == dossiers and set(timer_events.values()) == {1}
    assert min(next_timers) > klachten.clock.now() and incidents == 0
    assert klachten.sweep_timers() == 0


class Blocking:
    """Samples, in a thread, how many sessions of ``application_name`` wait for a lock that
    another of them holds."""

    def __init__(self, application_name: str):
        self.application_name = application_name
        self.most = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample)

    def __enter__(self) -> Blocking:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            self.most = max(self.most, pg_sessions(PG_URL, self.application_name,
                                                   BLOCKED_BY_ONE_ANOTHER))


def test_four_worker_processes_fire_1000_timers_exactly_once(klachten, database_url, tmp_path):
    """Four worker processes, released at one barrier, share 1 000 due status timers: each
    fires exactly once, each worker fired some, and none ever waited for a lock another
    held (SKIP LOCKED; sampled every 20 ms in pg_stat_activity)."""
    numbers = investigating_dossiers(database_url, 1000)
    assert len(set(numbers)) == 1000
    klachten.clock.set(FIRST_STATUS_DUE)
    workers = start_barrier_workers(database_url, tmp_path, 4, "klachten-vier-workers")
    with Blocking("klachten-vier-workers") as blocking:
        reports = release(workers)

    fired = [report["fired"] for report in reports]
    assert sum(fired) == 1000 and min(fired) > 0, reports
    assert blocking.most == 0
    _assert_each_fired_once(klachten, 1000)


def test_worker_killed_mid_sweep_loses_and_doubles_nothing(klachten, database_url, tmp_path):
    """SIGKILL a worker once its sweep has committed its first timers; after a restart every
    due timer has fired exactly once."""
    investigating_dossiers(database_url, SWEPT_DOSSIERS)
    klachten.clock.set(FIRST_STATUS_DUE)
    name = "klachten-gedode-sweep"
    worker = klachten_command(with_application_name(database_url, name), tmp_path, "worker")
    status_notices = select(Notice.id).where(Notice.kind == STATUS)
    wait_until(lambda: _count(klachten, status_notices) > 0, what="eerste timer gevuurd")
    os.kill(worker.pid, signal.SIGKILL)
    worker.communicate(timeout=30)
    fired_before = _count(klachten, status_notices)
    assert 0 < fired_before < SWEPT_DOSSIERS  # killed in the middle of the sweep
    # the server ends the killed worker's session (and its row lock) when it sees the
    # connection close; until then SKIP LOCKED would pass that one dossier by
    wait_until(lambda: pg_sessions(PG_URL, name) == 0, what="sessie van de gedode worker weg")

    restarted = klachten_command(database_url, tmp_path, "worker", "--once")
    out, err = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, err
    assert f"{SWEPT_DOSSIERS - fired_before} dossier(s) met vervallen timers verwerkt" in out
    _assert_each_fired_once(klachten, SWEPT_DOSSIERS)


def _stop_while_holding_a_dossier(worker: subprocess.Popen, name: str) -> None:
    """SIGSTOP the worker at a moment its transaction holds a locked row."""
    for _ in range(2000):
        os.kill(worker.pid, signal.SIGSTOP)
        if pg_sessions(PG_URL, name, HOLDING_ROWS):
            return
        os.kill(worker.pid, signal.SIGCONT)
        time.sleep(0.002)
    raise AssertionError("de worker hield nooit een dossier vast")


def test_a_hung_worker_releases_its_dossier_after_the_idle_timeout(klachten, database_url,
                                                                   tmp_path):
    """SIGSTOP a worker while it holds a dossier's row lock. Another worker passes that
    dossier by (SKIP LOCKED) and fires the rest; the server ends the hung session after
    KLACHTEN_DB_IDLE_TIMEOUT, and the next sweep fires the held timer. Resumed, the hung
    worker cannot commit what it held, reconnects and carries on: each timer fired once."""
    investigating_dossiers(database_url, SWEPT_DOSSIERS)
    klachten.clock.set(FIRST_STATUS_DUE)
    name = "klachten-hangende-worker"
    other = start_barrier_workers(database_url, tmp_path, 1, "klachten-andere-worker")
    hung = klachten_command(with_application_name(database_url, name), tmp_path, "worker",
                            KLACHTEN_DB_IDLE_TIMEOUT="15", KLACHTEN_WORKER_INTERVAL="0.2")
    status_notices = select(Notice.id).where(Notice.kind == STATUS)
    try:
        wait_until(lambda: _count(klachten, status_notices) > 0, what="eerste timer gevuurd")
        _stop_while_holding_a_dossier(hung, name)
        fired_before = _count(klachten, status_notices)
        [report] = release(other)
        assert pg_sessions(PG_URL, name, HOLDING_ROWS) == 1  # still held: passed by
        assert report["fired"] == SWEPT_DOSSIERS - fired_before - 1
        wait_until(lambda: pg_sessions(PG_URL, name) == 0, what="de server beëindigt de sessie")
        last = klachten_command(database_url, tmp_path, "worker", "--once")
        out, err = last.communicate(timeout=120)
        assert "1 dossier(s) met vervallen timers verwerkt" in out, err
        os.kill(hung.pid, signal.SIGCONT)
        wait_until(lambda: pg_sessions(PG_URL, name) == 1, what="weer verbonden")
    finally:
        os.kill(hung.pid, signal.SIGCONT)
        hung.terminate()
        out, err = hung.communicate(timeout=60)
    assert hung.returncode == 0, err
    assert "database niet bereikbaar" in err
    _assert_each_fired_once(klachten, SWEPT_DOSSIERS)


def test_worker_killed_mid_delivery_resends_only_the_mail_in_flight(klachten, database_url,
                                                                    smtp_server, tmp_path):
    """SIGKILL the worker while the SMTP server holds its 4th mail unanswered (of 20, claimed
    10 at a time). A restart sends the unclaimed mails but not the claimed ones; once the
    claims expire, the claimed ones go out, and only the mail in flight arrives twice,
    byte for byte the same (docs/adr/0004)."""
    for _ in range(20):
        klachten.submit(complaint())
    settings = {"KLACHTEN_SMTP_URL": smtp_server.url, "KLACHTEN_MAIL_FROM": SENDER,
                "KLACHTEN_OUTBOX_CLAIM_TIMEOUT": "60"}
    worker = klachten_command(database_url, tmp_path, "worker", **settings)
    smtp_server.handler.on_message = lambda: (
        len(smtp_server.messages) == 4 and os.kill(worker.pid, signal.SIGKILL))
    worker.communicate(timeout=60)
    assert worker.returncode == -signal.SIGKILL
    smtp_server.handler.on_message = None
    with transaction(klachten.factory) as session:
        statuses = Counter(session.scalars(select(Notice.status)))
        claimed = session.scalar(select(func.count()).select_from(Notice).where(
            Notice.claimed_until > klachten.clock.now(session)))
    assert statuses == {"sent": 3, "queued": 17} and claimed == 7

    def deliver(expected_sent: int) -> None:
        restarted = klachten_command(database_url, tmp_path, "worker", "--once", **settings)
        out, err = restarted.communicate(timeout=60)
        assert restarted.returncode == 0, err
        assert f"{expected_sent} bericht(en) verzonden" in out

    deliver(10)  # the unclaimed ones; the dead worker's claims still hold
    klachten.clock.set(klachten.clock.now() + timedelta(seconds=61))
    deliver(7)  # the claims expired: the mail in flight and the six it had not reached

    received = Counter(message["Message-ID"] for message in smtp_server.messages)
    assert len(received) == 20 and sum(received.values()) == 21
    [(twice, _)] = [(mid, n) for mid, n in received.items() if n == 2]
    first, second = [m for m in smtp_server.messages if m["Message-ID"] == twice]
    assert twice == smtp_server.messages[3]["Message-ID"]
    assert first.as_bytes() == second.as_bytes()
    with transaction(klachten.factory) as session:
        assert set(session.scalars(select(Notice.status))) == {"sent"}


def test_200_concurrent_submissions_get_200_gapless_numbers(klachten, database_url):
    """20 runners with their own connections submit 10 complaints each, released at one
    barrier; every 10th complaint is invalid and must not use up a number."""
    runners = [open_klachten(database_url, clock="virtual") for _ in range(20)]
    barrier = threading.Barrier(len(runners))
    numbers: list[str] = []
    refused: list[str] = []

    def submit_many(runner: Klachten) -> None:
        barrier.wait()
        for i in range(11):
            try:
                numbers.append(runner.submit(
                    complaint(categorie="") if i == 5 else complaint()).dossier_number)
            except ValidationFailed as err:
                refused.append(str(err))

    try:
        run_together(*(lambda r=runner: submit_many(r) for runner in runners))
    finally:
        for runner in runners:
            runner.close()
    assert len(refused) == 20
    assert sorted(numbers) == [f"KL-2026-{i:05d}" for i in range(1, 201)]
    with transaction(klachten.factory) as session:
        assert existing_sequence_numbers(session, 2026) == list(range(1, 201))
        assert session.get(DossierSequence, 2026).last == 200
        assert session.scalar(select(func.count()).select_from(Dossier)) == 200


def test_simultaneous_completions_one_wins_the_other_gets_a_conflict(klachten, database_url):
    """Two mediators complete the same task at the same moment. A lock held by the test on
    the instance row lets both read the dossier and run the task, then holds both at their
    write; released together, exactly one commits and the other gets a conflict. The
    dossier then shows the one completion, once."""
    number = klachten.submit(complaint()).dossier_number
    [task] = klachten.tasks(number)
    version = klachten.dossier(number).version
    runners = [open_klachten(with_application_name(database_url, "klachten-race"),
                        clock="virtual") for _ in range(2)]
    results: dict[str, str] = {}

    def complete(runner: Klachten, user: str) -> None:
        try:
            runner.complete_task(task.id, {"ontvankelijk": "ja"}, user)
            results[user] = "ok"
        except (Conflict, TaskEnded):  # lost the race, told who won
            results[user] = "conflict"

    threads = [threading.Thread(target=complete, args=(runner, user))
               for runner, user in zip(runners, ["mia", "nora"], strict=True)]
    with transaction(klachten.factory) as gate:
        gate.execute(select(Instance.id).with_for_update())
        for thread in threads:
            thread.start()
        wait_until(lambda: pg_sessions(PG_URL, "klachten-race", WAITING_FOR_A_LOCK) == 2,
                   what="beide bemiddelaars wachten om te schrijven")
    for thread in threads:
        thread.join(timeout=60)
    for runner in runners:
        runner.close()

    assert sorted(results.values()) == ["conflict", "ok"]
    info = klachten.dossier(number)
    winner = next(user for user, result in results.items() if result == "ok")
    completions = [a for a in info.audit if a.action == "taak voltooid"]
    assert [a.actor for a in completions] == [winner]
    assert info.version == version + 1
    assert [t.name for t in info.open_tasks] == ["onderzoek"]
    assert [n.kind for n in info.notices] == ["ontvangstmelding"]


def test_a_connection_lost_mid_tick_leaves_the_timer_due(klachten, database_url):
    """The server ends the worker's connection while it saves a fired timer: the sweep
    stops with the database error instead of quarantining a healthy dossier, and the next
    sweep fires the timer once."""
    number = klachten.submit(complaint()).dossier_number
    [task] = klachten.tasks(number)
    klachten.complete_task(task.id, {"ontvankelijk": "ja"}, "mia")
    klachten.clock.set(FIRST_STATUS_DUE)
    admin = klachten.engine  # another connection of the same pool ends this one
    killed: list[int] = []

    def end_connection(conn, cursor, statement, *args) -> None:
        if statement.startswith("UPDATE instances") and not killed:
            killed.append(conn.connection.dbapi_connection.info.backend_pid)
            with admin.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": killed[0]})

    event.listen(klachten.engine, "before_cursor_execute", end_connection)
    try:
        with pytest.raises(DatabaseUnavailable):
            klachten.sweep_timers()
    finally:
        event.remove(klachten.engine, "before_cursor_execute", end_connection)
    assert killed
    info = klachten.dossier(number)
    assert info.incidents == () and info.next_timer_at is not None
    assert [n.kind for n in info.notices] == ["ontvangstmelding"]
    assert klachten.sweep_timers() == 1
    assert [n.kind for n in klachten.dossier(number).notices] == \
        ["ontvangstmelding", STATUS]
