"""Benchmark: does compressing an open dossier's engine state (zlib) pay off?

Run from the repository root::

    PYTHONPATH=. python bench/compression.py [--pg postgresql+psycopg://postgres@127.0.0.1:5432/test]

It takes the real state of a dossier waiting in the investigation (status cycle running)
and measures (1) the CPU cost of zlib on save and load next to the serializer's own cost,
(2) on a SQLite file and on PostgreSQL, the bytes a table of such rows takes and the time of
one durable save (UPDATE + COMMIT) and one load (SELECT), text as today against zlib bytes.
It prints a Markdown section for ``BENCHMARKS.md``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import LargeBinary, Text, create_engine, select, text, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from runner.bpmn.engine import dump_state, load_state
from runner.bpmn.store import Instance, make_engine
from runner.migrations import upgrade
from runner.procedure import open_klachten
from runner.service import Klachten

ROWS, REPEATS = 2_000, 200
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class TextState(Base):
    __tablename__ = "bench_text_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(Text)


class ZlibState(Base):
    __tablename__ = "bench_zlib_state"
    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[bytes] = mapped_column(LargeBinary)


def median_ms(call: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - start)
    return statistics.median(times) / 1e6


def open_state(folder: Path) -> tuple[str, Klachten, int]:
    """The stored state of a dossier in the investigation, and the runner it came from."""
    url = f"sqlite:///{folder / 'source.db'}"
    upgrade(url)
    k = open_klachten(url, clock="virtual")
    k.clock.set(T0)
    k.deploy()
    number = k.submit({"klager": {"voornaam": "An", "achternaam": "Peeters",
                                  "email": "an@example.be"},
                       "taal": "nl", "kanaal": "web", "categorie": "terugbetaling",
                       "omschrijving": "Te weinig terugbetaald."}).dossier_number
    task = next(t for t in k.tasks(number) if t.name == "ontvankelijkheid_beoordelen")
    k.complete_task(task.id, {"ontvankelijk": "ja"}, "mia")
    k.clock.set(T0 + timedelta(days=22))
    k.sweep_timers()  # one status update sent: a state that has been through a cycle
    with k.factory() as session:
        instance = session.scalar(select(Instance))
        return instance.state, k, instance.definition_id


def cpu(state: str, k: Klachten, definition_id: int) -> dict[str, float]:
    with k.factory() as session:
        specs = k.runner.model(session, definition_id)[1]
    workflow = load_state(state, specs)
    blob = zlib.compress(state.encode(), 6)
    return {
        "json_bytes": len(state.encode()), "zlib1_bytes": len(zlib.compress(state.encode(), 1)),
        "zlib6_bytes": len(blob),
        "dump_ms": median_ms(lambda: dump_state(workflow)),
        "load_ms": median_ms(lambda: load_state(state, specs)),
        "compress_ms": median_ms(lambda: zlib.compress(state.encode(), 6)),
        "decompress_ms": median_ms(lambda: zlib.decompress(blob).decode()),
    }


def database(url: str, state: str) -> dict[str, dict[str, float]]:
    engine = make_engine(url)  # the runner's own settings (SQLite: WAL, synchronous=FULL)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    blob = zlib.compress(state.encode(), 6)
    results = {}
    try:
        for model, value in ((TextState, state), (ZlibState, blob)):
            with engine.begin() as conn:
                conn.execute(model.__table__.insert(),
                             [{"id": i, "state": value} for i in range(1, ROWS + 1)])

            def save(model=model, value=value) -> None:
                with engine.begin() as conn:
                    conn.execute(update(model).where(model.id == 7).values(state=value))

            def load(model=model) -> None:
                with engine.connect() as conn:
                    conn.execute(select(model.state).where(model.id == 7)).scalar_one()

            results[model.__tablename__] = {
                "save_ms": median_ms(save), "load_ms": median_ms(load),
                "bytes_per_row": table_bytes(engine, model.__tablename__) / ROWS}
    finally:
        Base.metadata.drop_all(engine)
        engine.dispose()
    return results


def table_bytes(engine, table: str) -> float:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            return conn.execute(text("SELECT pg_total_relation_size(:t)"), {"t": table}).scalar()
        return conn.execute(text("SELECT SUM(pgsize) FROM dbstat WHERE name = :t"),
                            {"t": table}).scalar()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default="", help="PostgreSQL URL (a scratch schema is used)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="klachten-zlib-") as tmp:
        folder = Path(tmp)
        state, k, definition_id = open_state(folder)
        figures = cpu(state, k, definition_id)
        k.close()
        measured = {"SQLite file (WAL, synchronous=FULL)":
                    database(_sqlite(folder / "bench.db"), state)}
        if args.pg:
            schema = f"bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.pg)
            with admin.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            try:
                separator = "&" if "?" in args.pg else "?"
                measured["PostgreSQL"] = database(
                    f"{args.pg}{separator}options=-csearch_path%3D{schema}", state)
            finally:
                with admin.begin() as conn:
                    conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
                admin.dispose()
    print(report(figures, measured))


def _sqlite(path: Path) -> str:
    """WAL sticks to the file; synchronous=FULL is set per connection (see database())."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=WAL")
    engine.dispose()
    return url


def report(cpu_figures: dict[str, float], measured: dict[str, dict[str, dict[str, float]]]
           ) -> str:
    f = cpu_figures
    lines = [
        "## Compressing an open dossier's state (`PYTHONPATH=. python bench/compression.py`)",
        "",
        f"State of a dossier in the investigation: {f['json_bytes']:,} bytes of JSON; zlib "
        f"level 1 {f['zlib1_bytes']:,}, level 6 {f['zlib6_bytes']:,} bytes. Per save and load "
        f"(median of {REPEATS}): serializer dump {f['dump_ms']:.2f} ms + zlib "
        f"{f['compress_ms']:.2f} ms; load {f['load_ms']:.2f} ms + unzlib "
        f"{f['decompress_ms']:.2f} ms.",
        "",
        "| backend | column | bytes per row (table, indexes, TOAST) | save ms (UPDATE + COMMIT) "
        "| load ms (SELECT) |",
        "|---|---|---:|---:|---:|",
    ]
    for backend, tables in measured.items():
        for table, values in tables.items():
            kind = "text (today)" if "text" in table else "zlib bytes"
            lines.append(f"| {backend} | {kind} | {values['bytes_per_row']:,.0f} | "
                         f"{values['save_ms']:.2f} | {values['load_ms']:.2f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
