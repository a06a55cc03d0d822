"""Notices to members as the outbox keeps them: their codes, their delivery states, the
settings given per language, and a notice as the CLI, the API and the dossier page show it.
Rendering them from the model's templates is :mod:`runner.definition.notice_templates`'s.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from runner.bpmn.clock import as_utc
from runner.results import NoticeInfo, utc

if TYPE_CHECKING:
    from runner.store import Notice

# No 0/O, 1/I/L: a member reads the code from paper and types it in.
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_notice_code() -> str:
    """A short code (8 characters, about 40 bits) that a member can check on the status page."""
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


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
# The state a notice starts in, by channel (see runner.notices.addresses.delivery_address).
INITIAL_STATUS = {
    "email": NoticeStatus.QUEUED,
    "brief": NoticeStatus.TO_PRINT,
    "geen": NoticeStatus.UNDELIVERABLE,
}


def localised(settings: dict[str, Any], key: str, language: str) -> dict[str, Any]:
    """A setting of ``instellingen.json`` given per language (``{"nl": {...}, "fr":
    {...}}``, such as the fund's and the national mediator's details) in ``language``; a
    setting of an older version, one dict for every language, as it is."""
    value = settings.get(key, {})
    localised_value = value.get(language) if isinstance(value, dict) else None
    return localised_value if isinstance(localised_value, dict) else value


def notice_info(notice: Notice) -> NoticeInfo:
    """A notice as the facade gives it (the CLI's JSON, the API, the dossier page)."""
    return NoticeInfo(notice.kind, notice.language, notice.channel, notice.code, notice.subject,
                      notice.body, as_utc(notice.created_at), notice.status,
                      STATUS_LABELS.get(notice.status, notice.status), notice.recipient,
                      notice.attempts, notice.last_error, utc(notice.next_attempt_at),
                      utc(notice.sent_at), notice.delivery)
