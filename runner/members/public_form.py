"""The complaint form on the website: what it offers and what it accepts.

The rules are data in ``processes/forms/klacht_publiek.json``, on top of ``klacht.json``:
a complainant with first and last name and an e-mail or postal address (the public form
takes no anonymous complaint; the mediator's intake registers an anonymous letter, which is
then found niet ontvankelijk), a member number of 11 digits when one is given, the privacy
acknowledgement and an empty honeypot field. The web layer renders the form and shows the
reasons of :class:`~runner.bpmn.errors.ValidationFailed`; it decides nothing here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner.bpmn.forms import from_fields, max_lengths, validate_form, without_form_only
from runner.bpmn.store import transaction
from runner.errors import TooManySubmissions
from runner.members import confirmations
from runner.ratelimit import RateLimit, client_key, event_key, record_failures, wait_for_quota
from runner.service import Klachten

PUBLIC_FORM = "klacht_publiek.json"
CHANNEL = "web"
ACTOR = "klager"


@dataclass(frozen=True)
class SubmissionLimits:
    """Each complaint sends an acknowledgement to the address typed in: no mail relay
    (``KLACHTEN_FORM_PER_ADDRESS_PER_HOUR``, ``KLACHTEN_FORM_PER_EMAIL_PER_DAY``)."""

    per_address: RateLimit
    per_email: RateLimit

    @classmethod
    def of(cls, per_address_per_hour: int = 5, per_email_per_day: int = 3
           ) -> SubmissionLimits:
        return cls(RateLimit(per_address_per_hour, timedelta(hours=1)),
                   RateLimit(per_email_per_day, timedelta(hours=24)))


DEFAULT_LIMITS = SubmissionLimits.of()


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class PublicForm:
    """What the page needs to draw the form: the categories and the stated maximum lengths."""

    categories: tuple[Choice, ...]
    max_lengths: dict[str, int]
    languages: tuple[str, ...]
    retention_years: int | None


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page shows: the number, what comes next, and the first time
    only the access code."""

    dossier_number: str
    access_code: str | None
    acknowledgement_due: date | None
    answer_due: date | None
    status_every_days: int | None


def public_form(klachten: Klachten, language: str) -> PublicForm:
    model = klachten.latest_model()
    schema = model.form(PUBLIC_FORM)
    category = schema["properties"]["categorie"]
    labels = category.get("x-labels", {})
    names = labels.get(language) or labels.get("nl", {})
    return PublicForm(
        categories=tuple(Choice(value, names.get(value, value)) for value in category["enum"]),
        max_lengths=max_lengths(schema),
        languages=tuple(schema["properties"]["taal"]["enum"]),
        retention_years=model.settings.get("bewaartermijn_jaren"),
    )


def submit_complaint(klachten: Klachten, fields: Mapping[str, str], language: str,
                     form_token: str, client: str = "",
                     limits: SubmissionLimits = DEFAULT_LIMITS) -> str:
    """Validate the posted fields against the public form and start a dossier, once per
    ``form_token`` (see ``runner.members.confirmations``); returns the dossier number.

    ``fields`` are the form's fields by path (``klager.voornaam``); ``language`` (the page's)
    is the preferred language when the form did not say; ``client`` the sender's address.
    Raises ValidationFailed, or TooManySubmissions beyond ``limits`` (by default 5
    complaints an hour from one client address or 3 a day to one e-mail address).
    """
    try:
        with transaction(klachten.factory) as session:
            return _submit_once(klachten, session, fields, language, form_token, client,
                                limits)
    except IntegrityError:  # a twin of this post won the race: its dossier is ours
        with transaction(klachten.factory) as session:  # found by its token or its content
            return _submit_once(klachten, session, fields, language, form_token, client,
                                limits)


def _submit_once(klachten: Klachten, session: Session, fields: Mapping[str, str],
                 language: str, form_token: str, client: str,
                 limits: SubmissionLimits) -> str:
    """Validate, find an earlier submission of this form, count the quota and start the
    dossier: one transaction, so one round of the database's commit."""
    version = klachten.runner.latest_version(session)
    schema = klachten.runner.model(session, version)[0].form(PUBLIC_FORM)
    data = from_fields(schema, fields)
    data.setdefault("taal", language)
    validate_form(schema, data)
    earlier = confirmations.submitted_dossier(session, form_token)
    if earlier:
        return earlier
    now = klachten.clock.now(session)
    content = confirmations.content_key(data)
    same = confirmations.same_submission(session, form_token, content, now)
    if same is not None:  # back and send again: no second dossier, no second notice
        return same
    _throttle(session, now, client, data.get("klager", {}).get("email", ""), limits)
    complaint = {**without_form_only(schema, data), "kanaal": CHANNEL}
    return klachten.start_dossier(session, complaint, ACTOR,
                                  on_created=confirmations.recorder(form_token, now, content),
                                  definition_id=version).dossier_number


def _throttle(session: Session, now: datetime, client: str, email: str,
              limits: SubmissionLimits) -> None:
    """Count this complaint per client address and per e-mail address; refuse it when
    either has had its quota in the window."""
    quotas = [(client_key(client, "formulier"), limits.per_address)]
    if email:
        quotas.append((event_key("email", email.strip().lower(), "formulier"),
                       limits.per_email))
    wait = max(wait_for_quota(session, key, limit, now) for key, limit in quotas)
    if wait:
        raise TooManySubmissions(wait)
    for key, limit in quotas:
        record_failures(session, (key,), limit, now)


def confirmation(klachten: Klachten, form_token: str) -> Confirmation | None:
    """The confirmation of the form with this token: the access code the first time only.
    One transaction: the receipt, then the dossier's deadlines from its stored case."""
    with transaction(klachten.factory) as session:
        receipt = confirmations.reveal(session, form_token, klachten.clock.now(session))
        if receipt is None:
            return None
        case = klachten.read_case_of(session, receipt.dossier_id)[1]
        return Confirmation(
            dossier_number=receipt.dossier_number,
            access_code=receipt.access_code,
            acknowledgement_due=case.due_date("ontvangstmelding"),
            answer_due=case.due_date("antwoord"),
            status_every_days=case.deadlines().get("statusbericht", {}).get("dagen"),
        )
