"""E-mail: building the message of a notice, and the transports that deliver it.

A notice becomes a plain-text mail with an HTML alternative. The HTML is the escaped text:
it carries no link except the status page address from the model's settings, so a member
can tell our mail from phishing (see docs/adr/0004-at-least-once-email.md). The Message-ID
is derived from the notice, so a mail sent again after a crash is the same mail and the
receiver can drop the duplicate.

Transports: :class:`SmtpTransport` (``KLACHTEN_SMTP_URL``: plain, STARTTLS or TLS, with
optional login) and, without a server configured, :class:`EmlFolder`, which writes each mail
as an ``.eml`` file into ``<instance>/mail/``: nothing is silently dropped.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from runner import settings
from runner.bpmn.errors import ConfigurationError
from runner.errors import DeliveryFailed

# Scheme of KLACHTEN_SMTP_URL -> (security, default port)
_SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}
MAIL_FOLDER = "mail"


@dataclass(frozen=True)
class OutgoingMail:
    """What a notice mail is made of; read from the outbox row when it is claimed."""

    notice_id: int
    created_at: datetime
    language: str
    recipient: str
    recipient_name: str
    subject: str
    body: str
    status_page: str


@dataclass(frozen=True)
class Sender:
    """The fixed From address and the domain that ends every Message-ID."""

    address: str

    @property
    def domain(self) -> str:
        return parseaddr(self.address)[1].rpartition("@")[2] or "localhost"

    @classmethod
    def from_settings(cls) -> Sender:
        address = settings.current().mail_from
        if "@" not in parseaddr(address)[1]:
            raise ConfigurationError(f"KLACHTEN_MAIL_FROM={address!r}: geen e-mailadres")
        return cls(address)


def message_id(mail: OutgoingMail, domain: str) -> str:
    """The same for every attempt at one notice: its id and creation instant (unique across
    databases that reuse ids), at the sender's domain."""
    return f"<bericht-{mail.notice_id}-{mail.created_at:%Y%m%dT%H%M%S}@{domain}>"


def build_message(mail: OutgoingMail, sender: Sender) -> EmailMessage:
    """The notice as a MIME message: text/plain plus an HTML alternative. A recipient that
    is no usable address fails for good (trying again cannot help)."""
    message = EmailMessage()
    try:
        message["To"] = Address(display_name=display_name(mail.recipient_name),
                                addr_spec=mail.recipient)
    except (ValueError, IndexError, HeaderParseError) as err:
        raise DeliveryFailed(f"ongeldig e-mailadres {mail.recipient!r}: {err}",
                             permanent=True) from err
    message["From"] = sender.address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at)
    message["Message-ID"] = message_id(mail, sender.domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(mail.body)
    message.add_alternative(html_body(mail.body, mail.status_page, mail.language),
                            subtype="html")
    message["Content-Language"] = mail.language  # after the content: set_content drops it
    # A resend must be the same bytes (ADR 0004): a boundary from the notice, not at random.
    message.set_boundary("=_" + hashlib.sha256(message["Message-ID"].encode()).hexdigest()[:32])
    return message


# Letters, digits, spaces, apostrophes and hyphens only: no comma, quote, @ or angle
# bracket that the header folding of the email package could turn into another address.
_UNSAFE_IN_NAME = re.compile(r"[^\w '\-]+")
MAX_DISPLAY_NAME = 64


def display_name(name: str) -> str:
    """The recipient's name as it may stand in the To header: specials and control
    characters (CR, LF) become spaces, whitespace is collapsed, at most 64 characters."""
    cleaned = " ".join(_UNSAFE_IN_NAME.sub(" ", name.replace("_", " ")).split())
    return cleaned[:MAX_DISPLAY_NAME].strip()


def html_body(text: str, status_page: str, language: str) -> str:
    """The text as HTML: escaped, paragraphs kept, the status page address the only link."""
    paragraphs = [part for part in text.split("\n\n") if part.strip()]
    rendered = "\n".join(f"<p>{_html_paragraph(part, status_page)}</p>" for part in paragraphs)
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(language)}">\n'
            f'<head><meta charset="utf-8"></head>\n<body>\n{rendered}\n</body>\n</html>\n')


def _html_paragraph(text: str, status_page: str) -> str:
    escaped = "<br>\n".join(html.escape(line) for line in text.strip("\n").split("\n"))
    if not status_page:
        return escaped
    address = html.escape(status_page)
    return escaped.replace(address, f'<a href="{address}">{address}</a>')


class Transport(Protocol):
    def send(self, message: EmailMessage) -> str:
        """Deliver ``message``; return where it went. Raise :class:`DeliveryFailed`."""


@dataclass(frozen=True)
class SmtpTarget:
    security: str  # plain, starttls or tls
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def label(self) -> str:
        """Where mail goes, for the dossier: never with the password."""
        scheme = next(name for name, (kind, _) in _SCHEMES.items() if kind == self.security)
        return f"{scheme}://{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """``smtp://``, ``smtp+starttls://`` or ``smtps://``, optionally ``user:password@``."""
    parts = urlsplit(url)
    if parts.scheme not in _SCHEMES:
        raise ConfigurationError(
            f"KLACHTEN_SMTP_URL: schema {parts.scheme!r} onbekend; gebruik smtp://, "
            "smtp+starttls:// of smtps://")
    try:
        port = parts.port
    except ValueError as err:
        raise ConfigurationError(f"KLACHTEN_SMTP_URL: ongeldige poort ({err})") from err
    if not parts.hostname:
        raise ConfigurationError("KLACHTEN_SMTP_URL: de servernaam ontbreekt")
    security, default_port = _SCHEMES[parts.scheme]
    return SmtpTarget(
        security=security, host=parts.hostname, port=port or default_port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class SmtpTransport:
    """One connection per mail: STARTTLS or TLS verify the server's certificate against the
    system's trust store (``SSL_CERT_FILE`` adds a private CA) unless a context is given."""

    def __init__(self, target: SmtpTarget, timeout: float = 30,
                 context: ssl.SSLContext | None = None):
        self.target = target
        self.timeout = timeout
        self.context = context or ssl.create_default_context()

    def send(self, message: EmailMessage) -> str:
        try:
            with self._connect() as smtp:
                if self.target.username:
                    smtp.login(self.target.username, self.target.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as err:
            raise _refused(err.recipients) from err
        except smtplib.SMTPResponseException as err:
            raise _rejected(err) from err
        except (smtplib.SMTPException, OSError) as err:
            raise DeliveryFailed(f"mailserver {self.target.label} niet bereikbaar: "
                                 f"{err or type(err).__name__}") from err
        return self.target.label

    def _connect(self) -> smtplib.SMTP:
        target = self.target
        if target.security == "tls":
            return smtplib.SMTP_SSL(target.host, target.port, timeout=self.timeout,
                                    context=self.context)
        smtp = smtplib.SMTP(target.host, target.port, timeout=self.timeout)
        if target.security == "starttls":
            try:
                smtp.starttls(context=self.context)
            except BaseException:
                smtp.close()
                raise
        return smtp


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def _refused(recipients: dict) -> DeliveryFailed:
    """Every recipient refused: for good when every refusal is a 5xx reply."""
    replies = [_reply(code, text) for code, text in recipients.values()]
    permanent = all(code >= 500 for code, _ in recipients.values())
    return DeliveryFailed(f"ontvanger geweigerd: {'; '.join(replies)}", permanent=permanent)


def _rejected(err: smtplib.SMTPResponseException) -> DeliveryFailed:
    """A 5xx reply to the message itself (DATA) fails for good. A refused sender or login is
    a configuration problem of ours, not of this notice: it is tried again."""
    permanent = err.smtp_code >= 500 and isinstance(err, smtplib.SMTPDataError)
    return DeliveryFailed(f"mailserver weigert: {_reply(err.smtp_code, err.smtp_error)}",
                          permanent=permanent)


class EmlFolder:
    """The embedded default: each mail becomes ``<folder>/<Message-ID>.eml``. A mail written
    again (after a crash) replaces its own file, atomically."""

    def __init__(self, folder: Path):
        self.folder = folder

    def send(self, message: EmailMessage) -> str:
        name = message["Message-ID"].strip("<>").partition("@")[0]
        target = self.folder / f"{name}.eml"
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            _write_atomically(target, message.as_bytes())
        except OSError as err:
            raise DeliveryFailed(f"kan {target} niet schrijven: {err}") from err
        return str(target)


def _write_atomically(target: Path, content: bytes) -> None:
    """Write a draft beside ``target`` (readable by the owner only), then rename it."""
    descriptor, draft = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
        os.replace(draft, target)
    except BaseException:
        Path(draft).unlink(missing_ok=True)
        raise


def eml_folder() -> Path:
    """Where :class:`EmlFolder` writes the mails: ``mail/`` in the instance folder."""
    return settings.current().instance_path.resolve() / MAIL_FOLDER


def transport_from_settings() -> Transport:
    """SMTP when ``KLACHTEN_SMTP_URL`` is set, else ``.eml`` files in the instance folder."""
    config = settings.current()
    if not config.smtp_url:
        return EmlFolder(eml_folder())
    return SmtpTransport(parse_smtp_url(config.smtp_url), timeout=config.smtp_timeout)
