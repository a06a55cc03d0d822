"""Benchmark: one Prometheus scrape (``runner.ops.metrics.snapshot``) with 10 000 and 100 000
dossiers, on SQLite and PostgreSQL.

Run from the repository root::

    PYTHONPATH=. python bench/metrics.py [--pg-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Rows are bulk-inserted with SQLAlchemy Core into a fresh database (a SQLite file in a
temporary folder; on PostgreSQL ``CREATE DATABASE klachten_metrics_<random>``, dropped
afterwards): per dossier an instance with a 21 KB state (incompressible, the size of a real
waiting state), 70 % of them open with one open task in five steps and a timer, the rest
closed; three notices, of which 1 % still queued and 0.5 % letters to print; an incident
per 1 000. It prints a Markdown table of the median of 20 snapshots after 3 warm-up calls.
"""

from __future__ import annotations

import argparse
import random
import secrets
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from inbox import median_ms  # bench/inbox.py, beside this script
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from runner.bpmn.store import Incident, Instance, OpenTask
from runner.migrations import upgrade
from runner.ops.metrics import snapshot
from runner.procedure import open_klachten
from runner.service import Klachten
from runner.store import Dossier, Notice

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SIZES = (10_000, 100_000)
STEPS = ("3. Ontvankelijkheid beoordelen", "4. Klacht analyseren en onderzoeken",
         "5. Gemotiveerd antwoord geven", "6. Reactie van de klager afwachten",
         "8. Aanbeveling formuleren")
STATE = secrets.token_hex(10_500)  # 21 KB that compresses to nothing less
BATCH = 2_000


def rows(first: int, count: int) -> dict[str, list[dict]]:
    rng = random.Random(first)
    batch: dict[str, list[dict]] = {"dossiers": [], "instances": [], "tasks": [],
                                    "notices": [], "incidents": []}
    for i in range(first, first + count):
        open_ = rng.random() < 0.7
        step = rng.choice(STEPS) if open_ else "Afgesloten"
        batch["dossiers"].append({
            "id": i, "number": f"KL-2026-{i:06d}", "year": 2026, "sequence": i,
            "complainant_name": f"An Peeters {i}", "category": "terugbetaling",
            "channel": "web", "language": "nl", "received_at": T0,
            "closed_at": None if open_ else T0})
        batch["instances"].append({
            "id": i, "dossier_id": i, "definition_id": 1, "state": STATE,
            "serializer_version": "1.5", "version": 1, "step": step, "completed": not open_,
            "has_incident": False, "updated_at": T0,
            "next_timer_at": T0 + timedelta(days=rng.uniform(-0.01, 40)) if open_ else None})
        if open_:
            batch["tasks"].append({
                "id": str(uuid.UUID(int=i)), "instance_id": i, "dossier_id": i,
                "spec_name": "onderzoek", "title": step, "lane": "Klachtenbemiddelaar",
                "step": step[0], "form": "onderzoek.json", "created_at": T0,
                "due_at": T0 + timedelta(days=rng.uniform(-10, 60))})
        for kind in ("ontvangstmelding", "statusbericht", "antwoord"):
            roll = rng.random()
            status = "queued" if roll < 0.01 else "te printen" if roll < 0.015 else "sent"
            batch["notices"].append({
                "dossier_id": i, "kind": kind, "language": "nl", "channel": "email",
                "code": f"{i:012d}"[-12:], "subject": "Uw klacht", "body": "x" * 600,
                "created_at": T0 - timedelta(hours=rng.uniform(0, 48)), "status": status,
                "recipient": "an@example.be", "attempts": 0, "next_attempt_at": T0})
        if i % 1_000 == 0:
            batch["incidents"].append({"dossier_id": i, "element": "x", "step": step,
                                       "error": "boom", "created_at": T0})
    return batch


TABLES = (("dossiers", Dossier), ("instances", Instance), ("tasks", OpenTask),
          ("notices", Notice), ("incidents", Incident))


def fill(k: Klachten, first: int, count: int) -> None:
    for start in range(first, first + count, BATCH):
        batch = rows(start, min(BATCH, first + count - start))
        with k.engine.begin() as conn:
            for key, model in TABLES:
                if batch[key]:
                    conn.execute(insert(model.__table__), batch[key])


def measure(url: str, analyse) -> dict[int, float]:
    upgrade(url)
    k = open_klachten(url, clock="virtual")
    k.clock.set(T0)
    k.deploy()
    results, filled = {}, 0
    try:
        for size in SIZES:
            fill(k, filled + 1, size - filled)
            filled = size
            analyse(k)
            results[size] = median_ms(lambda: snapshot(k))
    finally:
        k.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory(prefix="klachten-metrics-") as tmp:
        results["SQLite"] = measure(f"sqlite:///{Path(tmp) / 'metrics.db'}",
                                    lambda k: _run(k, "ANALYZE"))
    name = f"klachten_metrics_{secrets.token_hex(4)}"
    admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        url = make_url(args.pg_url).set(database=name).render_as_string(hide_password=False)
        results["PostgreSQL"] = measure(url, lambda k: _run(k, "VACUUM ANALYZE"))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    print("| backend | " + " | ".join(f"{s:,} dossiers (ms)" for s in SIZES) + " |")
    print("|---|" + "---:|" * len(SIZES))
    for backend, figures in results.items():
        print(f"| {backend} | " + " | ".join(f"{figures[s]:.1f}" for s in SIZES) + " |")


def _run(k: Klachten, statement: str) -> None:
    """Statistics for the planner, as autovacuum or the nightly job would keep them."""
    if k.engine.dialect.name == "sqlite":
        with k.engine.begin() as conn:
            conn.execute(text(statement))
        return
    with k.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statement))


if __name__ == "__main__":
    main()
