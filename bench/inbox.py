"""Benchmark: one inbox page (``runner.inbox.Inbox.page``) with 10 000 and 100 000 open tasks.

Run from the repository root::

    PYTHONPATH=. python bench/inbox.py

Dossiers and their open tasks are bulk-inserted with SQLAlchemy Core into a SQLite file
(WAL, durable, as ``runner.store.make_engine`` sets it up); the inbox is then asked, as a
klachtenbemiddelaar, for the first page, a later page, the overdue filter and a search by
name. It prints a Markdown table of medians (20 calls each, after 3 warm-up calls).
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from runner.accounts import Accounts
from runner.bpmn.store import Instance, OpenTask
from runner.inbox import Inbox, InboxQuery
from runner.migrations import upgrade
from runner.service import Klachten
from runner.store import Dossier

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIZES = (10_000, 100_000)
QUERIES = {
    "first page": InboxQuery(),
    "page 50": InboxQuery(page=50),
    "overdue only": InboxQuery(overdue=True),
    "search by name": InboxQuery(search="peeters 77"),
}
STEPS = (("3", "ontvankelijkheid_beoordelen", "Ontvankelijkheid beoordelen"),
         ("4", "onderzoek", "Klacht analyseren en onderzoeken"),
         ("5", "gemotiveerd_antwoord", "Gemotiveerd antwoord geven"))


def fill(k: Klachten, first: int, count: int) -> None:
    """``count`` dossiers, each with one open task in the mediators' lane."""
    rng = random.Random(first)
    dossiers, tasks = [], []
    for i in range(first, first + count):
        step, spec, title = STEPS[i % len(STEPS)]
        dossiers.append({"id": i, "number": f"KL-2026-{i:06d}", "year": 2026, "sequence": i,
                         "complainant_name": f"An Peeters {i}", "category": "terugbetaling",
                         "channel": "web", "language": "nl", "received_at": T0})
        tasks.append({"id": str(uuid.UUID(int=i)), "instance_id": 1, "dossier_id": i,
                      "spec_name": spec, "title": title, "lane": "Klachtenbemiddelaar",
                      "step": step, "form": f"{spec}.json", "created_at": T0,
                      "due_at": T0 + timedelta(days=rng.uniform(-10, 60))})
    with k.engine.begin() as conn:
        conn.execute(insert(Dossier.__table__), dossiers)
        if first == 1:  # the inbox never reads instances: one row satisfies the foreign key
            conn.execute(insert(Instance.__table__), [{
                "id": 1, "dossier_id": 1, "definition_id": 1, "state": "{}",
                "serializer_version": "1.5", "version": 1, "step": "", "completed": False,
                "has_incident": False, "updated_at": T0}])
        conn.execute(insert(OpenTask.__table__), tasks)


def median_ms(call, repeats: int = 20) -> float:
    for _ in range(3):
        call()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="klachten-inbox-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'inbox.db'}"
        upgrade(url)
        k = Klachten(url, clock="virtual")
        k.clock.set(T0)
        k.deploy()
        accounts = Accounts(k)
        mia = accounts.add("mia", ["klachtenbemiddelaar"], "een lang wachtwoord 123")
        inbox = Inbox(k, accounts)
        results: dict[int, dict[str, float]] = {}
        filled = 0
        for size in SIZES:
            fill(k, filled + 1, size - filled)
            filled = size
            results[size] = {name: median_ms(lambda q=query: inbox.page(mia, q))
                             for name, query in QUERIES.items()}
        k.close()
    print("| inbox query | " + " | ".join(f"{s:,} open tasks (ms)" for s in SIZES) + " |")
    print("|---|" + "---:|" * len(SIZES))
    for name in QUERIES:
        print(f"| {name} | " + " | ".join(f"{results[s][name]:.1f}" for s in SIZES) + " |")


if __name__ == "__main__":
    main()
