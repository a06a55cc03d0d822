"""Fixtures: a runner on a fresh database (SQLite file, and PostgreSQL when
``KLACHTEN_TEST_DATABASE_URL`` is set) and a process-test harness with a virtual clock.

Every test is isolated, so that ``pytest -n auto`` (pytest-xdist) runs them in parallel: its
own database, its own instance folder (``KLACHTEN_INSTANCE_PATH``: mail files, secret key),
servers on free ports; a test that leaves a file in the repository fails."""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from repository_watch import RepositoryWatch
from smtp_server import SmtpServer
from sqlalchemy import create_engine, text

from runner.definition.model import default_processes_dir
from runner.migrations import upgrade
from runner.procedure import open_klachten
from runner.results import TaskInfo
from runner.service import Klachten

PG_URL = os.environ.get("KLACHTEN_TEST_DATABASE_URL", "")
SECRET = "test-secret-key-" + "0123456789abcdef" * 2
# Every runner of a test, in this process or a child, seals access codes with one key.
os.environ.setdefault("KLACHTEN_SECRET_KEY", SECRET)
# Argon2's cheapest parameters: hundreds of accounts at half a second each otherwise.
os.environ.setdefault("KLACHTEN_PASSWORD_HASH_COST", "test")
BACKENDS = ["sqlite", *(["postgresql"] if PG_URL else [])]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
ROOT = Path(__file__).resolve().parent.parent


@pytest.hookimpl(tryfirst=True)  # before ``-m`` selects on the markers
def pytest_collection_modifyitems(config, items) -> None:
    """A test that uses the ``browser`` fixture (Chromium) is marked ``browser``. Tests
    marked ``postgresql`` (several processes on one server, a private cluster, pg_dump) need
    PostgreSQL: without ``KLACHTEN_TEST_DATABASE_URL`` they are deselected, and reported as
    such, rather than skipped."""
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)
    if PG_URL:
        return
    deselected = [item for item in items if item.get_closest_marker("postgresql")]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if item.get_closest_marker("postgresql") is None]


def require_tool(present: bool, what: str) -> None:
    """A tool a test needs (Chromium, axe-core, pdftoppm): when it is missing the test fails
    in CI (``CI`` set, as ``.ci/run`` does) and is skipped, with the reason, elsewhere."""
    if present:
        return
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"{what} ontbreekt; .ci/system-deps installeert het")
    pytest.skip(f"{what} ontbreekt (lokaal overgeslagen; in CI een fout)")


@pytest.fixture(autouse=True)
def own_instance_folder(tmp_path, monkeypatch) -> None:
    """Each test's runners, CLI commands and child processes keep their instance folder
    (mail files, secret key, SQLite file) in the test's temporary folder."""
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(tmp_path / "instance"))


@pytest.fixture(autouse=True, scope="session")
def repository_watch() -> RepositoryWatch:
    return RepositoryWatch(ROOT)


@pytest.fixture(autouse=True)
def nothing_written_into_the_repository(repository_watch) -> Iterator[None]:
    """A test that leaves a new file in the repository (``instance/mail/*.eml``, a database)
    fails: tests write into their temporary folder."""
    yield
    if written := repository_watch.new_files():
        pytest.fail("test schreef in de repository (met -n kan het ook een test zijn die "
                    f"tegelijk liep): {', '.join(written)}", pytrace=False)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite file migrated to head once per test process (each xdist worker is one)."""
    path = tmp_path_factory.mktemp("migrated") / "klachten.db"
    upgrade(f"sqlite:///{path}")
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no journal left over
    return path


@pytest.fixture
def sqlite_url(migrated_sqlite, tmp_path) -> str:
    """A fresh SQLite database at head: a copy of ``migrated_sqlite``, the bytes the
    migrations write, without running them again for every test."""
    target = tmp_path / "klachten.db"
    shutil.copyfile(migrated_sqlite, target)
    return f"sqlite:///{target}"


@pytest.fixture(params=BACKENDS)
def database_url(request) -> Iterator[str]:
    """A fresh, migrated database: a SQLite file, or a private schema on PostgreSQL."""
    if request.param == "sqlite":
        yield request.getfixturevalue("sqlite_url")
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        # pg_trgm (migration 0010) in public, as an administrator installs it, never in a
        # test's own schema: dropping that would take the extension from under other tests.
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    upgrade(url)
    try:
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def klachten(database_url) -> Iterator[Klachten]:
    runner = open_klachten(database_url, clock="virtual")
    runner.clock.set(START)
    runner.deploy()
    yield runner
    runner.close()


def complaint(**overrides) -> dict:
    data = {
        "klager": {"voornaam": "An", "achternaam": "Peeters", "email": "an.peeters@example.be",
                   "adres": "Kerkstraat 1, 9000 Gent", "telefoon": "09 123 45 67",
                   "lidnummer": "12345678901"},
        "taal": "nl",
        "kanaal": "web",
        "categorie": "terugbetaling",
        "omschrijving": "Ik kreeg te weinig terugbetaald voor mijn kinesitherapie.",
    }
    data.update(overrides)
    return data


def run_together(*calls, timeout: float = 120) -> None:
    """Start each call in its own thread and wait for all of them."""
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)


class Harness:
    """Drives one dossier through the diagram, in the spirit of zeebe-process-test."""

    def __init__(self, klachten: Klachten):
        self.k = klachten
        self.number = ""
        self.access_code: str | None = None

    def submit(self, **overrides) -> Harness:
        result = self.k.submit(complaint(**overrides))
        self.number, self.access_code = result.dossier_number, result.access_code
        return self

    def open_tasks(self) -> list[TaskInfo]:
        return self.k.tasks(self.number)

    def task(self, name: str) -> TaskInfo:
        matches = [t for t in self.open_tasks() if t.name == name]
        assert matches, f"geen open taak {name}; open: {[t.name for t in self.open_tasks()]}"
        return matches[0]

    def complete(self, name: str, data: dict, user: str = "mia") -> Harness:
        self.k.complete_task(self.task(name).id, data, user)
        return self

    def message(self, name: str, payload: dict | None = None) -> Harness:
        self.k.send_message(self.number, name, payload or {})
        return self

    def advance(self, days: float = 0, sweep: bool = True) -> Harness:
        self.k.clock.set(self.k.clock.now() + timedelta(days=days))
        if sweep:
            self.k.sweep_timers()
        return self

    def at_day(self, day: float, sweep: bool = True) -> Harness:
        """Move the clock to ``day`` days after the start instant."""
        self.k.clock.set(START + timedelta(days=day))
        if sweep:
            self.k.sweep_timers()
        return self

    @property
    def info(self) -> dict:
        return self.k.dossier(self.number)

    def notices(self) -> list[str]:
        return [n.kind for n in self.info.notices]

    def counts_at(self, days: list[float], kind: str = "statusbericht") -> list[int]:
        """How many notices of ``kind`` exist after the clock reaches each of ``days``."""
        counts = []
        for day in days:
            self.at_day(day)
            counts.append(self.notices().count(kind))
        return counts

    # named steps of the diagram, with valid form data
    def admissible(self, user: str = "mia") -> Harness:
        return self.complete("ontvankelijkheid_beoordelen", {"ontvankelijk": "ja"}, user)

    def investigate(self, user: str = "mia") -> Harness:
        return self.complete("onderzoek", {"bevindingen": "Het bedrag werd verkeerd berekend."},
                             user)

    def answer(self, outcome: str = "gegrond", user: str = "mia") -> Harness:
        return self.complete("gemotiveerd_antwoord", {
            "uitkomst": outcome, "antwoord": "Wij hebben het bedrag herberekend en bijgestort.",
        }, user)

    def recommend(self, items: list[dict] | None = None, user: str = "mia") -> Harness:
        return self.complete("aanbeveling", {"aanbevelingen": items or []}, user)


@pytest.fixture
def harness(klachten) -> Harness:
    return Harness(klachten)


@pytest.fixture
def generated(klachten, tmp_path):
    """Seven dossiers with known report figures (``tests/report_world.py``), at day 50."""
    from report_world import Generated  # it imports this module's Harness

    world = Generated(klachten, tmp_path)
    world.build()
    return world


@pytest.fixture
def processes_copy(tmp_path) -> Path:
    target = tmp_path / "processes"
    shutil.copytree(default_processes_dir(), target)
    return target


# ----- the web app (complainant side)


@pytest.fixture
def app(database_url, klachten, tmp_path):
    """The Flask app on the same database (and virtual clock) as ``klachten``."""
    from web import create_app
    from web.extension import close

    application = create_app({"TESTING": True, "DATABASE_URL": database_url,
                              "CLOCK": "virtual", "SECRET_KEY": SECRET,
                              "INSTANCE_PATH": str(tmp_path / "instance")})
    yield application
    close(application)


@pytest.fixture
def client(app):
    return app.test_client()


class Site:
    """Drives the public pages like a member would, CSRF tokens included."""

    TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(self, client):
        self.client = client

    def get(self, url: str, **kwargs):
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict, form_page: str | None = None, **kwargs):
        """Post ``data`` with a CSRF token read from ``form_page`` (default: ``url``)."""
        page = self.client.get(form_page or url).get_data(as_text=True)
        token = self.TOKEN.search(page)
        assert token, f"geen formulier met CSRF-token op {form_page or url}"
        return self.client.post(url, data={"csrf_token": token.group(1), **data}, **kwargs)

    def submit(self, **overrides):
        return self.post("/klacht", {**complaint_fields(), **overrides})

    def file_complaint(self, **overrides) -> tuple[str, str]:
        """Submit, open the confirmation page, return the dossier number and access code."""
        response = self.submit(**overrides)
        assert response.status_code == 302, response.get_data(as_text=True)
        page = self.get("/klacht/bevestiging").get_data(as_text=True)
        number = re.search(r'id="dossiernummer">([^<]+)<', page).group(1)
        code = re.search(r'id="toegangscode">([^<]+)<', page).group(1)
        return number, code

    def sign_in(self, number: str, code: str, **kwargs):
        return self.post("/status", {"nummer": number, "toegangscode": code}, **kwargs)


def complaint_fields(**overrides) -> dict:
    """The public complaint form, filled in as posted by a browser."""
    fields = {
        "klager.voornaam": "An", "klager.achternaam": "Peeters",
        "klager.email": "an.peeters@example.be", "klager.adres": "",
        "klager.telefoon": "09 123 45 67", "klager.lidnummer": "",
        "categorie": "terugbetaling", "taal": "nl", "privacy": "ja", "website": "",
        "omschrijving": "Ik kreeg te weinig terugbetaald voor mijn kinesitherapie.",
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def site(client) -> Site:
    return Site(client)


# ----- the mediators' side: one account per role
PASSWORD = "een-lang-wachtwoord"


@pytest.fixture
def accounts(klachten):
    from runner.accounts.users import Accounts

    accounts = Accounts(klachten)
    for name, role in [("mia", "klachtenbemiddelaar"), ("nora", "nationale klachtenbemiddelaar"),
                       ("bert", "beheerder"), ("lea", "lezer"), ("tom", "klachtenbemiddelaar")]:
        accounts.add(name, [role], PASSWORD)
    return accounts


class Staff(Site):
    def login(self, name: str, password: str = PASSWORD, **kwargs):
        return self.post("/login", {"naam": name, "wachtwoord": password}, **kwargs)


@pytest.fixture
def staff(client, accounts) -> Staff:
    return Staff(client)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A plain SMTP server on loopback, running; ``.messages`` holds what it received."""
    server = SmtpServer().start()
    yield server
    server.stop()
