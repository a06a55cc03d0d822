"""Rendering notices from the templates in ``processes/notices/<taal>/``, and their states.

Templates are data edited by process designers, so they run in Jinja's sandbox with strict
undefined. The first line of a template is the subject, the rest (after one blank line) the
body. Free text that reaches a notice goes through the ``veilig`` filter, which neutralises
URLs and HTML: notices never carry a link except the status page address from settings.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from jinja2 import DictLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from runner.bpmn.clock import as_utc
from runner.bpmn.errors import ModelError
from runner.results import NoticeInfo, utc

if TYPE_CHECKING:
    from runner.store import Notice

# No 0/O, 1/I/L: a member reads the code from paper and types it in.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_URL = re.compile(r"(?i)\b(?:https?://|ftp://|www\.)\S+")
_TAG = re.compile(r"<[^>]{0,500}>")


def new_notice_code() -> str:
    """A short code (8 characters, about 40 bits) that a member can check on the status page."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def neutralise(text: object, removed: str = "[link verwijderd]") -> str:
    """Remove HTML tags and replace URLs by ``removed`` (``link_verwijderd`` in the
    language's ``labels.json``): a notice never echoes a link from free text."""
    plain = _TAG.sub("", str(text or ""))
    return _URL.sub(lambda _match: removed, plain)


class NoticeStatus:
    """The delivery states of a notice in the outbox (the ``status`` column)."""

    QUEUED = "queued"  # an e-mail waiting for its (next) attempt
    SENT = "sent"  # handed to the SMTP server, or written as an .eml file
    FAILED = "failed"  # an e-mail that could not be delivered, for good
    TO_PRINT = "te printen"  # a letter waiting to be printed and posted
    POSTED = "gepost"  # a letter that was posted
    UNDELIVERABLE = "onbestelbaar"  # no e-mail address and no postal address known


STATUS_LABELS = {
    NoticeStatus.QUEUED: "in wachtrij",
    NoticeStatus.SENT: "verzonden",
    NoticeStatus.FAILED: "niet afgeleverd",
    NoticeStatus.TO_PRINT: "te printen",
    NoticeStatus.POSTED: "gepost",
    NoticeStatus.UNDELIVERABLE: "onbestelbaar: geen adres bekend",
}
# The state a notice starts in, by channel (see runner.operators.delivery_address).
INITIAL_STATUS = {
    "email": NoticeStatus.QUEUED,
    "brief": NoticeStatus.TO_PRINT,
    "geen": NoticeStatus.UNDELIVERABLE,
}


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    body: str


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)


class NoticeRenderer:
    """Renders one language's notices; the sandboxed environment and the compiled templates
    are built once per definition version and language."""

    def __init__(self, templates: dict[str, str]):
        self._templates = templates
        self.labels = labels = _labels(templates)

        self._env = SandboxedEnvironment(
            loader=DictLoader(templates),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
        )
        self._env.filters.update(
            veilig=lambda text: neutralise(text, labels.get("link_verwijderd",
                                                            "[link verwijderd]")),
            datum=self.date_text,
            reden=lambda code: labels.get("reden", {}).get(code, code),
            uitkomst=lambda code: labels.get("uitkomst", {}).get(code, code),
        )

    def date_text(self, value: object) -> str:
        """A date in words in this language ("2 maart 2026"), from ``labels.json``."""
        day = _as_date(value)
        months = self.labels.get("maanden", [])
        return f"{day.day} {months[day.month - 1]} {day.year}" if months else day.isoformat()

    def render(self, kind: str, context: dict[str, Any]) -> RenderedNotice:
        name = f"{kind}.txt"
        if name not in self._templates:
            raise ModelError(f"geen sjabloon {name} voor dit bericht")
        text = self._env.get_template(name).render(**context)
        subject, _, body = text.partition("\n")
        return RenderedNotice(subject=subject.strip(), body=body.lstrip("\n"))


def localised(settings: dict[str, Any], key: str, language: str) -> dict[str, Any]:
    """A setting of ``instellingen.json`` given per language (``{"nl": {...}, "fr":
    {...}}``, such as the fund's and the national mediator's details) in ``language``; a
    setting of an older version, one dict for every language, as it is."""
    value = settings.get(key, {})
    localised_value = value.get(language) if isinstance(value, dict) else None
    return localised_value if isinstance(localised_value, dict) else value


def _labels(templates: dict[str, str]) -> dict[str, Any]:
    raw = templates.get("labels.json")
    return json.loads(raw) if raw else {}


def notice_info(notice: Notice) -> NoticeInfo:
    """A notice as the facade gives it (the CLI's JSON, the API, the dossier page)."""
    return NoticeInfo(notice.kind, notice.language, notice.channel, notice.code, notice.subject,
                      notice.body, as_utc(notice.created_at), notice.status,
                      STATUS_LABELS.get(notice.status, notice.status), notice.recipient,
                      notice.attempts, notice.last_error, utc(notice.next_attempt_at),
                      utc(notice.sent_at), notice.delivery)
