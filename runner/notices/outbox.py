"""Delivering the outbox: e-mails leave only after the step that wrote them committed.

A notice is written in the transaction of the step that caused it (``produce_notice``); the
worker delivers it afterwards, in three steps that never hold a transaction open while
talking to the mail server:

1. **claim** (one short transaction): due e-mails, ``queued`` with ``next_attempt_at`` passed
   and no live claim, get ``claimed_until = now + claim timeout`` and one more attempt. On
   PostgreSQL the rows are locked ``FOR UPDATE SKIP LOCKED``, so two workers never claim the
   same notice; SQLite serializes writers anyway.
2. **send**, outside any transaction, through a :class:`runner.notices.mail.Transport`.
3. **mark** (a new transaction): ``sent`` with where it went, or a new attempt later with the
   reason (exponential backoff), or, after the last attempt or a permanent refusal,
   ``failed`` and a mediator task to reach the complainant another way
   (:meth:`runner.service.Klachten.notice_undeliverable`).

A worker that dies between 2 and 3 leaves its claim; once the claim has expired another
worker sends the notice again, with the same Message-ID: at least once, never lost
(docs/adr/0004-at-least-once-email.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import cast

from sqlalchemy import Row, Table, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from runner import settings
from runner.bpmn.errors import Conflict
from runner.bpmn.instances import SYSTEM_ACTOR
from runner.bpmn.store import AuditEntry, Instance, transaction
from runner.errors import DeliveryFailed, SealUnreadable
from runner.notices.access_codes import delivered_copy
from runner.notices.facade import NoticeFacade
from runner.notices.mail import (
    OutgoingMail,
    Sender,
    Transport,
    build_message,
    transport_from_settings,
)
from runner.notices.texts import NoticeStatus
from runner.store import Dossier, Notice

BACKOFF_FACTOR = 3
CLAIM_BATCH = 10  # times the SMTP timeout: well within the claim timeout
GIVE_UP_TRIES = 3  # a dossier changed meanwhile: try the mark "failed" again at once
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to try: waits of ``first_delay`` times 3 to the power of the
    attempts so far, at most ``max_delay``; ``max_attempts`` in all."""

    max_attempts: int = 8
    first_delay: timedelta = timedelta(minutes=5)
    max_delay: timedelta = timedelta(hours=6)

    def delay(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt."""
        return min(self.first_delay * BACKOFF_FACTOR ** (attempts - 1), self.max_delay)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        config = settings.current()
        return cls(max_attempts=config.outbox_max_attempts,
                   first_delay=timedelta(seconds=config.outbox_retry_delay),
                   max_delay=timedelta(seconds=config.outbox_retry_max_delay))


@dataclass(frozen=True)
class Claimed:
    """A notice this worker holds until its claim expires, with all it needs to send it."""

    notice_id: int
    attempts: int
    mail: OutgoingMail  # its body with the access code's placeholder
    sealed_code: str | None = None


@dataclass
class DeliveryReport:
    """What one pass did: sent, planned again, failed for good."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


# The statements of every claim and delivery, built once.
_OUTBOX = cast(Table, Notice.__table__)
_DUE = (select(_OUTBOX, Dossier.complainant_name, Instance.definition_id)
        .join(Dossier, Dossier.id == _OUTBOX.c.dossier_id)
        .outerjoin(Instance, Instance.dossier_id == _OUTBOX.c.dossier_id)
        .where(_OUTBOX.c.channel == "email", _OUTBOX.c.status == NoticeStatus.QUEUED,
               _OUTBOX.c.next_attempt_at <= bindparam("now"),
               or_(_OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until < bindparam("now")))
        .order_by(_OUTBOX.c.next_attempt_at, _OUTBOX.c.id))
_CLAIM = (update(_OUTBOX).where(_OUTBOX.c.id == bindparam("notice_id"))
          .values(claimed_until=bindparam("until"), attempts=bindparam("tried")))
_TO_MARK = (select(_OUTBOX.c.status, _OUTBOX.c.body, _OUTBOX.c.language, _OUTBOX.c.kind,
                   _OUTBOX.c.code, _OUTBOX.c.dossier_id, Dossier.access_code_hash)
            .join(Dossier, Dossier.id == _OUTBOX.c.dossier_id)
            .where(_OUTBOX.c.id == bindparam("notice_id")))
_MARK_SENT = (update(_OUTBOX).where(_OUTBOX.c.id == bindparam("notice_id"))
              .values(status=NoticeStatus.SENT, sent_at=bindparam("now"),
                      delivery=bindparam("where"), body=bindparam("copy"),
                      claimed_until=None, next_attempt_at=None, last_error=None,
                      sealed_code=None))
_INSERT_AUDIT = insert(cast(Table, AuditEntry.__table__))


class Outbox:
    """Delivers the due e-mails of one database through one transport."""

    def __init__(self, klachten: NoticeFacade, transport: Transport, sender: Sender,
                 policy: RetryPolicy | None = None,
                 claim_timeout: timedelta = timedelta(minutes=10), batch: int = CLAIM_BATCH):
        self.klachten = klachten
        self.transport = transport
        self.sender = sender
        self.policy = policy or RetryPolicy()
        self.claim_timeout = claim_timeout
        self.batch = batch

    @classmethod
    def from_settings(cls, klachten: NoticeFacade) -> Outbox:
        return cls(klachten, transport_from_settings(), Sender.from_settings(),
                   RetryPolicy.from_settings(),
                   timedelta(seconds=settings.current().outbox_claim_timeout))

    def deliver_due(self, limit: int = 500) -> DeliveryReport:
        """Deliver at most ``limit`` due e-mails, a batch of claims at a time."""
        report = DeliveryReport()
        while report.handled < limit:
            batch = min(self.batch, limit - report.handled)
            claimed = self.claim(batch)
            for item in claimed:
                self.deliver(item, report)
            if len(claimed) < batch:
                break
        return report

    def claim(self, limit: int) -> list[Claimed]:
        """Claim up to ``limit`` due e-mails in one short transaction: one select of the
        notices with their dossier's name and version, one update of their claims."""
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            query = _DUE.limit(limit)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(of=_OUTBOX, skip_locked=True)
            rows = session.execute(query, {"now": now}).all()
            if rows:
                session.execute(_CLAIM, [{"notice_id": row.id, "until": now + self.claim_timeout,
                                          "tried": row.attempts + 1} for row in rows])
            return [self._claimed(session, row) for row in rows]

    def _claimed(self, session: Session, row: Row) -> Claimed:
        settings_of_version = self.klachten.runner.model(session, row.definition_id)[0].settings
        status_page = settings.public_link(settings_of_version.get("statuspagina", "/status"))
        mail = OutgoingMail(
            notice_id=row.id, created_at=row.created_at, language=row.language,
            recipient=row.recipient, recipient_name=row.complainant_name,
            subject=row.subject, body=row.body, status_page=status_page,
        )
        return Claimed(row.id, row.attempts + 1, mail, row.sealed_code)

    def deliver(self, item: Claimed, report: DeliveryReport) -> None:
        """Send one claimed notice (no transaction open), then record the outcome."""
        try:
            body = self.klachten.post.outgoing_body(item.mail.body, item.sealed_code)
            mail = replace(item.mail, body=body)
            where = self.transport.send(build_message(mail, self.sender))
        except SealUnreadable as err:
            self._failed(item, DeliveryFailed(str(err)), report)
            return
        except DeliveryFailed as err:
            self._failed(item, err, report)
            return
        except Exception as err:  # a worker must survive one notice it cannot build
            log.exception("bericht %s: onverwachte fout bij verzenden", item.notice_id)
            self._failed(item, DeliveryFailed(f"onverwachte fout: {err!r}"), report)
            return
        self._mark_sent(item, where)
        report.sent += 1

    def _failed(self, item: Claimed, error: DeliveryFailed, report: DeliveryReport) -> None:
        report.errors.append(f"bericht {item.notice_id}: {error.reason}")
        if error.permanent or self.policy.exhausted(item.attempts):
            reason = error.reason if error.permanent else \
                f"{error.reason} (opgegeven na {item.attempts} pogingen)"
            self._give_up(item, reason)
            report.failed += 1
        else:
            self._reschedule(item, error.reason)
            report.retrying += 1

    def _mark_sent(self, item: Claimed, where: str) -> None:
        """Record the delivery; the stored copy loses the access code (ADR 0003). Core
        statements built once: one read, one update, the audit entry and the facts."""
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            connection = session.connection()
            notice = connection.execute(_TO_MARK, {"notice_id": item.notice_id}).one()
            if notice.status == NoticeStatus.SENT:  # another worker took over and was first
                return
            connection.execute(_MARK_SENT, {
                "notice_id": item.notice_id, "now": now, "where": where,
                "copy": delivered_copy(notice.body, notice.access_code_hash, notice.language)})
            connection.execute(_INSERT_AUDIT, {
                "dossier_id": notice.dossier_id, "at": now, "actor": SYSTEM_ACTOR,
                "action": "bericht verzonden", "element": notice.kind, "step": "",
                "details": {"code": notice.code, "via": where}})
            self.klachten.notice_left(session, notice.dossier_id, notice.kind, now)

    def _reschedule(self, item: Claimed, reason: str) -> None:
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            session.execute(
                update(Notice)
                .where(Notice.id == item.notice_id, Notice.status == NoticeStatus.QUEUED)
                .values(last_error=reason[:2000], claimed_until=None,
                        next_attempt_at=now + self.policy.delay(item.attempts)))

    def _give_up(self, item: Claimed, reason: str) -> None:
        """Fail the notice for good, in the dossier's own action; a dossier that changed
        meanwhile is tried again, and after that the expiring claim brings it back."""
        for _ in range(GIVE_UP_TRIES):
            try:
                self.klachten.notice_undeliverable(item.notice_id, reason)
                return
            except Conflict:
                continue
        log.warning("bericht %s: kon niet als mislukt gemarkeerd worden", item.notice_id)
