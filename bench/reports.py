"""Benchmark: the reports over 10 000 and 100 000 dossiers, and what the facts cost an action.

Run from the repository root::

    PYTHONPATH=. python bench/reports.py [--postgres URL]

Dossiers, instances, report facts and recommendations are bulk-inserted with SQLAlchemy Core
into a SQLite file (WAL, durable, as ``runner.bpmn.store.make_engine`` sets it up), spread over
2025 with realistic shares (85 % admissible, 10 % escalated, 90 % closed, a few late
deadlines). Timed, as median and fastest of 20 calls after 3 warm-up calls (the CSV
export: 3 calls after one):

- ``ReportDesk.report`` for the year (every figure of the page, in SQL);
- the whole page ``GET /bemiddeling/rapporten`` through the Flask test client (figures,
  tables, SVG charts, template), signed in as a lezer;
- the CSV export of every row of the year, streamed to the end.

Then the cost of deriving the facts in each action: submit and admissibility decision of
200 dossiers through the process, and the time spent in ``runner.reports.facts.derive`` inside
them. With ``--postgres`` the report figures are also measured on a fresh database that
the script creates on that server and drops afterwards (``VACUUM ANALYZE`` after each bulk
load, as autovacuum would do). Run it on a quiet machine: the figures are wall-clock medians.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from runner.accounts.users import Account, Accounts
from runner.bpmn.store import Instance
from runner.migrations import upgrade
from runner.procedure import open_klachten
from runner.reports import facts
from runner.reports.figures import Period, ReportDesk
from runner.service import Klachten
from runner.store import Dossier, DossierFacts, Recommendation

YEAR_START = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
SIZES = (10_000, 100_000)
YEAR = Period.parse("2025-01-01", "2025-12-31", NOW.date())
READER = Account(0, "lea", ("lezer",), False)
CATEGORIES = ("terugbetaling", "uitkering", "aanvullend voordeel", "onthaal en bereikbaarheid",
              "administratie", "andere")
CHANNELS = ("web", "web", "web", "email", "brief", "telefoon", "loket")
STEPS = ("3. Ontvankelijkheid beoordelen", "4. Klacht analyseren en onderzoeken",
         "5. Gemotiveerd antwoord geven", "6. Reactietermijn verstreken; Klager niet akkoord")
OUTCOMES = ("gegrond", "deels gegrond", "ongegrond")
PASSWORD = "een lang wachtwoord 123"


def rows_for(i: int, rng: random.Random) -> tuple[dict, dict, dict]:
    received = YEAR_START + timedelta(minutes=rng.randrange(364 * 24 * 60))
    admissible = rng.random() < 0.85
    closed = received + timedelta(days=rng.randint(2, 120)) if rng.random() < 0.9 else None
    answered = received + timedelta(days=rng.randint(10, 60)) if admissible else None
    escalated = answered is not None and rng.random() < 0.1
    day = timedelta(days=1)
    dossier = {"id": i, "number": f"KL-2025-{i:06d}", "year": 2025, "sequence": i,
               "complainant_name": f"An Peeters {i}", "category": rng.choice(CATEGORIES),
               "channel": rng.choice(CHANNELS), "language": "nl", "received_at": received,
               "closed_at": closed, "outcome": rng.choice(OUTCOMES) if closed else None}
    instance = {"id": i, "dossier_id": i, "definition_id": 1, "state": "{}",
                "serializer_version": "1.5", "version": 1, "completed": closed is not None,
                "step": "8. Aanbeveling voor verbetering" if closed else rng.choice(STEPS),
                "has_incident": False, "updated_at": received}
    fact = {
        "dossier_id": i, "definition_id": 1, "received_at": received,
        "received_month": received.strftime("%Y-%m"), "category": dossier["category"],
        "channel": dossier["channel"], "admissible": admissible,
        "inadmissible_reason": None if admissible else rng.choice(("anoniem", "geen_verband")),
        "answer_outcome": rng.choice(OUTCOMES) if answered else None, "escalated": escalated,
        "national_outcome": rng.choice(OUTCOMES) if escalated and closed else None,
        "ack_due_at": received + 9 * day, "ack_at": received + rng.randint(0, 10) * day,
        "answer_due_at": received + 46 * day if admissible else None, "answer_at": answered,
        "national_due_at": answered + 76 * day if escalated else None,
        "national_at": closed if escalated else None, "status_interval_days": 21,
        "status_since": None, "status_met": rng.randint(0, 3), "status_missed": rng.random() < 0.05,
        "closed_at": closed, "outcome": dossier["outcome"],
        "lead_days": (closed - received).days if closed else None,
    }
    return dossier, instance, fact


def fill(k: Klachten, first: int, count: int) -> None:
    rng = random.Random(first)
    dossiers, instance_rows, fact_rows, recommendations = [], [], [], []
    for i in range(first, first + count):
        dossier, instance, fact = rows_for(i, rng)
        dossiers.append(dossier)
        instance_rows.append(instance)
        fact_rows.append(fact)
        if dossier["closed_at"] and rng.random() < 0.2:
            recommendations.append({
                "dossier_id": i, "text": "Leg de berekening uit.", "service": "onthaal",
                "status": rng.choice(("open", "in behandeling", "uitgevoerd")),
                "created_at": dossier["closed_at"]})
    with k.engine.begin() as conn:
        for table, rows in ((Dossier, dossiers), (Instance, instance_rows),
                            (DossierFacts, fact_rows), (Recommendation, recommendations)):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table.__table__), rows[start:start + 5000])
    if k.engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load: statistics for the planner, and the
        # visibility map that lets a GROUP BY read only its covering index.
        with k.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))


def timed_ms(call: Callable[[], Any], repeats: int = 20,
             warmup: int = 3) -> tuple[float, float]:
    """Median and fastest of ``repeats`` calls after ``warmup`` calls. The machine is shared:
    the fastest call shows the work itself, the median what a user waits with neighbours."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(samples), min(samples)


def signed_in_client(url: str, instance: Path):
    from web import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": url, "CLOCK": "virtual",
                      "SECRET_KEY": "bench-" + "0" * 32, "INSTANCE_PATH": str(instance)})
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"csrf_token": token, "naam": "lea", "wachtwoord": PASSWORD})
    return app, client


def measure(url: str, folder: Path, web: bool) -> dict[int, dict[str, tuple[float, float]]]:
    upgrade(url)
    k = open_klachten(url, clock="virtual")
    k.clock.set(NOW)
    k.deploy()
    Accounts(k).add("lea", ["lezer"], PASSWORD)
    desk = ReportDesk(k)
    app, client = signed_in_client(url, folder / "instance") if web else (None, None)
    results, filled = {}, 0
    for size in SIZES:
        fill(k, filled + 1, size - filled)
        filled = size
        report = desk.report(READER, YEAR)
        assert report.received == size, report.received
        results[size] = {"report figures (ReportDesk.report)": timed_ms(
            lambda: desk.report(READER, YEAR))}
        if web:
            def get_page() -> None:
                response = client.get("/bemiddeling/rapporten",
                                      query_string={"van": "2025-01-01", "tot": "2025-12-31"})
                assert response.status_code == 200

            results[size]["whole page GET /bemiddeling/rapporten"] = timed_ms(get_page)
            results[size]["CSV export, every row (streamed)"] = timed_ms(
                lambda: sum(1 for _ in desk.rows(READER, YEAR)), repeats=3, warmup=1)
    if app is not None:
        from web.extension import close

        close(app)
    k.close()
    return results


def lifecycle_ms(k: Klachten, count: int) -> dict[str, float]:
    complaint = {"klager": {"voornaam": "An", "achternaam": "Peeters", "email": "an@example.be"},
                 "taal": "nl", "kanaal": "web", "categorie": "terugbetaling",
                 "omschrijving": "Te weinig terugbetaald."}
    submits, decisions = [], []
    for _ in range(count):
        start = time.perf_counter_ns()
        number = k.submit(complaint).dossier_number
        submits.append(time.perf_counter_ns() - start)
        task = k.tasks(number)[0].id
        start = time.perf_counter_ns()
        k.complete_task(task, {"ontvankelijk": "ja"}, "mia")
        decisions.append(time.perf_counter_ns() - start)
    return {"submit": statistics.median(submits) / 1e6,
            "admissibility decision": statistics.median(decisions) / 1e6}


def facts_cost(folder: Path, count: int = 200) -> dict[str, float]:
    """Median ms of a submit and of an admissibility decision, and of the ``facts.derive``
    call inside each action (timed in place, in the same run)."""
    url = f"sqlite:///{folder / 'actions.db'}"
    upgrade(url)
    k = open_klachten(url, clock="virtual")
    k.clock.set(NOW)
    k.deploy()
    spent: list[float] = []
    original = facts.derive

    def derive(*args: Any) -> None:
        start = time.perf_counter_ns()
        original(*args)
        spent.append((time.perf_counter_ns() - start) / 1e6)

    facts.derive = derive  # save_case calls it through the module
    try:
        lifecycle_ms(k, 10)  # warm-up: parse the model, fill caches
        spent.clear()
        results = lifecycle_ms(k, count)
    finally:
        facts.derive = original
        k.close()
    return {**results, "facts.derive inside an action": statistics.median(spent)}


def postgres_database(server_url: str) -> tuple[str, Callable[[], None]]:
    name = f"klachten_bench_reports_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(server_url).set(database=name).render_as_string(hide_password=False), drop


def table(title: str, results: dict[int, dict[str, tuple[float, float]]]) -> None:
    print(f"| {title}: median (fastest) | "
          + " | ".join(f"{s:,} dossiers (ms)" for s in SIZES) + " |")
    print("|---|" + "---:|" * len(SIZES))
    for name in results[SIZES[0]]:
        print(f"| {name} | " + " | ".join(
            "{:.1f} ({:.1f})".format(*results[s][name]) for s in SIZES) + " |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", help="a PostgreSQL server URL (a database is created)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="klachten-reports-") as tmp:
        folder = Path(tmp)
        table("SQLite file", measure(f"sqlite:///{folder / 'reports.db'}", folder, web=True))
        if options.postgres:
            url, drop = postgres_database(options.postgres)
            try:
                table("PostgreSQL", measure(url, folder, web=False))
            finally:
                drop()
        costs = facts_cost(folder)
    print("| one action (median of 200, SQLite) | ms |")
    print("|---|---:|")
    for name, value in costs.items():
        print(f"| {name} | {value:.2f} |")


if __name__ == "__main__":
    main()
