"""Several workers and racing mediators: each timer fires once, one completion wins."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from conftest import Harness, complaint, run_together
from sqlalchemy import create_engine, event, func, select, text

from runner.bpmn.errors import Conflict, NotFound
from runner.bpmn.store import transaction
from runner.procedure import open_klachten
from runner.service import Klachten
from runner.store import Notice


def test_two_workers_fire_each_due_timer_exactly_once(klachten, database_url):
    for _ in range(12):
        Harness(klachten).submit().admissible()
    Harness(klachten).at_day(22, sweep=False)
    workers = [open_klachten(database_url, clock="virtual") for _ in range(2)]
    run_together(*(worker.sweep_timers for worker in workers))
    for worker in workers:
        worker.close()
    with transaction(klachten.factory) as session:
        count = session.scalar(select(func.count()).select_from(Notice)
                               .where(Notice.kind == "statusbericht"))
    assert count == 12
    assert klachten.sweep_timers() == 0


def test_racing_completions_one_wins_the_other_gets_a_conflict(klachten, database_url):
    number = klachten.submit(complaint()).dossier_number
    [task] = klachten.tasks(number)
    other = open_klachten(database_url, clock="virtual")
    results: list[str] = []
    barrier = threading.Barrier(2)

    def complete(runner: Klachten, user: str) -> None:
        barrier.wait()
        try:
            runner.complete_task(task.id, {"ontvankelijk": "ja"}, user)
            results.append("ok")
        except (Conflict, NotFound):
            results.append("conflict")

    run_together(lambda: complete(klachten, "mia"), lambda: complete(other, "nora"))
    other.close()
    assert sorted(results) == ["conflict", "ok"]
    audit = klachten.dossier(number).audit
    assert [a.action for a in audit].count("taak voltooid") == 1


def test_concurrent_submissions_get_distinct_gapless_numbers(klachten, database_url):
    runners = [open_klachten(database_url, clock="virtual") for _ in range(4)]
    numbers: list[str] = []
    lock = threading.Lock()

    def submit_many(runner: Klachten) -> None:
        for _ in range(5):
            number = runner.submit(complaint()).dossier_number
            with lock:
                numbers.append(number)

    run_together(*(lambda r=runner: submit_many(r) for runner in runners))
    for runner in runners:
        runner.close()
    assert sorted(numbers) == [f"KL-2026-{i:05d}" for i in range(1, 21)]


def test_racing_register_edits_one_wins_the_other_gets_a_conflict(klachten, database_url):
    from runner.accounts.users import MEDIATOR, Account
    from runner.reports.improvement_register import Change, Register, RegisterQuery

    harness = Harness(klachten).submit().admissible().investigate().answer().at_day(45)
    harness.recommend([{"tekst": "Beter uitleggen.", "dienst": "Kine"}])
    mia, tom = (Account(n, name, (MEDIATOR,), False) for n, name in [(1, "mia"), (2, "tom")])
    [entry] = Register(klachten).page(mia, RegisterQuery()).rows
    other = open_klachten(database_url, clock="virtual")
    results: list[str] = []
    barrier = threading.Barrier(2)

    def edit(runner: Klachten, account: Account, status: str) -> None:
        barrier.wait()
        try:
            Register(runner).update(account, entry.id, Change(status, account.name,
                                                              "Niet nodig."), entry.version)
            results.append(status)
        except Conflict:
            results.append("conflict")

    run_together(lambda: edit(klachten, mia, "uitgevoerd"),
                 lambda: edit(other, tom, "afgewezen"))
    other.close()
    [winner] = [r for r in results if r != "conflict"]
    assert sorted(results) == sorted([winner, "conflict"])
    saved = Register(klachten).entry(mia, entry.id)
    assert (saved.status, saved.version) == (winner, 2)
    changes = [a for a in klachten.dossier(harness.number).audit
               if a.action == "aanbeveling gewijzigd"]
    assert len(changes) == 1



@contextmanager
def _removed_after_first_read(klachten: Klachten, database_url: str, task_id: str,
                              wait: float) -> Iterator[threading.Event]:
    """Another mediator's completion removes the task right after this runner's first read
    of it (another connection deletes the row; we wait up to ``wait`` s for it to land)."""
    other = create_engine(database_url)
    removed, started = threading.Event(), threading.Event()

    def remove() -> None:
        with other.begin() as conn:
            conn.execute(text("DELETE FROM open_tasks WHERE id = :id"), {"id": task_id})
        removed.set()

    def after_read(conn, cursor, statement, *args) -> None:
        if statement.lstrip().startswith("SELECT open_tasks.id") and not started.is_set():
            started.set()
            threading.Thread(target=remove).start()
            removed.wait(wait)

    event.listen(klachten.engine, "after_cursor_execute", after_read)
    try:
        yield removed
        assert started.is_set() and removed.wait(10)
    finally:
        event.remove(klachten.engine, "after_cursor_execute", after_read)
        other.dispose()


def _mediator(klachten: Klachten):
    from runner.accounts.users import Accounts
    from runner.work.inbox import Inbox

    accounts = Accounts(klachten)
    mia = accounts.add("mia", ["klachtenbemiddelaar"], "een-lang-wachtwoord")
    [task] = Harness(klachten).submit().open_tasks()
    return Inbox(klachten, accounts), mia, task.id


@pytest.mark.postgresql
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_claim_holds_the_task_against_a_completion_at_that_moment(klachten, database_url):
    """Between the claim's read and its write another mediator's completion removes the task
    (it was a 500 before: the claim's UPDATE found no row). The claim now takes its lock in
    the ownership check (``runner.bpmn.claims.locked``) after a first unlocked read, so it
    either wins (the removal waits for it) or is told the task is no longer open; never
    another error."""
    inbox, mia, task_id = _mediator(klachten)
    with _removed_after_first_read(klachten, database_url, task_id, wait=2):
        try:
            inbox.claim(mia, task_id)  # no StaleDataError
        except NotFound as gone:
            assert "niet open" in str(gone)
    with pytest.raises(NotFound):  # and now the task is gone for the next claim
        inbox.claim(mia, task_id)


@pytest.mark.postgresql
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_task_completed_while_it_is_opened_is_not_forbidden(klachten, database_url):
    """Opening a task that another mediator completes at that moment: allowed (the
    completion then meets a conflict) or gone, never 403 (it was, when the existence check
    ran before the visibility check)."""
    inbox, mia, task_id = _mediator(klachten)
    with _removed_after_first_read(klachten, database_url, task_id, wait=10):
        inbox.check_may_work(mia, task_id)
    with pytest.raises(NotFound):
        inbox.check_may_work(mia, task_id)
