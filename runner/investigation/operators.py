"""The service tasks of the investigation's event subprocesses (consult a service, ask the
member): each records what happened to the inquiry beside the case. Handed to the runner
with the procedure's other operators (:mod:`runner.procedure`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from runner.bpmn.engine import Operator
from runner.bpmn.errors import ModelError
from runner.definition.notice_templates import RenderedNotice
from runner.investigation.services import services
from runner.investigation.store import MEMBER, SERVICE, Inquiry
from runner.notices.texts import NoticeStatus, new_notice_code
from runner.operators import OperatorContext
from runner.settings import public_link
from runner.store import Notice

SERVICE_REMINDER = "consultatie_herinnering"  # the notice template of a service's reminder
SERVICE_DESK = "/dienst"


def _inquiry(ctx: OperatorContext, reference: str) -> Inquiry | None:
    return ctx.session.scalar(select(Inquiry).where(Inquiry.reference == reference,
                                                    Inquiry.dossier_id == ctx.dossier.id))


def _open(ctx: OperatorContext, kind: str, payload: dict, due: str | None, service: str = "",
          shared: dict | None = None, question_key: str = "vraag") -> dict:
    ctx.session.add(Inquiry(
        reference=payload["referentie"], dossier_id=ctx.dossier.id, kind=kind, service=service,
        question=payload[question_key], shared=shared or {},
        asked_by=payload.get("gevraagd_door", ""), asked_at=ctx.now,
        due_at=datetime.fromisoformat(due) if due else None))
    return {"referentie": payload["referentie"], "vervalt_op": due}


def open_consultation(ctx: OperatorContext, task, consultatie: dict, termijn: dict) -> dict:
    """A consultation starts: recorded with its deadline (the service's werkbak lists it)."""
    return _open(ctx, SERVICE, consultatie, termijn.get("vervalt_op"), consultatie["dienst"],
                 consultatie.get("feiten") or {})


def record_consultation_answer(ctx: OperatorContext, task, consultatie: dict,
                               antwoord: dict) -> dict:
    """The service answered: the answer lands beside the case, news for the mediator."""
    return _answered(ctx, consultatie["referentie"], antwoord)


def _answered(ctx: OperatorContext, reference: str, antwoord: dict) -> dict:
    inquiry = _inquiry(ctx, reference)
    if inquiry is not None:
        inquiry.answer = antwoord.get("antwoord", "")
        inquiry.answered_by = antwoord.get("beantwoord_door", "")[:100]
        inquiry.answered_at, inquiry.seen_at = ctx.now, None
    return {"referentie": reference, "beantwoord_op": ctx.now.isoformat()}


def remind_service(ctx: OperatorContext, task, consultatie: dict) -> dict:
    """The service's deadline passed: a reminder to the service's address (in its language,
    without the member's identity) and news for the mediator."""
    found = services(ctx.model).get(consultatie["dienst"])
    if found is None:
        raise ModelError(f"dienst '{consultatie['dienst']}' staat niet in diensten.json")
    inquiry = _inquiry(ctx, consultatie["referentie"])
    if inquiry is not None:
        inquiry.reminded_at, inquiry.seen_at = ctx.now, None
    code = new_notice_code()
    rendered = ctx.model.notices(found.language).render(SERVICE_REMINDER, {
        "dienst": found.name(found.language), "referentie": consultatie["referentie"],
        "pseudoniem": consultatie["pseudoniem"], "vraag": consultatie["vraag"],
        "gevraagd_op": consultatie["gevraagd_op"], "berichtcode": code,
        "werkbak": public_link(SERVICE_DESK),
        "vervaldag": ctx.local_date(inquiry.due_at).isoformat() if inquiry and inquiry.due_at
        else ctx.local_date(ctx.now).isoformat()})
    ctx.session.add(_service_notice(ctx, found.language, found.email, code, rendered))
    return {"herinnerd_op": ctx.now.isoformat(), "code": code}


def _service_notice(ctx: OperatorContext, language: str, address: str, code: str,
                    rendered: RenderedNotice) -> Notice:
    channel = "email" if address else "geen"
    status = NoticeStatus.QUEUED if address else NoticeStatus.FAILED
    return Notice(dossier_id=ctx.dossier.id, kind=SERVICE_REMINDER, language=language,
                  channel=channel, code=code, subject=rendered.subject, body=rendered.body,
                  created_at=ctx.now, recipient=address, status=status,
                  next_attempt_at=ctx.now if address else None, audience=SERVICE)


def open_question(ctx: OperatorContext, task, vraag: dict, termijn: dict) -> dict:
    """A question to the member starts (the notice follows in the diagram)."""
    return _open(ctx, MEMBER, vraag, termijn.get("vervalt_op"))


def record_question_reply(ctx: OperatorContext, task, vraag: dict, antwoord: dict) -> dict:
    """The member replied on the status page: beside the case, news for the mediator."""
    return _answered(ctx, vraag["referentie"], antwoord)


def close_question(ctx: OperatorContext, task, vraag: dict) -> dict:
    """No reply by the last day: the investigation carries on; news for the mediator."""
    inquiry = _inquiry(ctx, vraag["referentie"])
    if inquiry is not None:
        inquiry.closed_at, inquiry.seen_at = ctx.now, None
    return {"referentie": vraag["referentie"], "gesloten_op": ctx.now.isoformat()}


OPERATORS: dict[str, Operator] = {
    "open_consultation": open_consultation,
    "record_consultation_answer": record_consultation_answer,
    "remind_service": remind_service,
    "open_question": open_question,
    "record_question_reply": record_question_reply,
    "close_question": close_question,
}
