"""The post room: notices on paper. The print queue, a notice as a PDF letter, and marking
a letter posted (which completes the task that waits for it).

The notices one action made for a member by post go in one envelope (a mailing); posting a
letter marks them all posted, and the stored copies lose the access code as an e-mail's do
(ADR 0003).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.bpmn.errors import Conflict, NotFound
from runner.bpmn.store import AuditEntry, Instance, OpenTask, transaction
from runner.definition.model import as_model
from runner.notices.access_codes import delivered_copy, fill_in_access_code
from runner.notices.addresses import postal_address
from runner.notices.facade import NoticeFacade, NoticeLeft
from runner.notices.letters import Letter, notice_letter
from runner.notices.texts import STATUS_LABELS, NoticeStatus, notice_info
from runner.results import to_json
from runner.store import Dossier, Notice

# A letter can be marked posted while it waits to be printed, or when its e-mail failed.
POSTABLE = (NoticeStatus.TO_PRINT, NoticeStatus.FAILED)


class PostRoom:
    def __init__(self, klachten: NoticeFacade):
        self.klachten = klachten

    def letter(self, number: str, code: str) -> Letter:
        """A notice of the dossier as a PDF letter: the letter to print and post (with the
        other notices of its mailing), or a copy on paper of an e-mail (sent to the postal
        address in the complaint)."""
        with transaction(self.klachten.factory) as session:
            dossier = self.klachten.find_dossier(session, number)
            if dossier.erased_at is not None:
                raise Conflict(f"dossier {number} is gewist: er zijn geen brieven meer")
            notice = _notice(session, dossier, code)
            address = (notice.recipient if notice.channel == "brief"
                       else self._postal_address(session, dossier))
            mailing = _mailing(session, notice)
            return notice_letter(self.klachten.dossier_model(session, dossier.id), mailing,
                                 number, address,
                                 [self.outgoing_body(n.body, n.sealed_code) for n in mailing])

    def outgoing_body(self, body: str, sealed_code: str | None) -> str:
        """A notice's text as it leaves (e-mail, letter): the access code filled in."""
        if not sealed_code:
            return body
        return fill_in_access_code(body, self.klachten.code_seal.open(sealed_code))

    def letters_to_print(self) -> list[dict[str, Any]]:
        """The print queue: every letter waiting to be printed and posted, oldest first; the
        notices one action made for a member by post are one letter (``berichten``: their
        codes), printed and posted together."""
        with transaction(self.klachten.factory) as session:
            rows = session.execute(
                select(Notice, Dossier.number).join(Dossier, Dossier.id == Notice.dossier_id)
                .where(Notice.status == NoticeStatus.TO_PRINT)
                .order_by(Notice.created_at, Notice.id))
            letters: dict[tuple[int, datetime], dict[str, Any]] = {}
            for notice, number in rows:
                letter = letters.setdefault((notice.dossier_id, notice.created_at), {
                    "dossiernummer": number, **to_json(notice_info(notice)), "berichten": []})
                letter["berichten"].append(notice.code)
            return list(letters.values())

    def mark_posted(self, number: str, code: str, user: str) -> None:
        """Record that the letter of notice ``code`` was printed and posted. When an open
        task is about that letter (the acknowledgement's print-and-post task), posting it
        completes that task, posted today."""
        task_id, today = self._letter_task(number, code)
        if task_id is not None:
            self.klachten.complete_task(task_id, {"gepost_op": today}, user,
                                        dossier_number=number)
            return
        with transaction(self.klachten.factory) as session:
            post_letter(session, self.klachten.find_dossier(session, number), code, user,
                        self.klachten.clock.now(session), self.klachten.notice_left)

    def _letter_task(self, number: str, code: str) -> tuple[str | None, str]:
        """The open task about the letter ``code`` (if any), and today's date there."""
        with transaction(self.klachten.factory) as session:
            case = self.klachten.read_case(session, self.klachten.find_dossier(session, number))[1]
            now = self.klachten.clock.now(session)
        today = now.astimezone(as_model(case.model).timezone).date().isoformat()
        wanted = code.strip().upper()
        task = next((task for task in case.ready_user_tasks()
                     if (case.letter_code(task) or "").upper() == wanted), None)
        return (str(task.id) if task else None), today

    def task_letter(self, task_id: str) -> str | None:
        """The notice code of the letter an open task is about (the print-and-post task of
        the acknowledgement): the UI attaches ``letter(number, code)`` to the task."""
        with transaction(self.klachten.factory) as session:
            row = session.get(OpenTask, task_id)
            if row is None:
                raise NotFound(f"taak {task_id} is niet open of bestaat niet")
            instance = session.get_one(Instance, row.instance_id)
            case = self.klachten.read_case(session,
                                           session.get_one(Dossier, instance.dossier_id))[1]
            return case.letter_code(case.user_task(task_id))

    def _postal_address(self, session: Session, dossier: Dossier) -> str:
        case = self.klachten.read_case(session, dossier)[1]
        address = postal_address(case.data().get("klager", {}))
        if not address:
            raise Conflict(f"dossier {dossier.number}: geen postadres van de klager bekend")
        return address


def post_letter(session: Session, dossier: Dossier, code: str, user: str,
                now: datetime, left: NoticeLeft) -> None:
    """Mark a letter posted, with the other notices of its mailing (once: posting it again
    changes nothing); ``left`` records each notice that left."""
    notice = _notice(session, dossier, code)
    if notice.status == NoticeStatus.POSTED:
        return
    if notice.status not in POSTABLE:
        raise Conflict(f"bericht {notice.code} is {STATUS_LABELS.get(notice.status)}: "
                       "er is geen brief te posten")
    for posted in _mailing(session, notice):
        if posted.status in POSTABLE:
            _post_one(session, dossier, posted, user, now)
            left(session, dossier.id, posted.kind, now)


def _post_one(session: Session, dossier: Dossier, notice: Notice, user: str,
              now: datetime) -> None:
    """One notice posted; the stored copy loses the access code, as after an e-mail."""
    notice.status, notice.sent_at, notice.delivery = NoticeStatus.POSTED, now, "post"
    notice.body = delivered_copy(notice.body, dossier.access_code_hash, notice.language)
    notice.sealed_code = None
    session.add(AuditEntry(dossier_id=dossier.id, at=now, actor=user, action="brief gepost",
                           element=notice.kind, details={"code": notice.code}))


def _notice(session: Session, dossier: Dossier, code: str) -> Notice:
    notice = session.scalar(select(Notice).where(
        Notice.dossier_id == dossier.id, Notice.code == code.strip().upper()))
    if notice is None:
        raise NotFound(f"dossier {dossier.number} heeft geen bericht met code {code}")
    return notice


def _mailing(session: Session, notice: Notice) -> list[Notice]:
    """The notices that go in one envelope with ``notice``: the letters one action (one
    instant) made for its dossier, still to print or posted together; an e-mail's paper
    copy goes alone."""
    if notice.channel != "brief":
        return [notice]
    sent_together = (Notice.sent_at.is_(None) if notice.sent_at is None
                     else Notice.sent_at == notice.sent_at)
    return list(session.scalars(select(Notice).where(
        Notice.dossier_id == notice.dossier_id, Notice.channel == "brief",
        Notice.created_at == notice.created_at, Notice.status == notice.status,
        sent_together).order_by(Notice.id)))
