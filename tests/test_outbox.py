"""The outbox worker: outages, retries, permanent failures, crashes, competing workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from conftest import Harness, run_together
from smtp_server import SENDER, SmtpServer, outbox_for
from sqlalchemy import update

from runner.bpmn.store import Instance, transaction
from runner.notices.access_codes import ACCESS_CODE_PLACEHOLDER, ACCESS_CODE_REDACTED
from runner.notices.mail import Sender
from runner.notices.outbox import Outbox, RetryPolicy
from runner.procedure import open_klachten
from runner.service import Klachten

REFUSED = "550 5.1.1 Deze mailbox bestaat niet"
REACH = "klager_anders_bereiken"


def _advance(klachten: Klachten, **delta) -> None:
    klachten.clock.set(klachten.clock.now() + timedelta(**delta))


def _message_ids(server: SmtpServer) -> list[str]:
    return [message["Message-ID"] for message in server.messages]


def test_retry_schedule():
    policy = RetryPolicy()
    waits = [policy.delay(attempt) for attempt in range(1, policy.max_attempts)]
    assert waits == [timedelta(minutes=5), timedelta(minutes=15), timedelta(minutes=45),
                     timedelta(hours=2, minutes=15), timedelta(hours=6), timedelta(hours=6),
                     timedelta(hours=6)]
    assert not policy.exhausted(7) and policy.exhausted(8)


def test_outage_keeps_notices_queued_then_each_is_sent_once(klachten):
    server = SmtpServer()  # not started: the mail server is down
    dossiers = [Harness(klachten).submit() for _ in range(3)]
    outbox = outbox_for(klachten, server)
    report = outbox.deliver_due()
    assert (report.sent, report.retrying, report.failed) == (0, 3, 0)
    [notice] = dossiers[0].info.notices
    assert (notice.status, notice.status_text, notice.attempts) == \
        ("queued", "in wachtrij", 1)
    assert "niet bereikbaar" in notice.error
    assert notice.next_attempt_at.isoformat() == "2026-03-02T09:05:00+00:00"
    _advance(klachten, minutes=4)
    assert outbox.deliver_due().handled == 0  # not due yet

    server.start()
    try:
        _advance(klachten, minutes=1)
        assert outbox.deliver_due().sent == 3
        _advance(klachten, days=1)
        assert outbox.deliver_due().handled == 0
        received = Counter(_message_ids(server))
    finally:
        server.stop()
    assert len(received) == 3 and set(received.values()) == {1}
    for harness in dossiers:
        [notice] = harness.info.notices
        assert notice.status == "sent" and notice.error is None
        assert notice.attempts == 2


def test_permanent_refusal_asks_a_mediator_to_reach_the_complainant(klachten, smtp_server):
    smtp_server.handler.refuse["an.peeters@example.be"] = REFUSED
    harness = Harness(klachten).submit()
    report = outbox_for(klachten, smtp_server).deliver_due()
    assert (report.sent, report.failed) == (0, 1)
    info = harness.info
    [notice] = info.notices
    assert notice.status == "failed" and "550" in notice.error
    assert info.step == "3. Ontvankelijkheid beoordelen; Klager op een andere manier bereiken"
    task = harness.task(REACH)
    assert task.lane == "Klachtenbemiddelaar"
    assert task.form == "klager_anders_bereiken.json"
    assert "bericht niet afgeleverd" in [entry.action for entry in info.audit]

    harness.complete(REACH, {"manier": "telefoon", "op": "2026-03-03"})
    info = harness.info
    assert REACH not in [t.name for t in info.open_tasks]
    assert "antwoord" in info.deadlines  # the main flow's data is untouched
    # the shared spec is unchanged: a new dossier runs to its end as before
    other = Harness(klachten).submit().message("klacht_ingetrokken", {"reden": "opgelost"})
    assert other.info.step == "Afgesloten"  # a withdrawal asks no recommendation


def test_failed_for_good_after_the_last_attempt(klachten):
    server = SmtpServer()  # down, and stays down
    harness = Harness(klachten).submit()
    outbox = outbox_for(klachten, server, policy=RetryPolicy(max_attempts=2))
    assert outbox.deliver_due().retrying == 1
    _advance(klachten, minutes=5)
    assert outbox.deliver_due().failed == 1
    [notice] = harness.info.notices
    assert notice.status == "failed" and "opgegeven na 2 pogingen" in notice.error
    assert harness.task(REACH)


def test_after_the_process_ended_an_incident_instead(klachten, smtp_server):
    smtp_server.handler.refuse["an.peeters@example.be"] = REFUSED
    harness = Harness(klachten).submit().message("klacht_ingetrokken", {"reden": "opgelost"})
    assert harness.info.step == "Afgesloten"  # a withdrawal asks no recommendation
    assert outbox_for(klachten, smtp_server).deliver_due().failed == 2
    info = harness.info
    assert [n.status for n in info.notices] == ["failed", "failed"]
    assert [i.element for i in info.incidents] == ["ontvangstmelding", "afsluiting"]
    assert "niet afgeleverd" in info.incidents[0].error and not info.open_tasks


def test_an_unreadable_dossier_still_fails_the_notice_visibly(klachten, smtp_server):
    smtp_server.handler.refuse["an.peeters@example.be"] = REFUSED
    harness = Harness(klachten).submit()
    with transaction(klachten.factory) as session:
        session.execute(update(Instance).values(state='{"kapot": true}'))
    assert outbox_for(klachten, smtp_server).deliver_due().failed == 1
    info = harness.info
    assert info.notices[0].status == "failed"
    assert "geen taak gestart" in info.incidents[0].error


def test_access_code_leaves_the_stored_copy_once_sent(klachten, smtp_server):
    harness = Harness(klachten).submit()
    waiting = harness.info.notices[0].body  # sealed until it leaves (ADR 8)
    assert harness.access_code not in waiting and ACCESS_CODE_PLACEHOLDER in waiting
    outbox_for(klachten, smtp_server).deliver_due()
    [message] = smtp_server.messages
    assert harness.access_code in message.get_body(("plain",)).get_content()
    text = harness.info.notices[0].body
    assert harness.access_code not in text and ACCESS_CODE_REDACTED in text


def test_a_stale_claim_is_taken_over(klachten, smtp_server):
    harness = Harness(klachten).submit()
    crashed = outbox_for(klachten, smtp_server)
    assert len(crashed.claim(10)) == 1  # ... and the worker dies before sending
    other = outbox_for(klachten, smtp_server)
    assert other.deliver_due().handled == 0  # the claim still holds
    _advance(klachten, minutes=10, seconds=1)
    assert other.deliver_due().sent == 1
    [notice] = harness.info.notices
    assert notice.status == "sent" and notice.attempts == 2


def _worker(database_url: str, smtp_url: str, instance) -> subprocess.Popen:
    env = {**os.environ, "KLACHTEN_DATABASE_URL": database_url, "KLACHTEN_CLOCK": "virtual",
           "KLACHTEN_SMTP_URL": smtp_url, "KLACHTEN_INSTANCE_PATH": str(instance),
           "KLACHTEN_MAIL_FROM": SENDER}
    return subprocess.Popen(
        [sys.executable, "-c", "from runner.cli import main; main()", "worker", "--once"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_worker_killed_after_sending_resends_the_same_message(klachten, smtp_server,
                                                              database_url, tmp_path):
    """SIGKILL the worker process the moment the server has the mail, before it can record
    the delivery: after the claim expires, the next worker sends the same Message-ID."""
    harness = Harness(klachten).submit()
    worker = _worker(database_url, smtp_server.url, tmp_path)
    smtp_server.handler.on_message = lambda: os.kill(worker.pid, signal.SIGKILL)
    worker.communicate(timeout=60)
    assert worker.returncode == -signal.SIGKILL
    smtp_server.handler.on_message = None
    [notice] = harness.info.notices
    assert (notice.status, len(smtp_server.messages)) == ("queued", 1)

    _advance(klachten, minutes=11)
    restarted = _worker(database_url, smtp_server.url, tmp_path)
    out, err = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, err
    assert "1 bericht(en) verzonden" in out
    first, second = _message_ids(smtp_server)
    assert first == second
    assert harness.info.notices[0].status == "sent"


class _SlowRecorder:
    """A transport that takes a while per mail and records which notice it sent."""

    def __init__(self, sent: list[str]):
        self.sent = sent

    def send(self, message) -> str:
        time.sleep(0.02)
        self.sent.append(message["Message-ID"])
        return "test"


def test_two_workers_never_send_the_same_notice(klachten, database_url):
    for _ in range(12):
        Harness(klachten).submit()
    sent: list[str] = []
    start = threading.Barrier(2)
    runners = [open_klachten(database_url, clock="virtual") for _ in range(2)]

    def work(runner: Klachten) -> None:
        outbox = Outbox(runner, _SlowRecorder(sent), Sender(SENDER), batch=2)
        start.wait()
        outbox.deliver_due()

    try:
        run_together(*(lambda r=runner: work(r) for runner in runners), timeout=60)
    finally:
        for runner in runners:
            runner.close()
    assert len(sent) == 12 and len(set(sent)) == 12


@pytest.mark.parametrize("status", ["te printen", "onbestelbaar"])
def test_letters_and_unaddressable_notices_are_not_mailed(klachten, smtp_server, status):
    complainant = {"voornaam": "Jan", "adres": "Kerkstraat 1, 9000 Gent"} \
        if status == "te printen" else {}
    harness = Harness(klachten).submit(klager=complainant)
    assert outbox_for(klachten, smtp_server).deliver_due().handled == 0
    assert harness.info.notices[0].status == status and not smtp_server.messages
