"""The complainant's status page, without HTTP: look-up, plain-language status, the
"niet akkoord" and withdrawal messages, and "is this message really from us?".

Enumeration resistance:

* An unknown dossier number and a wrong code fail in one way (:class:`AccessDenied`), by
  the same path: the number's row is looked up by the same query, the code is checked
  against the stored hash or, for an unknown number, against a dummy hash of the same
  kind, and the failure is recorded the same way.
* After a sign-in the web session keeps a :class:`StatusPass`, never the access code: an
  HMAC of the dossier number and an expiry, keyed with the dossier's stored code hash. It
  proves the earlier sign-in, expires after ``PASS_LIFETIME`` whatever the cookie does, and
  a leaked cookie does not reveal the code printed on the complainant's letters.
* Failed attempts are counted per client address (an IPv6 address per /64) and per dossier
  number in ``rate_limit_events``, shared by every web process. A client with ``attempts``
  failures within ``window`` is refused (:class:`RateLimited`) until the oldest leaves the
  window. A dossier number with ``attempts`` failures is under attack: then a client that
  failed at all is refused for it, while a client without failures still gets in with the
  right code (no lock-out of the member, :func:`runner.ratelimit.check_limit`). Keys are
  stored hashed; events older than the window are pruned.

Texts come from ``processes/statuspagina.json`` (per ``stap`` 1-8, ``afgesloten`` and
``ingetrokken``, optionally per element id, and per notice kind), in nl and fr. The page
shows no internal data: no names, no tasks, no audit trail, no notice bodies.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from runner.accounts import sessions
from runner.bpmn.case import Case
from runner.bpmn.clock import as_utc
from runner.bpmn.closed_record import ClosedCase
from runner.bpmn.forms import from_fields, validate_form, without_form_only
from runner.bpmn.store import transaction
from runner.definition.model import Model
from runner.definition.rule_texts import fill_rule_values
from runner.errors import AccessDenied
from runner.notices.access_codes import hash_access_code, verify_access_code
from runner.ratelimit import RateLimit, check_limit, client_key, event_key, record_failures
from runner.service import Klachten
from runner.store import MEMBER_AUDIENCE, Dossier, Notice

TEXTS = "statuspagina.json"
DISAGREE_FORM = "niet_akkoord.json"
WITHDRAW_FORM = "intrekking.json"
DISAGREE = "klager_niet_akkoord"
WITHDRAW = "klacht_ingetrokken"
ACTOR = "klager"
CLOSED, WITHDRAWN, RECEIVED = "afgesloten", "ingetrokken", "1"
ACKNOWLEDGEMENT, NATIONAL_ANSWER = "ontvangstmelding", "antwoord_nationaal"  # notice kinds
_MAX_INPUT = 100  # longer input cannot match a number or a code; it is cut, not refused
PASS_LIFETIME = timedelta(hours=2)  # absolute; the web session also ends after 30 idle minutes


@dataclass(frozen=True)
class Attempt:
    """Who asks (the client address) about which dossier, with which code."""

    number: str
    code: str
    client: str


@dataclass(frozen=True)
class StatusPass:
    """Proof of a sign-in to one dossier until ``expires`` (ISO instant): what the web
    session keeps instead of the access code."""

    number: str
    expires: str
    token: str
    session: str = ""  # the server-side session (runner.accounts.sessions), ended at sign-out

    def as_dict(self) -> dict[str, str]:
        return {"nummer": self.number, "tot": self.expires, "pas": self.token,
                "sessie": self.session}

    @classmethod
    def from_dict(cls, stored: Mapping) -> StatusPass:
        return cls(*(str(stored.get(key, ""))[:_MAX_INPUT]
                     for key in ("nummer", "tot", "pas", "sessie")))


Credential = Attempt | StatusPass


@dataclass(frozen=True)
class StepText:
    key: str
    title: str
    explanation: str


@dataclass(frozen=True)
class SentNotice:
    sent_on: date
    kind: str
    label: str
    code: str


@dataclass(frozen=True)
class PublicAnswer:
    """An answer the member was sent, readable on the status page."""

    title: str
    sent_on: date
    outcome: str | None
    text: str
    advice: str | None


@dataclass(frozen=True)
class PublicStatus:
    number: str
    step: StepText
    received_on: date
    acknowledgement_due: date | None
    answer_due: date | None
    reaction_until: date | None
    national_answer_due: date | None
    closed_on: date | None
    notices: tuple[SentNotice, ...]
    answers: tuple[PublicAnswer, ...]
    can_disagree: bool
    can_withdraw: bool


@dataclass(frozen=True)
class VerifiedNotice:
    number: str
    sent_on: date
    label: str


def normalise_number(number: str) -> str:
    return "".join(str(number).split()).upper()[:_MAX_INPUT]


def normalise_notice_code(code: str) -> str:
    return "".join(str(code).split()).replace("-", "").upper()[:_MAX_INPUT]


def _dummy_hash() -> str:
    """A stored-hash look-alike, so an unknown number costs the same check as a wrong code."""
    return hash_access_code("ONBEKEND-DOSSIER")


def _pass_token(stored_hash: str, number: str, expires: str) -> str:
    """Keyed with the stored code hash: only the server can make it, and a new access code
    (a new hash) voids every pass made with the old one."""
    return hmac.new(stored_hash.encode(), f"{number}|{expires}".encode(),
                    hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class _Wording:
    """One language's texts of ``statuspagina.json`` and the fund's timezone."""

    steps: dict[str, dict]
    elements: dict[str, dict]
    notices: dict[str, str]
    answers: tuple[dict, ...]
    outcomes: dict[str, str]
    timezone: ZoneInfo

    @classmethod
    def of(cls, model: Model, language: str) -> _Wording:
        texts = model.json_file(TEXTS)

        def pick(part: str) -> dict:
            return {key: entry.get(language) or entry["nl"]
                    for key, entry in texts.get(part, {}).items()}

        answers = tuple({**entry, **(entry.get(language) or entry["nl"])}
                        for entry in texts.get("antwoorden", []))
        return cls(steps=pick("stappen"), elements=pick("elementen"), notices=pick("berichten"),
                   answers=answers, outcomes=pick("uitkomsten"), timezone=model.timezone)

    def local_date(self, instant: datetime) -> date:
        return as_utc(instant).astimezone(self.timezone).date()

    def notice_label(self, kind: str) -> str:
        return self.notices.get(kind, kind)


class StatusDesk:
    """The status page's runner side over one :class:`Klachten` and one rate limit."""

    def __init__(self, klachten: Klachten, limit: RateLimit | None = None):
        self.klachten = klachten
        self.limit = limit or RateLimit()

    # ----- public API
    def look_up(self, credential: Credential, language: str) -> PublicStatus:
        """The status of the dossier, or AccessDenied / RateLimited."""
        number = self._verify(credential)
        with transaction(self.klachten.factory) as session:
            dossier = self.klachten.find_dossier(session, number)
            notices = session.execute(select(Notice.created_at, Notice.kind, Notice.code)
                                      .where(Notice.dossier_id == dossier.id,
                                             Notice.audience == MEMBER_AUDIENCE)
                                      .order_by(Notice.id)).all()
        return self._status(dossier, notices, self.klachten.case(number), language)

    def check_notice(self, attempt: Attempt, language: str) -> VerifiedNotice:
        """Whether a notice with this code was sent in this dossier ("is this message really
        from us?"); ``attempt.code`` is the notice code. No: AccessDenied, as for a look-up."""
        with transaction(self.klachten.factory) as session:
            now = self._check_limit(session, attempt)
            found = session.execute(
                select(Dossier.number, Notice.created_at, Notice.kind)
                .join(Notice, Notice.dossier_id == Dossier.id)
                .where(Dossier.number == normalise_number(attempt.number),
                       Notice.code == normalise_notice_code(attempt.code))).first()
            if found is None:
                self._record_failure(session, attempt, now)
        if found is None:
            raise AccessDenied()
        wording = self._wording(language, found.number)
        return VerifiedNotice(number=found.number, sent_on=wording.local_date(found.created_at),
                              label=wording.notice_label(found.kind))

    def disagree(self, credential: Credential, fields: Mapping[str, str]) -> None:
        """Stap 6: tell the process the complainant does not agree with the answer."""
        self._send(credential, DISAGREE, DISAGREE_FORM, fields)

    def withdraw(self, credential: Credential, fields: Mapping[str, str]) -> None:
        """Withdraw the complaint (the process closes the dossier as ``ingetrokken``)."""
        self._send(credential, WITHDRAW, WITHDRAW_FORM, fields)

    def sign_in(self, attempt: Attempt) -> StatusPass:
        """A pass for the dossier when number and access code match; else AccessDenied
        (recorded) or RateLimited. The same work whether the number exists or not."""
        number = normalise_number(attempt.number)
        with transaction(self.klachten.factory) as session:
            now = self._check_limit(session, attempt)
            dossier_id, stored = session.execute(
                select(Dossier.id, Dossier.access_code_hash)
                .where(Dossier.number == number)).first() or (None, None)
            matches = verify_access_code(attempt.code[:_MAX_INPUT], stored or _dummy_hash())
            granted = matches and stored is not None
            if granted:
                token = sessions.start(session, sessions.now(), dossier_id=dossier_id)
            else:
                self._record_failure(session, attempt, now)
        if not granted or stored is None:
            raise AccessDenied()
        expires = (now + PASS_LIFETIME).isoformat()
        return StatusPass(number, expires, _pass_token(stored, number, expires), token)

    def sign_out(self, granted: StatusPass) -> None:
        """End the pass's server-side session: a copy of the cookie stops working too."""
        with transaction(self.klachten.factory) as session:
            sessions.end(session, granted.session, sessions.now())

    def _verify(self, credential: Credential) -> str:
        """The dossier number a credential opens, or AccessDenied / RateLimited."""
        if isinstance(credential, Attempt):
            return self.sign_in(credential).number
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            dossier_id, stored = session.execute(
                select(Dossier.id, Dossier.access_code_hash)
                .where(Dossier.number == credential.number)).first() or (None, None)
            live = sessions.alive(session, credential.session, sessions.now(), PASS_LIFETIME)
        if live is None or live.dossier_id != dossier_id:
            stored = None  # signed out, or a pass of another dossier: the same refusal
        try:
            expires = datetime.fromisoformat(credential.expires)
        except ValueError:
            expires = None
        expired = expires is None or expires.tzinfo is None or expires <= now
        expected = _pass_token(stored or _dummy_hash(), credential.number, credential.expires)
        if expired or stored is None or not hmac.compare_digest(expected, credential.token):
            raise AccessDenied()
        return credential.number

    # ----- rate limit
    def _keys(self, attempt: Attempt) -> tuple[str, str]:
        return client_key(attempt.client), event_key("dossier", normalise_number(attempt.number))

    def _check_limit(self, session: Session, attempt: Attempt) -> datetime:
        """Refuse a client that used up its failures, or that failed while the dossier number
        is under attack; returns now."""
        now = self.klachten.clock.now(session)
        check_limit(session, *self._keys(attempt), self.limit, now)
        return now

    def _record_failure(self, session: Session, attempt: Attempt, now: datetime) -> None:
        record_failures(session, self._keys(attempt), self.limit, now)

    # ----- messages
    def _send(self, credential: Credential, message: str, form: str,
              fields: Mapping[str, str]) -> None:
        number = self._verify(credential)
        schema = self.klachten.model_of(number).form(form)
        data = from_fields(schema, fields)
        validate_form(schema, data)
        self.klachten.send_message(number, message, without_form_only(schema, data),
                                   actor=ACTOR)

    # ----- the public view
    def _wording(self, language: str, number: str) -> _Wording:
        """The texts of the version the dossier runs on (``statuspagina.json``)."""
        return _Wording.of(self.klachten.model_of(number), language)

    def _status(self, dossier: Dossier, notices: Sequence[Row[datetime, str, str]],
                case: Case | ClosedCase,
                language: str) -> PublicStatus:
        wording = self._wording(language, dossier.number or "")
        waiting = case.waiting_messages()
        can_disagree = DISAGREE in waiting
        sent = {kind: wording.local_date(at) for at, kind, _ in reversed(notices)}
        answers = _answers(case.data(), sent, wording)
        answered = bool(answers) or dossier.closed_at is not None

        def pending(deadline: str, done: bool) -> date | None:
            """A date the member still waits for; none once it happened or the dossier
            closed."""
            return None if done or dossier.closed_at else case.due_date(deadline)

        return PublicStatus(
            number=dossier.number or "",
            step=_step_text(dossier, case, wording),
            received_on=wording.local_date(dossier.received_at),
            acknowledgement_due=pending("ontvangstmelding", ACKNOWLEDGEMENT in sent),
            answer_due=pending("antwoord", answered),
            reaction_until=case.due_date("reactietermijn") if can_disagree else None,
            national_answer_due=pending("nationaal_antwoord", NATIONAL_ANSWER in sent),
            closed_on=wording.local_date(dossier.closed_at) if dossier.closed_at else None,
            notices=tuple(SentNotice(sent_on=wording.local_date(at), kind=kind, code=code,
                                     label=wording.notice_label(kind))
                          for at, kind, code in notices),
            answers=answers,
            can_disagree=can_disagree,
            can_withdraw=WITHDRAW in waiting,
        )


def _answers(data: dict, sent: dict[str, date], wording: _Wording) -> tuple[PublicAnswer, ...]:
    """The answers of ``statuspagina.json``'s ``antwoorden`` whose notice went out, as the
    mediator wrote them (the process data the notice was made from)."""
    found = []
    for entry in wording.answers:
        given = data.get(entry["gegevens"])
        if entry["bericht"] not in sent or not isinstance(given, dict):
            continue
        outcome = given.get(entry.get("uitkomst", ""))
        found.append(PublicAnswer(
            title=entry["titel"], sent_on=sent[entry["bericht"]],
            outcome=wording.outcomes.get(outcome, outcome) if outcome else None,
            text=str(given.get(entry["tekst"]) or ""),
            advice=str(given.get(entry.get("advies", ""), "") or "") or None))
    return tuple(found)


def _step_text(dossier: Dossier, case: Case | ClosedCase, wording: _Wording) -> StepText:
    """The step in plain words, from the engine: the open work with the highest ``stap``
    (its element's own text when there is one); closed dossiers say so."""
    element = ""
    if dossier.closed_at is not None:
        key = WITHDRAWN if dossier.outcome == WITHDRAWN else CLOSED
    else:
        steps = [(int(number), name) for number, name in case.open_steps()
                 if number.isdigit()]
        number, element = max(steps, default=(int(RECEIVED), ""))
        key = str(number)
    text = wording.elements.get(element) or wording.steps.get(key) \
        or wording.steps[CLOSED if dossier.closed_at else RECEIVED]
    return StepText(key=key, title=text["titel"],
                    explanation=fill_rule_values(text["uitleg"], case.deadlines()))
