"""Benchmark: one inbox page (``runner.work.inbox.Inbox.page``) with 10 000 and 100 000 open tasks.

Run from the repository root::

    PYTHONPATH=. python bench/inbox.py [--postgres URL]

Dossiers and their open tasks are bulk-inserted with SQLAlchemy Core into a SQLite file
(WAL, durable, as ``runner.bpmn.store.make_engine`` sets it up) and, with ``--postgres``, into a
fresh PostgreSQL database created on that server and dropped afterwards (``VACUUM
ANALYZE`` after the load, as autovacuum would do). Names are drawn from common Belgian
first names and surnames; ten dossiers among the first 10 000 belong to one rare name, so
that search finds the same ten dossiers at both sizes. Steps take turns, categories are
drawn at random (independent of the step). The inbox is then asked, as a
klachtenbemiddelaar, for the first page, a later page, two filters and four searches.

It prints, per backend, a Markdown table of medians and fastest calls (20 calls each,
after 3 warm-up calls) with the load average before and after, ready to paste into
``BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from runner.accounts.users import Accounts
from runner.bpmn.store import Instance, OpenTask
from runner.migrations import upgrade
from runner.procedure import open_klachten
from runner.service import Klachten
from runner.store import Dossier
from runner.work.inbox import Inbox, InboxQuery

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIZES = (10_000, 100_000)
RARE_NAME = "Wannes Achterberghe"  # dossiers 7, 1 007, ..., 9 007: ten at both sizes
QUERIES = {
    "first page": InboxQuery(),
    "page 40 (the last counted)": InboxQuery(page=40),
    "overdue only": InboxQuery(overdue=True),
    "category filter": InboxQuery(category="uitkering"),
    "search a rare name (10 hits)": InboxQuery(search="achterbergh"),
    "search a common surname (~2 %)": InboxQuery(search="peeters"),
    "search a number part (100 hits)": InboxQuery(search="2026-0042"),
    "search 2 characters": InboxQuery(search="ma"),
}
FIRST_NAMES = ("An", "Marie", "Jan", "Luc", "Sofie", "Els", "Tom", "Nathalie", "Pieter", "Sarah",
               "Koen", "Inge", "Bart", "Julie", "Wim", "Lotte", "Marc", "Chantal", "Dirk", "Emma",
               "Thomas", "Lies", "Geert", "Camille", "Olivier", "Nina", "Kevin", "Ann", "Yves",
               "Hilde", "Mohamed", "Fatima", "Pierre", "Isabelle", "Jean", "Martine")
SURNAMES = ("Peeters", "Janssens", "Maes", "Jacobs", "Mertens", "Willems", "Claes", "Goossens",
            "Wouters", "De Smet", "Dubois", "Lambert", "Dupont", "Martin", "Hermans", "Michiels",
            "Van Damme", "Vandenberghe", "Verhaeghe", "De Clercq", "Leroy", "Desmet", "Lemaire",
            "Claeys", "Aerts", "Verstraete", "Vermeulen", "Pauwels", "Van de Velde", "Renard",
            "Smets", "Segers", "Wuyts", "Declercq", "Lenaerts", "Vandamme", "Cools", "Diallo",
            "El Amrani", "Moreau", "Simon", "Laurent", "Hendrickx", "Stevens", "Dewulf")
STEPS = (("3", "ontvankelijkheid_beoordelen", "Ontvankelijkheid beoordelen"),
         ("4", "onderzoek", "Klacht analyseren en onderzoeken"),
         ("5", "gemotiveerd_antwoord", "Gemotiveerd antwoord geven"))
CATEGORIES = ("terugbetaling", "uitkering", "aanvullend voordeel", "onthaal en bereikbaarheid",
              "administratie", "andere")


def name(i: int, rng: random.Random) -> str:
    if i % 1000 == 7 and i <= 10_000:
        return RARE_NAME
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}"  # each surname about 2 %


def fill(k: Klachten, first: int, count: int) -> None:
    """``count`` dossiers, each with one open task in the mediators' lane."""
    rng = random.Random(first)
    dossiers, tasks = [], []
    for i in range(first, first + count):
        step, spec, title = STEPS[i % len(STEPS)]
        dossiers.append({"id": i, "number": f"KL-2026-{i:06d}", "year": 2026, "sequence": i,
                         "complainant_name": name(i, rng),
                         "category": rng.choice(CATEGORIES),
                         "channel": "web", "language": "nl", "received_at": T0})
        tasks.append({"id": str(uuid.UUID(int=i)), "instance_id": 1, "dossier_id": i,
                      "spec_name": spec, "title": title, "lane": "Klachtenbemiddelaar",
                      "step": step, "form": f"{spec}.json", "created_at": T0,
                      "due_at": T0 + timedelta(days=rng.uniform(-10, 60))})
    with k.engine.begin() as conn:
        for start in range(0, count, 5000):
            conn.execute(insert(Dossier.__table__), dossiers[start:start + 5000])
        if first == 1:  # the inbox never reads instances: one row satisfies the foreign key
            conn.execute(insert(Instance.__table__), [{
                "id": 1, "dossier_id": 1, "definition_id": 1, "state": "{}",
                "serializer_version": "1.5", "version": 1, "step": "", "completed": False,
                "has_incident": False, "updated_at": T0}])
        for start in range(0, count, 5000):
            conn.execute(insert(OpenTask.__table__), tasks[start:start + 5000])
    if k.engine.dialect.name == "postgresql":
        with k.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def timed_ms(call: Callable[[], object], repeats: int = 20) -> tuple[float, float]:
    """Median and fastest of ``repeats`` calls after 3 warm-up calls."""
    for _ in range(3):
        call()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(samples), min(samples)


def measure(url: str) -> dict[int, dict[str, tuple[float, float]]]:
    upgrade(url)
    k = open_klachten(url, clock="virtual")
    try:
        k.clock.set(T0)
        k.deploy()
        accounts = Accounts(k)
        mia = accounts.add("mia", ["klachtenbemiddelaar"], "een lang wachtwoord 123")
        inbox = Inbox(k, accounts)
        results: dict[int, dict[str, tuple[float, float]]] = {}
        filled = 0
        for size in SIZES:
            fill(k, filled + 1, size - filled)
            filled = size
            results[size] = {label: timed_ms(lambda q=query: inbox.page(mia, q))
                             for label, query in QUERIES.items()}
            hits = inbox.page(mia, QUERIES["search a common surname (~2 %)"]).total
            print(f"  {size:,}: 'peeters' finds {hits} open tasks", flush=True)
        return results
    finally:
        k.close()


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server of ``server_url``, dropped afterwards."""
    database = f"klachten_bench_inbox_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        yield make_url(server_url).set(database=database).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{database}" WITH (FORCE)'))
        admin.dispose()


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def table(title: str, results: dict[int, dict[str, tuple[float, float]]],
          load_before: str, load_after: str, queries: Iterable[str] = QUERIES,
          rows: str = "open tasks") -> None:
    print(f"\n{title}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, load average (1, 5, 15 min)"
          f" {load_before} before and {load_after} after\n")
    print(f"| {title}: median (fastest) | "
          + " | ".join(f"{s:,} {rows} (ms)" for s in SIZES) + " | ratio |")
    print("|---|" + "---:|" * (len(SIZES) + 1))
    for label in queries:
        cells = " | ".join("{:.1f} ({:.1f})".format(*results[s][label]) for s in SIZES)
        ratio = results[SIZES[-1]][label][0] / results[SIZES[0]][label][0]
        print(f"| {label} | {cells} | {ratio:.2f}x |")


def run(measure_at: Callable[[str], dict[int, dict[str, tuple[float, float]]]],
        name: str, queries: Iterable[str] = QUERIES, rows: str = "open tasks") -> None:
    """Measure on a SQLite file and, with ``--postgres``, on a fresh PostgreSQL database;
    print a table for each."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is created)")
    parser.add_argument("--no-sqlite", action="store_true", help="measure PostgreSQL only")
    options = parser.parse_args()
    if not options.no_sqlite:
        with tempfile.TemporaryDirectory(prefix=f"klachten-{name}-") as tmp:
            before = load()
            results = measure_at(f"sqlite:///{Path(tmp) / f'{name}.db'}")
            table("SQLite file", results, before, load(), queries, rows)
    if options.postgres:
        with postgres_database(options.postgres) as url:
            before = load()
            results = measure_at(url)
            table("PostgreSQL", results, before, load(), queries, rows)


def main() -> None:
    run(measure, "inbox")


if __name__ == "__main__":
    main()
