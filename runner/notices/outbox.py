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

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from runner import settings
from runner.bpmn.errors import Conflict
from runner.bpmn.instances import SYSTEM_ACTOR
from runner.bpmn.store import AuditEntry, transaction
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
        """Claim up to ``limit`` due e-mails in one short transaction."""
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            query = (select(Notice)
                     .where(Notice.channel == "email", Notice.status == NoticeStatus.QUEUED,
                            Notice.next_attempt_at <= now,
                            or_(Notice.claimed_until.is_(None), Notice.claimed_until < now))
                     .order_by(Notice.next_attempt_at, Notice.id).limit(limit))
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            notices = session.scalars(query).all()
            for notice in notices:
                notice.claimed_until = now + self.claim_timeout
                notice.attempts += 1
            return [self._claimed(session, notice) for notice in notices]

    def _claimed(self, session: Session, notice: Notice) -> Claimed:
        dossier = session.get_one(Dossier, notice.dossier_id)
        status_page = settings.public_link(
            self.klachten.dossier_settings(session, dossier.id).get("statuspagina", "/status"))
        mail = OutgoingMail(
            notice_id=notice.id, created_at=notice.created_at, language=notice.language,
            recipient=notice.recipient, recipient_name=dossier.complainant_name,
            subject=notice.subject, body=notice.body, status_page=status_page,
        )
        return Claimed(notice.id, notice.attempts, mail, notice.sealed_code)

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
        """Record the delivery; the stored copy loses the access code (ADR 0003)."""
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            notice = session.get_one(Notice, item.notice_id)
            if notice.status == NoticeStatus.SENT:  # another worker took over and was first
                return
            dossier = session.get_one(Dossier, notice.dossier_id)
            notice.status, notice.sent_at, notice.delivery = NoticeStatus.SENT, now, where
            notice.claimed_until = notice.next_attempt_at = notice.last_error = None
            notice.body = delivered_copy(notice.body, dossier.access_code_hash,
                                         notice.language)
            notice.sealed_code = None
            session.add(AuditEntry(dossier_id=dossier.id, at=now, actor=SYSTEM_ACTOR,
                                   action="bericht verzonden", element=notice.kind,
                                   details={"code": notice.code, "via": where}))
            self.klachten.notice_left(session, dossier.id, notice.kind, now)

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
