"""Backup and restore: pg_dump a database with dossiers in every step, restore it into a
fresh database, and the restored dossiers carry on exactly like the originals.

Runs on the PostgreSQL pass of the suite (see conftest.py), in two databases of its own on
the test server, dropped afterwards. The procedure is the one in docs/crash-safety.md.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import PG_URL, START, Harness, complaint
from pg_cluster import postgres_bin
from smtp_server import SmtpServer, outbox_for
from sqlalchemy import create_engine, make_url, text

from runner.migrations import upgrade
from runner.procedure import open_klachten
from runner.service import Klachten

pytestmark = pytest.mark.postgresql

ROUNDS = 6  # enough for the dossier that is only registered to reach its end
BY_LETTER = {"voornaam": "Jan", "achternaam": "Peeters", "adres": "Kerkstraat 1, 9000 Gent"}
# What each user task gets when the test carries the dossiers on, and who does it.
TASK_DATA = {
    "ontvangstmelding_posten": ({"gepost_op": "2026-04-03"}, "mia"),
    "ontvankelijkheid_beoordelen": ({"ontvankelijk": "ja"}, "mia"),
    "onderzoek": ({"bevindingen": "Het bedrag werd verkeerd berekend."}, "mia"),
    "gemotiveerd_antwoord": ({"uitkomst": "gegrond", "antwoord": "Wij hebben bijgestort."},
                             "mia"),
    "nationaal_onderzoek": ({"uitkomst": "deels gegrond", "antwoord": "Na herziening."},
                            "nora"),
    "aanbeveling": ({"aanbevelingen": []}, "mia"),
}


@pytest.fixture
def databases() -> Iterator[list[str]]:
    """Two fresh, empty databases on the test server (original, restored), dropped after."""
    names = [f"klachten_backup_{uuid.uuid4().hex[:10]}_{side}" for side in ("a", "b")]
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield [make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
               for name in names]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _every_step(klachten: Klachten) -> dict[str, str]:
    """One dossier in each step of the procedure, through the process; notices undelivered."""
    closed = Harness(klachten).submit().admissible().investigate().answer()
    closed.at_day(32).recommend()  # the reaction window passed: closure, recommendation
    steps = {
        "afgesloten": closed,
        "geregistreerd": Harness(klachten).submit(klager=BY_LETTER),
        "ontvankelijkheid": Harness(klachten).submit(),
        "onderzoek": Harness(klachten).submit().admissible(),
        "wacht_op_reactie": Harness(klachten).submit().admissible().investigate().answer(),
        "nationaal": Harness(klachten).submit().admissible().investigate().answer()
        .message("klager_niet_akkoord", {"reden": "Ik ben het er niet mee eens."}),
        "ingetrokken": Harness(klachten).submit().admissible()
        .message("klacht_ingetrokken", {"reden": "opgelost"}),
    }
    return {step: harness.number for step, harness in steps.items()}


def _dump_and_restore(source: str, target: str, dump: Path) -> None:
    """``pg_dump -Fc`` of one database, ``pg_restore`` into the other (libpq URLs)."""
    bin_dir = postgres_bin()
    for command in ([str(bin_dir / "pg_dump"), "-Fc", "-f", str(dump), _libpq(source)],
                    [str(bin_dir / "pg_restore"), "--no-owner", "--exit-on-error",
                     "-d", _libpq(target), str(dump)]):
        result = subprocess.run(command, capture_output=True, text=True, timeout=120,
                                check=False)
        assert result.returncode == 0, result.stderr


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _carry_on(klachten: Klachten, server: SmtpServer, numbers: list[str]) -> list[dict]:
    """A new complaint (the year's numbering goes on), then rounds of three weeks: timers,
    the outbox, every open task completed; then what each dossier looks like (without the
    random notice codes and task ids)."""
    numbers = [*numbers, klachten.submit(complaint()).dossier_number]
    outbox = outbox_for(klachten, server)
    for _ in range(ROUNDS):
        klachten.clock.set(klachten.clock.now() + timedelta(days=22))
        klachten.sweep_timers()
        outbox.deliver_due()
        for task in klachten.tasks():
            data, user = TASK_DATA[task.name]
            klachten.complete_task(task.id, data, user)
    outbox.deliver_due()
    return [_essence(klachten.dossier(number)) for number in numbers]


def _essence(info: dict) -> dict:
    return {
        "nummer": info.number, "stap": info.step, "uitkomst": info.outcome,
        "afgesloten_op": info.closed_at, "open": [t.name for t in info.open_tasks],
        "berichten": [(n.kind, n.channel, n.status, n.attempts)
                      for n in info.notices],
        "audit": [(a.at, a.actor, a.action, a.element) for a in info.audit],
        "incidenten": info.incidents,
    }


def test_a_restored_backup_carries_on_like_the_original(databases, tmp_path):
    original_url, restored_url = databases
    upgrade(original_url)
    original = open_klachten(original_url, clock="virtual")
    original.clock.set(START)
    original.deploy()
    numbers = _every_step(original)
    before = [original.dossier(number) for number in numbers.values()]
    _dump_and_restore(original_url, restored_url, tmp_path / "klachten.dump")
    restored = open_klachten(restored_url, clock="virtual")
    servers = [SmtpServer().start(), SmtpServer().start()]
    try:
        assert [restored.dossier(number) for number in numbers.values()] == before
        assert restored.clock.now() == original.clock.now()
        after = [_carry_on(runner, server, list(numbers.values()))
                 for runner, server in zip((original, restored), servers, strict=True)]
        received = [sorted(m["Subject"] for m in server.messages) for server in servers]
    finally:
        for server in servers:
            server.stop()
        original.close()
        restored.close()

    assert after[1] == after[0]
    assert after[1][-1]["nummer"] == "KL-2026-00008"
    assert received[1] == received[0]
    assert {dossier["stap"] for dossier in after[1]} == {"Afgesloten"}
    assert {status for dossier in after[1] for _, channel, status, _ in dossier["berichten"]
            if channel == "email"} == {"sent"}
    assert len(received[1]) > len(numbers)  # the queued notices went out after the restore
    assert not any(dossier["open"] or dossier["incidenten"] for dossier in after[1])
