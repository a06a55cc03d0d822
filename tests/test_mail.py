"""E-mail: the MIME a real SMTP server on loopback receives, TLS and login, the .eml default."""

from __future__ import annotations

import email
import re
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from conftest import Harness
from smtp_server import PASSWORD, SENDER, USER, SmtpServer, outbox_for

from runner.bpmn.errors import ConfigurationError
from runner.notices.mail import (
    EmlFolder,
    OutgoingMail,
    Sender,
    SmtpTarget,
    build_message,
    html_body,
    parse_smtp_url,
)
from runner.notices.outbox import Outbox

PUBLIC_URL = "https://klachten.ziekenfonds.example"
STATUS_PAGE = f"{PUBLIC_URL}/status"
NATIONAL = "nationale.klachten@ziekenfonds.example"
MESSAGE_ID = re.compile(r"<bericht-\d+-\d{8}T\d{6}@ziekenfonds\.example>")


@pytest.mark.parametrize(("url", "target"), [
    ("smtp://mail.example", SmtpTarget("plain", "mail.example", 25)),
    ("smtp+starttls://relay.example", SmtpTarget("starttls", "relay.example", 587)),
    ("smtps://klachten:geheim%20wachtwoord@relay.example:2465",
     SmtpTarget("tls", "relay.example", 2465, "klachten", "geheim wachtwoord")),
])
def test_smtp_url(url, target):
    assert parse_smtp_url(url) == target
    assert "geheim" not in target.label


@pytest.mark.parametrize(("url", "message"), [
    ("http://mail.example", "schema 'http' onbekend"),
    ("smtp://:25", "servernaam ontbreekt"),
    ("smtp://mail.example:poort", "ongeldige poort"),
])
def test_invalid_smtp_url(url, message):
    with pytest.raises(ConfigurationError, match=message):
        parse_smtp_url(url)


def test_html_is_escaped_text_with_only_the_status_page_linked():
    text = f"Beste <b>An</b> & co,\n\nZie {STATUS_PAGE} of [link verwijderd].\nTot ziens"
    page = html_body(text, STATUS_PAGE, "nl")
    assert "&lt;b&gt;An&lt;/b&gt; &amp; co" in page and "<b>" not in page
    assert re.findall(r'href="([^"]+)"', page) == [STATUS_PAGE]
    assert '<html lang="nl">' in page and "<br>\nTot ziens" in page


def test_a_resend_is_the_same_bytes():
    """The worker may send a notice twice after a crash (ADR 0004): same Message-ID, Date
    and every byte, the MIME boundary included."""
    mail = OutgoingMail(notice_id=7, created_at=datetime(2026, 3, 2, 9, tzinfo=UTC),
                        language="nl", recipient="an.peeters@example.be",
                        recipient_name="An Peeters", subject="Uw klacht", body="Beste An",
                        status_page=STATUS_PAGE)
    first, second = (build_message(mail, Sender(SENDER)).as_bytes() for _ in range(2))
    assert first == second and b'boundary="=_' in first


def _parts(message: EmailMessage) -> tuple[str, str]:
    return (message.get_body(("plain",)).get_content(),
            message.get_body(("html",)).get_content())


def _every_kind(klachten, language: str) -> Harness:
    harness = Harness(klachten).submit(taal=language).admissible().at_day(22).investigate()
    harness.answer().message("klager_niet_akkoord", {"reden": "niet akkoord"})
    harness.complete("nationaal_onderzoek", {"uitkomst": "deels gegrond",
                                             "antwoord": "Na herziening <b>deels</b> gegrond."},
                     user="nora")
    return harness


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_received_mime_of_every_notice(klachten, smtp_server, language, monkeypatch):
    monkeypatch.setenv("KLACHTEN_PUBLIC_URL", PUBLIC_URL + "/")
    harness = _every_kind(klachten, language)
    report = outbox_for(klachten, smtp_server).deliver_due()
    notices = harness.info.notices
    assert {n.kind for n in notices} == {"ontvangstmelding", "statusbericht", "antwoord",
                                             "antwoord_nationaal", "afsluiting"}
    assert report.sent == len(notices) == len(smtp_server.messages)
    for notice, message in zip(notices, smtp_server.messages, strict=True):
        assert notice.status == "sent" and notice.delivery == \
            f"smtp://127.0.0.1:{smtp_server.port}"
        assert MESSAGE_ID.fullmatch(message["Message-ID"])
        assert message["From"] == SENDER
        assert message["To"].addresses[0].addr_spec == "an.peeters@example.be"
        assert message["Subject"].strip() == notice.subject  # folded when long
        assert message["Content-Language"] == language
        assert parsedate_to_datetime(message["Date"]) == notice.created_at
        assert message.get_content_type() == "multipart/alternative"
        plain, page = _parts(message)
        assert f'<html lang="{language}">' in page
        assert re.findall(r'href="([^"]+)"', page) == [STATUS_PAGE]
        for part in (plain, page):
            assert harness.number in part and notice.code in part
        if notice.kind in ("antwoord", "antwoord_nationaal"):
            assert NATIONAL in plain and NATIONAL in page
    national = smtp_server.messages[-2]
    assert "<b>" not in _parts(national)[1] and "deels" in _parts(national)[0]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_with_login(klachten, harness, security):
    server = SmtpServer(security).start()
    try:
        harness.submit()
        report = outbox_for(klachten, server).deliver_due()
    finally:
        server.stop()
    assert report.sent == 1 and len(server.messages) == 1
    assert server.handler.logins == [USER]
    [notice] = harness.info.notices
    assert notice.delivery.startswith(("smtp+starttls://", "smtps://"))
    assert PASSWORD not in notice.delivery


def test_a_refused_login_is_retried_not_failed(klachten, harness):
    """A wrong password is our configuration, not the notice: it waits for a fix."""
    server = SmtpServer("starttls").start()
    server_url = server.url.replace("geheim%20wachtwoord", "fout")
    try:
        harness.submit()
        outbox = outbox_for(klachten, server)
        outbox.transport.target = parse_smtp_url(server_url)
        report = outbox.deliver_due()
    finally:
        server.stop()
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    [notice] = harness.info.notices
    assert notice.status == "queued" and "535" in notice.error


def test_eml_files_without_smtp(klachten, harness, tmp_path, monkeypatch):
    monkeypatch.setenv("KLACHTEN_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("KLACHTEN_SMTP_URL", raising=False)
    outbox = Outbox.from_settings(klachten)
    assert isinstance(outbox.transport, EmlFolder)
    harness.submit(taal="fr")
    assert outbox.deliver_due().sent == 1
    [notice] = harness.info.notices
    path = Path(notice.delivery)
    assert notice.status == "sent" and path.parent == tmp_path / "instance" / "mail"
    message = email.message_from_bytes(path.read_bytes(), policy=default)
    assert MESSAGE_ID.fullmatch(message["Message-ID"])
    assert message["Content-Language"] == "fr" and message["Subject"] == notice.subject
    assert notice.code in _parts(message)[0]
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no draft left behind
