"""The investigation's desk: a mediator consults a service or asks the member; a service
contact answers in their own werkbak; the member replies on the status page.

A consultation is pseudonymised before it leaves the mediator: the question and every
shared fact have the member's name, e-mail address, numbers and address replaced by the
dossier's pseudonym, and the preview shows exactly what the service will see. Both start
the diagram's event subprocesses (messages ``dienst_raadplegen`` and ``klager_vragen``)
only while a task the start event names in ``alleen_tijdens`` is open: a rule of the model.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.accounts.users import ANSWER_CONSULTATIONS, WORK_TASKS, Account, Accounts
from runner.bpmn.case import spec_properties
from runner.bpmn.errors import Conflict, Forbidden, NotFound, ValidationFailed
from runner.bpmn.instances import LoadedCase
from runner.bpmn.model_run import START as MODEL_RUN_START
from runner.bpmn.store import OpenTask, transaction
from runner.definition.model import Model
from runner.investigation.pseudonyms import Found, find_identity, pseudonym_of, pseudonymise
from runner.investigation.services import Service, service, services, services_of
from runner.investigation.store import MEMBER, SERVICE, Inquiry
from runner.results import NOT_IN_JSON, in_json, utc
from runner.service import Klachten
from runner.store import Dossier

CONSULT_MESSAGE, ASK_MESSAGE = "dienst_raadplegen", "klager_vragen"
ANSWER_TASK = "consultatie_beantwoorden"
# The member answers before the reminder, or after it (the diagram's second task).
REPLY_TASKS = ("vraag_beantwoorden", "vraag_opnieuw_beantwoorden")
ALLOWED_DURING = "alleen_tijdens"  # the start event's property: the tasks it may start beside
MAX_QUESTION, MAX_ANSWER = 5000, 10000
# The facts of the dossier a mediator may share with a service, in the preview's order.
SHAREABLE = ("categorie", "ontvangen_op", "omschrijving")
_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
OPEN, LATE, ANSWERED, UNANSWERED = "open", "te_laat", "beantwoord", "zonder_antwoord"
T = TypeVar("T")
BACKDATED = timedelta(days=120)  # beyond every deadline of a question (sample_payload)


def new_reference() -> str:
    return "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


class IdentityFound(ValidationFailed):
    """The question holds the member's identifying data: the mediator confirms first (it
    is then replaced by the pseudonym in what the service sees)."""

    def __init__(self, found: list[Found]) -> None:
        self.found = tuple(found)
        listed = ", ".join(f"{item.what} '{item.text}'" for item in found)
        super().__init__({"vraag": f"de vraag bevat gegevens van het lid "
                                                  f"({listed}); bevestig om ze door het "
                                                  "pseudoniem te vervangen"},
                                  {"vraag": "identiteit"})


@dataclass(frozen=True)
class Preview:
    """Exactly what a service will see of a consultation (the mediator's preview)."""

    service: str = field(metadata=in_json("dienst"))
    service_name: str = field(metadata=in_json("dienstnaam"))
    pseudonym: str = field(metadata=in_json("pseudoniem"))
    question: str = field(metadata=in_json("vraag"))
    shared: dict[str, str] = field(metadata=in_json("gedeelde_feiten"))
    found: tuple[Found, ...] = field(default=(), metadata=NOT_IN_JSON)


@dataclass(frozen=True)
class InquiryInfo:
    """A consultation or a question beside the case (in the dossier's JSON: ``consultaties``
    and ``vragen``)."""

    reference: str = field(metadata=in_json("referentie"))
    kind: str = field(metadata=in_json("soort"))
    service: str = field(metadata=in_json("dienst"))
    question: str = field(metadata=in_json("vraag"))
    shared: dict[str, str] = field(metadata=in_json("gedeelde_feiten"))
    asked_by: str = field(metadata=in_json("gevraagd_door"))
    asked_at: datetime = field(metadata=in_json("gevraagd_op"))
    due_at: datetime | None = field(metadata=in_json("vervalt_op"))
    state: str = field(metadata=in_json("toestand"))  # OPEN, LATE, ANSWERED, UNANSWERED
    answer: str = field(metadata=in_json("antwoord"))
    answered_by: str = field(metadata=in_json("beantwoord_door"))
    answered_at: datetime | None = field(metadata=in_json("beantwoord_op"))
    reminded_at: datetime | None = field(metadata=in_json("herinnerd_op"))
    closed_at: datetime | None = field(metadata=in_json("zonder_antwoord_op"))
    news: bool = field(metadata=in_json("nieuw"))  # an answer or a missed deadline not seen
    dossier_number: str = field(default="", metadata=NOT_IN_JSON)


@dataclass(frozen=True)
class ServiceItem:
    """A consultation as its service sees it: the reference, the pseudonym, the question
    and the shared facts; never the dossier number or anything of the member."""

    reference: str = field(metadata=in_json("referentie"))
    service: str = field(metadata=in_json("dienst"))
    pseudonym: str = field(metadata=in_json("pseudoniem"))
    question: str = field(metadata=in_json("vraag"))
    shared: dict[str, str] = field(metadata=in_json("gedeelde_feiten"))
    asked_at: datetime = field(metadata=in_json("gevraagd_op"))
    due_at: datetime | None = field(metadata=in_json("vervalt_op"))
    state: str = field(metadata=in_json("toestand"))
    answer: str = field(metadata=in_json("antwoord"))
    answered_at: datetime | None = field(metadata=in_json("beantwoord_op"))


def state_of(inquiry: Inquiry, now: datetime) -> str:
    if inquiry.answered_at is not None:
        return ANSWERED
    if inquiry.closed_at is not None:
        return UNANSWERED
    if inquiry.reminded_at is not None or ((due := utc(inquiry.due_at)) is not None
                                          and due < now):
        return LATE
    return OPEN


def info(inquiry: Inquiry, now: datetime, number: str = "") -> InquiryInfo:
    return InquiryInfo(
        inquiry.reference, inquiry.kind, inquiry.service, inquiry.question,
        dict(inquiry.shared or {}), inquiry.asked_by, utc(inquiry.asked_at) or now,
        utc(inquiry.due_at), state_of(inquiry, now), inquiry.answer, inquiry.answered_by,
        utc(inquiry.answered_at), utc(inquiry.reminded_at), utc(inquiry.closed_at),
        inquiry.seen_at is None and (inquiry.answered_at is not None
                                     or inquiry.reminded_at is not None
                                     or inquiry.closed_at is not None), number)


def _question(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed({"vraag": "vul een vraag in"}, {"vraag": "required"})
    if len(text) > MAX_QUESTION:
        raise ValidationFailed({"vraag": f"hoogstens {MAX_QUESTION} tekens"},
                               {"vraag": "maxLength"})
    return text


def _answer(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationFailed({"antwoord": "vul een antwoord in"}, {"antwoord": "required"})
    if len(text) > MAX_ANSWER:
        raise ValidationFailed({"antwoord": f"hoogstens {MAX_ANSWER} tekens"},
                               {"antwoord": "maxLength"})
    return text


def _shared_keys(share: list[str] | tuple[str, ...]) -> list[str]:
    unknown = [key for key in share if key not in SHAREABLE]
    if unknown:
        raise ValidationFailed({"delen": f"onbekend feit '{unknown[0][:40]}'; kies uit "
                                         f"{', '.join(SHAREABLE)}"}, {"delen": "enum"})
    return [key for key in SHAREABLE if key in share]


def allowed_during(model: Model, message: str) -> set[str]:
    """The tasks beside which the start event of ``message`` may start its subprocess (its
    property ``alleen_tijdens``); empty: at any time."""
    allowed: set[str] = set()
    for spec in model.all_task_specs():
        definition = getattr(spec, "event_definition", None)
        if getattr(definition, "name", None) == message:
            allowed |= set(spec_properties(spec).get(ALLOWED_DURING, "").split())
    return allowed


def allowed_now(loaded: LoadedCase, model: Model, message: str) -> None:
    """One of the tasks the start event of ``message`` names must be open, else a clear
    Conflict."""
    allowed = allowed_during(model, message)
    open_now = {task.task_spec.name for task in loaded.case.ready_user_tasks()}
    if allowed and not allowed & open_now:
        raise Conflict(f"dossier {as_number(loaded)} is niet in onderzoek: dit kan alleen "
                       "tijdens het onderzoek (stap 4) of de nieuwe beoordeling (stap 6)")


def sample_payload(model: Model, message: str, reached: set[str]) -> dict[str, Any] | None:
    """A consultation or a question as the desk sends it, for the lint's model run. Once
    the side path's answer was reached, its question is dated back beyond its deadlines,
    so that the next run of it meets the reminder and the end without an answer at once
    (a path of timers alone would run out of the run's budget)."""
    answered = {CONSULT_MESSAGE: "consultatie_antwoord_registreren",
                ASK_MESSAGE: "vraag_antwoord_registreren"}.get(message)
    if answered is None:
        return None
    when = (MODEL_RUN_START - (BACKDATED if answered in reached else timedelta(0))).isoformat()
    if message == CONSULT_MESSAGE:
        first = next(iter(sorted(services(model))), "dienst")
        return {"referentie": new_reference(), "dienst": first, "vraag": "Klopt het bedrag?",
                "feiten": {"categorie": "Terugbetaling"}, "pseudoniem": "Lid-ABCDEF",
                "gevraagd_door": "controle", "gevraagd_op": when}
    return {"referentie": new_reference(), "vraag": "Hebt u het rekeningnummer?",
            "gevraagd_door": "controle", "gevraagd_op": when}


def as_number(loaded: LoadedCase) -> str:
    return str(getattr(loaded.dossier, "number", "") or "")


class Investigation:
    """Consultations and questions of every dossier, for mediators, services and members."""

    def __init__(self, klachten: Klachten, accounts: Accounts):
        self.klachten = klachten
        self.accounts = accounts

    # ----- the mediator
    def services(self, language: str = "nl") -> list[tuple[str, str]]:
        """``(key, name in language)`` of every service that may be consulted."""
        return sorted(((key, found.name(language)) for key, found in
                       services(self.klachten.latest_model()).items()), key=lambda kv: kv[1])

    def preview(self, account: Account, number: str, service_key: str, question: str,
                share: list[str] | tuple[str, ...], language: str = "nl") -> Preview:
        """What the service would see, and what of the member the question holds."""
        _may_investigate(account)
        question = _question(question)
        keys = _shared_keys(share)
        with transaction(self.klachten.factory) as session:
            dossier = self.klachten.find_dossier(session, number)
            model = self.klachten.dossier_model(session, dossier.id)
            found_service = service(model, service_key)
            data = self.klachten.read_case(session, dossier)[1].data()
            pseudonym = pseudonym_of(session, dossier.id)
            return _preview(found_service, data, question, keys, pseudonym, language,
                            self.klachten.dossier_model(session, dossier.id))

    def consult(self, account: Account, number: str, service_key: str, question: str,
                share: list[str] | tuple[str, ...] = (), confirmed: bool = False) -> str:
        """Send a consultation to a service; returns its reference. Identifying data in
        the question is refused (:class:`IdentityFound`) unless ``confirmed``."""
        _may_investigate(account)
        question, keys = _question(question), _shared_keys(share)

        def payload(loaded: LoadedCase, model: Model) -> dict[str, Any]:
            allowed_now(loaded, model, CONSULT_MESSAGE)
            found_service = service(model, service_key)
            data = loaded.case.data()
            found = find_identity(question, data.get("klager") or {})
            if found and not confirmed:
                raise IdentityFound(found)
            shown = _preview(found_service, data, question, keys,
                             pseudonym_of(loaded.session, loaded.dossier.id), "nl", model)
            return {"referentie": new_reference(), "dienst": found_service.key,
                    "vraag": shown.question, "feiten": shown.shared,
                    "pseudoniem": shown.pseudonym, "gevraagd_door": account.name,
                    "gevraagd_op": loaded.now.isoformat()}

        return self.klachten.message_from(number, CONSULT_MESSAGE, payload,
                                          account.name)["referentie"]

    def ask(self, account: Account, number: str, question: str) -> str:
        """Ask the member a question (a notice in the member's channel and language, the
        reply on the status page); returns its reference."""
        _may_investigate(account)
        question = _question(question)

        def payload(loaded: LoadedCase, model: Model) -> dict[str, Any]:
            allowed_now(loaded, model, ASK_MESSAGE)
            return {"referentie": new_reference(), "vraag": question,
                    "gevraagd_door": account.name, "gevraagd_op": loaded.now.isoformat()}

        return self.klachten.message_from(number, ASK_MESSAGE, payload,
                                          account.name)["referentie"]

    def of_dossier(self, number: str) -> tuple[InquiryInfo, ...]:
        """The dossier's consultations and questions, oldest first."""
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            dossier = self.klachten.find_dossier(session, number)
            return tuple(info(inquiry, now, number) for inquiry in session.scalars(
                select(Inquiry).where(Inquiry.dossier_id == dossier.id).order_by(Inquiry.id)))

    def news(self, account: Account) -> tuple[InquiryInfo, ...]:
        """What the account's own consultations and questions brought and it has not seen
        yet: answers, replies, missed deadlines (the werkbak's notifications)."""
        if not account.may(WORK_TASKS):
            return ()
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            rows = session.execute(
                select(Inquiry, Dossier.number).join(Dossier, Dossier.id == Inquiry.dossier_id)
                .where(Inquiry.asked_by == account.name, Inquiry.seen_at.is_(None))
                .order_by(Inquiry.id)).all()
            return tuple(item for inquiry, number in rows
                         if (item := info(inquiry, now, number or "")).news)

    def mark_seen(self, account: Account, number: str) -> None:
        """The mediator looked at the dossier's inquiries: their news is read."""
        if not account.may(WORK_TASKS):
            return
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            dossier = self.klachten.find_dossier(session, number)
            for inquiry in session.scalars(select(Inquiry).where(
                    Inquiry.dossier_id == dossier.id, Inquiry.seen_at.is_(None))):
                if info(inquiry, now).news:
                    inquiry.seen_at = now

    # ----- a service contact
    def service_inbox(self, account: Account) -> list[ServiceItem]:
        """The consultations of the services this account answers for, open ones first."""
        keys = self._services_of(account)
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            rows = session.scalars(select(Inquiry).where(
                Inquiry.kind == SERVICE, Inquiry.service.in_(keys))
                .order_by(Inquiry.answered_at.is_not(None), Inquiry.due_at, Inquiry.id)).all()
            return [self._service_item(session, inquiry, now) for inquiry in rows]

    def service_item(self, account: Account, reference: str) -> ServiceItem:
        """One consultation for a contact of its service; any other is "not found" (no
        telling whether it exists)."""
        keys = self._services_of(account)
        with transaction(self.klachten.factory) as session:
            inquiry = _service_inquiry(session, reference, keys)
            return self._service_item(session, inquiry, self.klachten.clock.now(session))

    def answer(self, account: Account, reference: str, text: str) -> None:
        """A service contact answers a consultation of their service (once)."""
        keys = self._services_of(account)
        answer = _answer(text)
        self._complete(reference, (ANSWER_TASK,), {"antwoord": answer,
                                                "beantwoord_door": account.name},
                       account.name, lambda session: _service_inquiry(session, reference, keys))

    def _services_of(self, account: Account) -> set[str]:
        if not account.may(ANSWER_CONSULTATIONS):
            raise Forbidden(f"{account.name} is geen contactpersoon van een dienst")
        return services_of(self.klachten.latest_model(), account.name)

    def _service_item(self, session: Session, inquiry: Inquiry, now: datetime) -> ServiceItem:
        return ServiceItem(inquiry.reference, inquiry.service, pseudonym_of(
            session, inquiry.dossier_id), inquiry.question, dict(inquiry.shared or {}),
            utc(inquiry.asked_at) or now, utc(inquiry.due_at), state_of(inquiry, now),
            inquiry.answer, utc(inquiry.answered_at))

    # ----- the member (signed in on the status page for ``number``)
    def member_questions(self, number: str) -> tuple[InquiryInfo, ...]:
        """The questions to the member of this dossier (never a consultation)."""
        return tuple(item for item in self.of_dossier(number) if item.kind == MEMBER)

    def reply(self, number: str, reference: str, text: str) -> None:
        """The member's reply to an open question of their own dossier."""
        answer = _answer(text)

        def own(session: Session) -> Inquiry:
            inquiry = session.scalar(select(Inquiry).join(Dossier).where(
                Inquiry.reference == reference, Inquiry.kind == MEMBER,
                Dossier.number == number))
            if inquiry is None:
                raise NotFound("deze vraag bestaat niet")
            return inquiry

        self._complete(reference, REPLY_TASKS, {"antwoord": answer}, "klager", own)

    # ----- plumbing
    def _complete(self, reference: str, task_names: tuple[str, ...], data: dict[str, Any],
                  actor: str, find: Callable[[Session], Inquiry]) -> None:
        """Complete the open task of the inquiry; a lost race with another action on the
        dossier is tried once more (the answer is still wanted), a second answer is a
        Conflict."""
        def attempt() -> None:
            with transaction(self.klachten.factory) as session:
                inquiry = find(session)
                if inquiry.answered_at is not None or inquiry.closed_at is not None:
                    raise Conflict("deze vraag werd al beantwoord of is afgesloten")
                number = session.scalar(select(Dossier.number).where(
                    Dossier.id == inquiry.dossier_id)) or ""
                task_id = self._task_of(session, inquiry, task_names)
            self.klachten.complete_task(task_id, data, actor, dossier_number=number)

        _once_more(attempt)

    def _task_of(self, session: Session, inquiry: Inquiry, task_names: tuple[str, ...]) -> str:
        """The open task that answers ``inquiry`` (its data names the reference)."""
        case = self.klachten.read_case(session, session.get_one(Dossier, inquiry.dossier_id))[1]
        variable = "consultatie" if inquiry.kind == SERVICE else "vraag"
        for task in getattr(case, "ready_user_tasks", list)():
            if (task.task_spec.name in task_names
                    and (task.data.get(variable) or {}).get("referentie") == inquiry.reference
                    and session.get(OpenTask, str(task.id)) is not None):
                return str(task.id)
        raise Conflict("deze vraag wacht niet meer op een antwoord")


def _once_more(attempt: Callable[[], T]) -> T:
    try:
        return attempt()
    except Conflict as err:
        if "al beantwoord" in str(err) or "wacht niet meer" in str(err):
            raise
        return attempt()


def _service_inquiry(session: Session, reference: str, keys: set[str]) -> Inquiry:
    inquiry = session.scalar(select(Inquiry).where(
        Inquiry.reference == reference, Inquiry.kind == SERVICE, Inquiry.service.in_(keys)))
    if inquiry is None:
        raise NotFound("deze consultatie bestaat niet")
    return inquiry


def _may_investigate(account: Account) -> None:
    if not account.may(WORK_TASKS):
        raise Forbidden(f"{account.name} mag geen onderzoek voeren")


def _preview(found_service: Service, data: dict, question: str, keys: list[str],
             pseudonym: str, language: str, model: Model) -> Preview:
    member = data.get("klager") or {}
    facts = {key: _fact(key, data, model, language) for key in keys}
    return Preview(found_service.key, found_service.name(language), pseudonym,
                   pseudonymise(question, member, pseudonym),
                   {key: pseudonymise(value, member, pseudonym)
                    for key, value in facts.items() if value},
                   tuple(find_identity(question, member)))


def _fact(key: str, data: dict, model: Model, language: str) -> str:
    value = data.get(key)
    if key == "categorie":
        return model.labels.text("categorie", str(value or ""), language)
    if key == "ontvangen_op":
        return str(value or "")[:10]
    return str(value or "")
