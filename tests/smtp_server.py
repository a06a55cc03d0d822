"""A real SMTP server on loopback for the tests: aiosmtpd in a thread, collecting what it
receives as parsed MIME messages. Plain, STARTTLS or TLS (a throw-away CA from trustme),
optionally requiring a login; it can refuse recipients, and be started late (an outage)."""

from __future__ import annotations

import email
import ssl
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import default

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from local_servers import free_port

from runner.notices.mail import Sender, SmtpTransport, parse_smtp_url
from runner.notices.outbox import Outbox
from runner.service import Klachten

USER, PASSWORD = "klachten", "geheim wachtwoord"


class Recorder:
    """The server's handler: keeps every message; refuses the addresses in ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.logins: list[str] = []
        self.refuse: dict[str, str] = {}
        self.on_message: Callable[[], None] | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.original_content,
                                                      policy=default))
        if self.on_message:
            self.on_message()
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
              and auth_data.password.decode() == PASSWORD)
        if ok:
            self.logins.append(USER)
        return AuthResult(success=ok, handled=False)  # handled=False: reply 535 on failure


class SmtpServer:
    """``security``: plain, starttls (login required) or tls (login required)."""

    def __init__(self, security: str = "plain"):
        self.security = security
        self.port = free_port()
        self.handler = Recorder()
        self.controller: Controller | None = None
        self.client_context: ssl.SSLContext | None = None
        self._server_context: ssl.SSLContext | None = None
        if security != "plain":
            self._make_certificates()

    def _make_certificates(self) -> None:
        ca = trustme.CA()
        self._server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ca.issue_cert("127.0.0.1").configure_cert(self._server_context)
        self.client_context = ssl.create_default_context()
        ca.configure_trust(self.client_context)

    @property
    def url(self) -> str:
        scheme = {"plain": "smtp", "starttls": "smtp+starttls", "tls": "smtps"}[self.security]
        login = "" if self.security == "plain" else "klachten:geheim%20wachtwoord@"
        return f"{scheme}://{login}127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def start(self) -> SmtpServer:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     **self._options())
        self.controller.start()
        return self

    def _options(self) -> dict:
        if self.security == "plain":
            return {}
        login = {"authenticator": self.handler.authenticate}
        if self.security == "starttls":
            return {**login, "auth_required": True, "tls_context": self._server_context,
                    "require_starttls": True}
        # aiosmtpd only counts STARTTLS as TLS: on a TLS socket, AUTH must be allowed as is
        return {**login, "auth_require_tls": False, "ssl_context": self._server_context}

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller.loop.close()
            self.controller = None


SENDER = "Klachtendienst <klachten@ziekenfonds.example>"


def outbox_for(klachten: Klachten, server: SmtpServer, **options) -> Outbox:
    """An outbox that delivers to ``server`` (trusting its test CA), for one runner."""
    transport = SmtpTransport(parse_smtp_url(server.url), timeout=5,
                              context=server.client_context)
    return Outbox(klachten, transport, Sender(SENDER), **options)
