"""Load test: complainants and mediators against the app served by gunicorn on loopback.

Run from the repository root (about 2 minutes on PostgreSQL, of which 60 s of load)::

    PYTHONPATH=. python bench/load.py                     # PostgreSQL, writes BENCHMARKS.md
    PYTHONPATH=. python bench/load.py --database sqlite --seconds 5 --complainants 3 \\
        --mediators 2 --no-write                          # a smoke run

It sets up a deployment as docs/deployment.md describes, on a fresh database of its own
(PostgreSQL: ``CREATE DATABASE klachten_load_<random>`` on the server of ``--pg-url``,
dropped afterwards; SQLite: a file in a temporary folder): ``klachten init``, one mediator
account per simulated mediator (``klachten user add``), gunicorn with ``--web-workers``
processes and ``--workers`` ``klachten worker`` processes, every process with its own
environment as an operator would set it. Then, for ``--seconds``:

- each complainant (an HTTP client with its own cookies) opens the public form, reads the
  CSRF token, submits a complaint and reads its dossier number on the confirmation page,
  again and again without pause;
- each mediator signs in once, then opens the inbox, claims a task from the first page,
  opens its form and completes it (admissibility, investigation or answer); two mediators
  who pick the same task get a conflict for one of them, which is counted, not an error.

After the load the workers get up to 60 s to empty the outbox; the processes are stopped and
the consistency check reads the database through the runner: every accepted submission has
its dossier, an acknowledgement notice that was sent, and an instance whose stored step and
open tasks equal what the engine derives from its state, without incident; the dossier
numbers of the year are gapless (1..n) and n is the number of accepted submissions.

Any error (a status the flow does not expect, a timeout, a broken page) or consistency
problem makes the exit status 1. The report (throughput, p50/p95 latency per request kind,
errors) is printed, and with ``--write`` (the default) replaces the section between the
load markers in BENCHMARKS.md, leaving the other sections alone.

Rate limits: the public form has none on successful submissions, and the login and status
limits count failed attempts only, so the defaults stay as they are; nothing is weakened.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from runner.bpmn.store import Incident, Instance, OpenTask, transaction
from runner.notices.texts import NoticeStatus
from runner.procedure import open_klachten
from runner.service import Klachten
from runner.store import Dossier, Notice
from web import gunicorn_config

ROOT = Path(__file__).resolve().parent.parent
REPORT = ROOT / "BENCHMARKS.md"
BEGIN = "<!-- load: written by bench/load.py -->"
END = "<!-- /load -->"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "een lang wachtwoord voor de lasttest"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NUMBER = re.compile(r'id="dossiernummer">([^<]+)<')
VERSION = re.compile(r'name="versie" value="(\d+)"')
TASK_LINK = re.compile(r'href="/bemiddeling/taken/([0-9a-f-]{36})"')
DONE = "De taak is voltooid."
CONFLICT = "Deze taak kan niet meer voltooid worden"
# Who won, as the page of a refused completion names it (issue 21: no loss goes untold).
TOLD = re.compile(r"(voltooid|overgenomen) door \S+")
# What a mediator fills in, recognised by a field of the task's form.
ANSWERS = {
    'name="ontvankelijk"': {"ontvankelijk": "ja"},
    'name="bevindingen"': {"bevindingen": "Het bedrag werd verkeerd berekend."},
    'name="uitkomst"': {"uitkomst": "gegrond",
                        "antwoord": "Wij hebben het bedrag herberekend en bijgestort."},
}
ACKNOWLEDGEMENT = "ontvangstmelding"


# ----- the deployment
@dataclass
class Deployment:
    """A database, gunicorn and the workers, as separate processes on loopback."""

    database: str  # "postgresql" or "sqlite"
    pg_url: str
    folder: Path
    url: str = ""
    database_url: str = ""
    processes: list[subprocess.Popen] = field(default_factory=list)
    cpu_before: float = 0.0  # CPU seconds of finished child processes when gunicorn started

    def environment(self) -> dict[str, str]:
        return {**os.environ, "KLACHTEN_DATABASE_URL": self.database_url,
                "KLACHTEN_INSTANCE_PATH": str(self.folder / "instance"),
                "KLACHTEN_SECRET_KEY": "load-" + "0123456789abcdef" * 3,
                "KLACHTEN_LOG_FORMAT": "json", "KLACHTEN_WORKER_INTERVAL": "1",
                "KLACHTEN_PASSWORD": PASSWORD,
                # Every complaint comes from its own member's address (X-Forwarded-For), as
                # in production: the form allows 5 complaints an hour per address.
                "KLACHTEN_PROXY_COUNT": "1"}

    def klachten(self, *args: str) -> None:
        subprocess.run([sys.executable, "-m", "web", *args], env=self.environment(),
                       check=True, capture_output=True, cwd=self.folder)

    def start(self, web_workers: int, workers: int, mediators: int) -> None:
        self.klachten("init")
        for name in mediator_names(mediators):
            self.klachten("user", "add", name, "--role", "klachtenbemiddelaar")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.cpu_before = cpu_seconds(resource.RUSAGE_CHILDREN)
        self._spawn("gunicorn", [sys.executable, "-m", "gunicorn", "-c",
                                 "python:web.gunicorn_config", "--workers", str(web_workers),
                                 "--bind", f"127.0.0.1:{port}"])
        for number in range(workers):
            self._spawn(f"worker-{number}", [sys.executable, "-m", "web", "worker"])
        wait_until_ready(self.url, self.processes)

    def _spawn(self, name: str, command: list[str]) -> None:
        with (self.folder / f"{name}.log").open("wb") as log:  # the child keeps its copy
            self.processes.append(subprocess.Popen(command, env=self.environment(), stdout=log,
                                                   stderr=subprocess.STDOUT, cwd=self.folder))

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def cpu_used(self) -> float:
        """CPU seconds of gunicorn (with its workers) and the workers, once they stopped."""
        return cpu_seconds(resource.RUSAGE_CHILDREN) - self.cpu_before

    def log_lines(self) -> list[dict]:
        """The JSON log lines of every process (a line that is not JSON fails the run)."""
        lines = []
        for path in sorted(self.folder.glob("*.log")):
            for line in path.read_text(encoding="utf-8").splitlines():
                lines.append(json.loads(line))
        return lines


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def mediator_names(count: int) -> list[str]:
    return [f"bemiddelaar{number:02d}" for number in range(1, count + 1)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_ready(url: str, processes: list[subprocess.Popen], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError("a process of the deployment stopped while starting")
        with suppress(httpx.HTTPError):
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url}/readyz did not answer 200 within {timeout} s")


@contextmanager
def deployment(database: str, pg_url: str, web_workers: int, workers: int,
               mediators: int) -> Iterator[Deployment]:
    """A started deployment on a fresh database; everything removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="klachten-load-"))
    running = Deployment(database, pg_url, folder)
    name = f"klachten_load_{secrets.token_hex(4)}"
    try:
        if database == "postgresql":
            admin("CREATE DATABASE " + name, pg_url)
            running.database_url = make_url(pg_url).set(database=name).render_as_string(
                hide_password=False)
        else:
            running.database_url = f"sqlite:///{folder / 'klachten.db'}"
        running.start(web_workers, workers, mediators)
        yield running
    finally:
        running.stop()
        if database == "postgresql":
            admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", pg_url)
        shutil.rmtree(folder, ignore_errors=True)


def admin(statement: str, pg_url: str) -> None:
    engine = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()


# ----- the simulated people
@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)  # dossier numbers
    completed: int = 0
    conflicts: int = 0
    # A completion refused without saying who completed or took the task: must stay 0.
    lost: int = 0
    idle: int = 0  # inbox pages without a task to take

    async def timed(self, kind: str, call) -> httpx.Response:
        started = time.perf_counter()
        response = await call
        self.latencies[kind].append(time.perf_counter() - started)
        return response


class Unexpected(Exception):
    """A response the flow does not expect: counted as an error."""


def expect(response: httpx.Response, status: int, what: str) -> str:
    if response.status_code != status:
        raise Unexpected(f"{what}: HTTP {response.status_code} (verwacht {status})")
    return response.text


def token(page: str, what: str) -> str:
    found = CSRF.search(page)
    if not found:
        raise Unexpected(f"{what}: geen CSRF-token")
    return found.group(1)


async def complainant(client: httpx.AsyncClient, number: int, stats: Stats,
                      until: float) -> None:
    serial = 0
    while time.monotonic() < until:
        serial += 1
        try:
            form = expect(await stats.timed("GET /klacht", client.get("/klacht")), 200,
                          "formulier")
            posted = await stats.timed("POST /klacht", client.post("/klacht", data={
                "csrf_token": token(form, "formulier"), **complaint_fields(number, serial)},
                headers={"X-Forwarded-For": member_address(number, serial)}))
            expect(posted, 302, "indienen")
            page = expect(await stats.timed("GET /klacht/bevestiging",
                                            client.get("/klacht/bevestiging")), 200,
                          "bevestiging")
            found = NUMBER.search(page)
            if not found:
                raise Unexpected("bevestiging: geen dossiernummer")
            stats.accepted.append(found.group(1))
        except (Unexpected, httpx.HTTPError) as error:
            stats.errors.append(f"klager {number}: {type(error).__name__}: {error}")


def member_address(number: int, serial: int) -> str:
    """A client address of its own for each complaint."""
    return f"10.{number % 256}.{serial // 256 % 256}.{serial % 256}"


def complaint_fields(number: int, serial: int) -> dict[str, str]:
    return {
        "klager.voornaam": "Klager", "klager.achternaam": f"Last{number:02d}x{serial:05d}",
        "klager.email": f"klager{number}.{serial}@example.be", "klager.adres": "",
        "klager.telefoon": "", "klager.lidnummer": "", "categorie": "terugbetaling",
        "taal": random.choice(("nl", "fr")), "privacy": "ja", "website": "",
        "omschrijving": "Ik kreeg te weinig terugbetaald voor mijn kinesitherapie.",
    }


async def mediator(client: httpx.AsyncClient, name: str, stats: Stats, until: float) -> None:
    try:
        page = expect(await client.get("/login"), 200, "login")
        signed_in = await stats.timed("POST /login", client.post("/login", data={
            "csrf_token": token(page, "login"), "naam": name, "wachtwoord": PASSWORD}))
        expect(signed_in, 302, "login")
    except (Unexpected, httpx.HTTPError) as error:
        stats.errors.append(f"{name}: {type(error).__name__}: {error}")
        return
    while time.monotonic() < until:
        try:
            await work_one_task(client, stats)
        except (Unexpected, httpx.HTTPError) as error:
            stats.errors.append(f"{name}: {type(error).__name__}: {error}")


async def work_one_task(client: httpx.AsyncClient, stats: Stats) -> None:
    inbox = expect(await stats.timed("GET inbox", client.get("/bemiddeling/taken")), 200,
                   "werkbak")
    tasks = TASK_LINK.findall(inbox)
    if not tasks:
        stats.idle += 1
        await asyncio.sleep(0.2)
        return
    task = random.choice(tasks)
    claimed = await stats.timed("POST claim", client.post(
        f"/bemiddeling/taken/{task}/claimen",
        data={"csrf_token": token(inbox, "werkbak"), "terug": "/bemiddeling/taken"}))
    if taken_meanwhile(claimed, stats):
        return
    expect(claimed, 302, "claimen")
    form = await stats.timed("GET task", client.get(f"/bemiddeling/taken/{task}"))
    if taken_meanwhile(form, stats):
        return
    page = expect(form, 200, "taakformulier")
    answer = next((data for marker, data in ANSWERS.items() if marker in page), None)
    version = VERSION.search(page)
    if answer is None or version is None:
        raise Unexpected("taakformulier: onbekend formulier")
    done = await stats.timed("POST complete", client.post(
        f"/bemiddeling/taken/{task}", data={"csrf_token": token(page, "taakformulier"),
                                           "versie": version.group(1), "actie": "voltooien",
                                           **answer}))
    if done.status_code == 409 and not TOLD.search(done.text):
        stats.lost += 1  # refused, and the page does not say who completed or took it
    if taken_meanwhile(done, stats):
        return
    expect(done, 302, "voltooien")
    after = expect(await client.get(done.headers["location"]), 200, "na voltooien")
    if DONE in after:
        stats.completed += 1
    elif CONFLICT in after:
        stats.conflicts += 1
    else:
        raise Unexpected("voltooien: geen bevestiging en geen conflict")


def taken_meanwhile(response: httpx.Response, stats: Stats) -> bool:
    """Another mediator completed the task first (404: no longer open; 409: changed)."""
    if response.status_code in (404, 409):
        stats.conflicts += 1
        return True
    return False


async def load(url: str, complainants: int, mediators: int, seconds: float) -> Stats:
    stats = Stats()
    until = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=complainants + mediators)
    clients = [httpx.AsyncClient(base_url=url, timeout=30, limits=limits)
               for _ in range(complainants + mediators)]
    try:
        await asyncio.gather(
            *(complainant(clients[i], i + 1, stats, until) for i in range(complainants)),
            *(mediator(clients[complainants + i], name, stats, until)
              for i, name in enumerate(mediator_names(mediators))))
    finally:
        for client in clients:
            await client.aclose()
    return stats


# ----- after the load
def drain_outbox(database_url: str, timeout: float = 60) -> float:
    """Wait until the workers have delivered every queued notice; returns the seconds."""
    started = time.monotonic()
    engine = create_engine(database_url)
    try:
        while time.monotonic() - started < timeout:
            with engine.connect() as connection:
                queued = connection.scalar(select(func.count()).select_from(Notice)
                                           .where(Notice.status == NoticeStatus.QUEUED))
            if not queued:
                break
            time.sleep(0.5)
    finally:
        engine.dispose()
    return time.monotonic() - started


def check_consistency(database_url: str, accepted: list[str]) -> list[str]:
    """Every problem found; none means no complaint was lost or half-saved."""
    klachten = open_klachten(database_url)
    try:
        problems = [problem for number in accepted
                    for problem in check_dossier(klachten, number)]
        with transaction(klachten.factory) as session:
            sequences = sorted(session.scalars(select(Dossier.sequence)))
        if sequences != list(range(1, len(sequences) + 1)):
            problems.append("dossiernummers niet doorlopend")
        if len(sequences) != len(accepted) or len(set(accepted)) != len(accepted):
            problems.append(f"{len(sequences)} dossiers voor {len(accepted)} aanvaarde klachten")
        return problems
    finally:
        klachten.close()


def check_dossier(klachten: Klachten, number: str) -> list[str]:
    with transaction(klachten.factory) as session:
        dossier = session.scalar(select(Dossier).where(Dossier.number == number))
        if dossier is None:
            return [f"{number}: geen dossier"]
        instance = session.scalar(select(Instance).where(Instance.dossier_id == dossier.id))
        acknowledgements = session.scalars(select(Notice.status).where(
            Notice.dossier_id == dossier.id, Notice.kind == ACKNOWLEDGEMENT)).all()
        open_tasks = set(session.scalars(select(OpenTask.id)
                                         .where(OpenTask.dossier_id == dossier.id)))
        incidents = session.scalar(select(func.count()).select_from(Incident).where(
            Incident.dossier_id == dossier.id, Incident.resolved_at.is_(None)))
    problems = []
    if acknowledgements != [NoticeStatus.SENT]:
        problems.append(f"{number}: ontvangstmelding {acknowledgements}")
    case = klachten.case(number)
    if instance is None or case.step() != instance.step or not instance.step:
        problems.append(f"{number}: stap in de database verschilt van de engine")
    if open_tasks != {str(task.id) for task in case.ready_user_tasks()}:
        problems.append(f"{number}: open taken verschillen van de engine")
    if incidents:
        problems.append(f"{number}: {incidents} open incident(en)")
    return problems


# ----- the report
@dataclass(frozen=True)
class Run:
    args: argparse.Namespace
    stats: Stats
    seconds: float
    drain_seconds: float
    problems: list[str]
    load_average: tuple[str, str]
    server_errors: int
    web_processes: int  # gunicorn workers that booted
    cpu_app: float  # seconds: gunicorn, its workers and the klachten workers, start to stop
    cpu_client: float  # seconds: this load client during the load

    @property
    def ok(self) -> bool:
        return (not self.stats.errors and not self.problems and not self.server_errors
                and not self.stats.lost)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(run: Run) -> dict:
    stats = run.stats
    requests = sum(len(v) for v in stats.latencies.values())
    return {
        "accepted": len(stats.accepted), "completed": stats.completed,
        "conflicts": stats.conflicts, "lost_completions": stats.lost,
        "errors": len(stats.errors),
        "server_errors": run.server_errors, "problems": run.problems[:20],
        "cpu_app_s": run.cpu_app, "cpu_client_s": run.cpu_client,
        "error_samples": stats.errors[:20],
        "submissions_per_s": len(stats.accepted) / run.seconds,
        "completions_per_s": stats.completed / run.seconds,
        "requests_per_s": requests / run.seconds,
        "latency_ms": {kind: {"n": len(values),
                              "p50": 1000 * statistics.median(values),
                              "p95": 1000 * percentile(values, 0.95)}
                       for kind, values in sorted(stats.latencies.items())},
    }


def markdown(run: Run) -> str:
    args, figures = run.args, summary(run)
    lines = [
        BEGIN,
        "## Load: complainants and mediators on gunicorn (`bench/load.py`)",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; command: `PYTHONPATH=. python "
        f"bench/load.py --database {args.database} --seconds {args.seconds:g} "
        f"--complainants {args.complainants} --mediators {args.mediators} "
        f"--web-workers {args.web_workers} --workers {args.workers}`",
        f"- Machine: {platform.platform()}; nproc {os.cpu_count()}; load average (1, 5, 15 min) "
        f"before: {run.load_average[0]}, after: {run.load_average[1]}. The load client, "
        "gunicorn, the workers and the database share these cores (and other work).",
        f"- Deployment: gunicorn `-c python:web.gunicorn_config --workers {args.web_workers}` "
        f"(gthread, {gunicorn_config.threads} threads each), {args.workers} `klachten worker` "
        "process(es), a fresh "
        f"{args.database} database, `KLACHTEN_WORKER_INTERVAL=1`; e-mail to `.eml` files (no "
        "SMTP server).",
        f"- {args.complainants} complainants submit the public form without pause (form, "
        f"post, confirmation page); {args.mediators} mediators open the inbox, claim a task, "
        "open its form and complete it, for "
        f"{args.seconds:g} s (the last requests ended after {run.seconds:.1f} s); the outbox "
        f"was empty {run.drain_seconds:.1f} s after that.",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| complaints accepted | {figures['accepted']} "
        f"({figures['submissions_per_s']:.1f}/s) |",
        f"| tasks completed | {figures['completed']} ({figures['completions_per_s']:.1f}/s) |",
        f"| conflicts (two mediators, one task) | {figures['conflicts']} |",
        f"| **lost completions** (refused without naming who completed or took the task) "
        f"| **{figures['lost_completions']}** |",
        f"| HTTP requests | {figures['requests_per_s']:.1f}/s |",
        f"| CPU of the app (gunicorn and workers, start to stop) | {run.cpu_app:.0f} s "
        f"({1000 * run.cpu_app / max(1, figures['accepted']):.0f} ms per accepted complaint, "
        "all requests included) |",
        f"| CPU of the load client | {run.cpu_client:.0f} s |",
        f"| **errors** (client side, unexpected status or timeout) | **{figures['errors']}** |",
        f"| server errors in the logs | {figures['server_errors']} |",
        f"| consistency problems (lost or half-saved complaints) | **{len(run.problems)}** |",
        "",
        "| request | count | p50 ms | p95 ms |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {kind} | {v['n']} | {v['p50']:.0f} | {v['p95']:.0f} |"
              for kind, v in figures["latency_ms"].items()]
    lines += [
        "",
        f"The app's processes used {run.cpu_app / run.seconds:.2f} of the {os.cpu_count()} "
        "cores on average (PostgreSQL's share not counted); a request's latency beyond its "
        f"own CPU time is waiting: in gunicorn's queue ({args.complainants + args.mediators} "
        f"clients, {gunicorn_config.threads * args.web_workers} threads) and for the cores, "
        "which other work on the machine "
        "shares (the load average above). Signing in takes an argon2 hash by design.",
        "",
        "Consistency check, through the runner after the processes stopped: every accepted "
        "submission has its dossier, one acknowledgement that was sent, a stored step and "
        "open tasks equal to what the engine derives from the stored state, no open incident; "
        "dossier numbers gapless and as many as accepted submissions.",
        END,
    ]
    return "\n".join(lines) + "\n"


def write_section(section: str) -> None:
    """Replace the load section of BENCHMARKS.md, or append it; the rest stays as it is."""
    current = REPORT.read_text(encoding="utf-8")
    if BEGIN in current and END in current:
        before, rest = current.split(BEGIN, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        updated = before + section + ("\n" + after if after else "")
    else:
        updated = current.rstrip("\n") + "\n\n" + section
    REPORT.write_text(updated, encoding="utf-8")


def server_errors(lines: list[dict]) -> int:
    """Log lines of level ERROR or worse, and requests answered with a 5xx."""
    return sum(1 for line in lines if line.get("level") in ("ERROR", "CRITICAL")
               or int(line.get("status", 0)) >= 500)


def load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run(args: argparse.Namespace) -> Run:
    before = load_average()
    with deployment(args.database, args.pg_url, args.web_workers, args.workers,
                    args.mediators) as running:
        started, client_before = time.monotonic(), cpu_seconds(resource.RUSAGE_SELF)
        stats = asyncio.run(load(running.url, args.complainants, args.mediators, args.seconds))
        elapsed = time.monotonic() - started
        client = cpu_seconds(resource.RUSAGE_SELF) - client_before
        drained = drain_outbox(running.database_url)
        running.stop()
        problems = check_consistency(running.database_url, stats.accepted)
        lines = running.log_lines()
    booted = sum(1 for line in lines if line["message"].startswith("Booting worker"))
    return Run(args, stats, elapsed, drained, problems, (before, load_average()),
               server_errors(lines), booted, running.cpu_used(), client)


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--pg-url", default=os.environ.get("KLACHTEN_LOAD_PG_URL", PG_URL),
                        help="a PostgreSQL server's URL; the test creates its own database there")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--complainants", type=int, default=50)
    parser.add_argument("--mediators", type=int, default=10)
    parser.add_argument("--web-workers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=True,
                        help="write the section of BENCHMARKS.md")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    result = run(args)
    section = markdown(result)
    print(json.dumps(summary(result), indent=1) if args.json else section)
    if args.write:
        write_section(section)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
