"""PostgreSQL restarted under a running web app and worker: both carry on by themselves.

The test starts its own PostgreSQL cluster (tests/pg_cluster.py): the shared test server is
never restarted. It runs on the PostgreSQL pass of the suite (see conftest.py).
"""

from __future__ import annotations

import http.cookiejar
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import START, complaint, complaint_fields
from local_servers import free_port
from pg_cluster import PrivateCluster
from smtp_server import SENDER
from worker_processes import wait_until, worker_env

from runner.migrations import upgrade
from runner.procedure import open_klachten

pytestmark = pytest.mark.postgresql


@pytest.fixture
def cluster() -> Iterator[PrivateCluster]:
    server = PrivateCluster()
    try:
        server.start()
        yield server
    finally:
        server.remove()


class Browser:
    """A member's browser on the running web app: cookies, CSRF token, no JavaScript."""

    TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def status_of(self, path: str) -> int:
        """The HTTP status of a GET, 0 when nothing listens."""
        try:
            with self.opener.open(self.base + path, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as err:
            return err.code
        except urllib.error.URLError:  # not listening (yet)
            return 0

    def file_complaint(self, text: str) -> str:
        """Fill in and send the complaint form; the dossier number from the confirmation.
        Each complaint its own ``text``: the same form sent twice is one dossier."""
        with self.opener.open(self.base + "/klacht", timeout=30) as response:
            token = self.TOKEN.search(response.read().decode()).group(1)
        data = urllib.parse.urlencode({"csrf_token": token,
                                       **complaint_fields(omschrijving=text)}).encode()
        with self.opener.open(self.base + "/klacht", data, timeout=30) as response:
            page = response.read().decode()  # redirected to the confirmation
        return re.search(r'id="dossiernummer">([^<]+)<', page).group(1)


def _start(url: str, instance: Path, log: Path, *args: str, **settings: str) -> subprocess.Popen:
    env = worker_env(url, instance, KLACHTEN_MAIL_FROM=SENDER, **settings)
    with log.open("w") as output:
        return subprocess.Popen([sys.executable, "-m", "web", *args], env=env,
                                stdout=output, stderr=subprocess.STDOUT)


def _stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=30)


def test_web_app_and_worker_recover_from_a_database_restart(cluster, smtp_server, tmp_path):
    url = cluster.url()
    upgrade(url)
    klachten = open_klachten(url, clock="virtual")
    klachten.clock.set(START)
    klachten.deploy()
    investigating = klachten.submit(complaint()).dossier_number
    [task] = klachten.tasks(investigating)
    klachten.complete_task(task.id, {"ontvankelijk": "ja"}, "mia")
    klachten.close()

    port = free_port()
    web = _start(url, tmp_path / "web", tmp_path / "web.log", "serve", "--no-worker",
                 "--port", str(port), "--threads", "2")  # the key of every process (ADR 8)
    worker = _start(url, tmp_path / "worker", tmp_path / "worker.log", "worker",
                    KLACHTEN_SMTP_URL=smtp_server.url, KLACHTEN_WORKER_INTERVAL="0.2")
    browser = Browser(f"http://127.0.0.1:{port}")
    try:
        wait_until(lambda: browser.status_of("/klacht") == 200, timeout=60, every=0.2,
                   what="webapp luistert")
        before = browser.file_complaint("Mijn terugbetaling bleef uit.")
        wait_until(lambda: len(smtp_server.messages) == 2, timeout=60,
                   what="beide ontvangstmeldingen verzonden")

        cluster.stop()
        assert browser.status_of("/klacht") == 503  # "try again", not a hang
        wait_until(lambda: "database niet bereikbaar" in (tmp_path / "worker.log").read_text(),
                   timeout=30, what="de worker merkt de storing")
        cluster.start()

        after = browser.file_complaint("Ook mijn tweede aanvraag bleef liggen.")  # no restart
        assert after != before
        advanced = open_klachten(url, clock="virtual")
        advanced.clock.set(START + timedelta(days=22))
        advanced.close()
        wait_until(lambda: len(smtp_server.messages) == 4, timeout=60,
                   what="ontvangstmelding en statusbericht na de herstart verzonden")
        assert web.poll() is None and worker.poll() is None
    finally:
        web_exit, worker_exit = _stop(web), _stop(worker)
    log = (tmp_path / "worker.log").read_text()
    assert worker_exit == 0, log
    assert "database weer bereikbaar" in log and "Traceback" not in log
    assert web_exit in (0, -signal.SIGTERM)
    assert len({m["Message-ID"] for m in smtp_server.messages}) == 4
    klachten = open_klachten(url, clock="virtual")
    try:
        notices = {number: [(n.kind, n.status)
                            for n in klachten.dossier(number).notices]
                   for number in (investigating, before, after)}
    finally:
        klachten.close()
    assert notices == {investigating: [("ontvangstmelding", "sent"), ("statusbericht", "sent")],
                       before: [("ontvangstmelding", "sent")],
                       after: [("ontvangstmelding", "sent")]}
