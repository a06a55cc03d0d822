"""Rectification (GDPR art. 16): a mediator corrects a complainant's contact data.

The correction replaces the old value everywhere the dossier holds it (the process data of
every task, or the closed dossier's record, the dossier row, the notices' addresses and
texts, audit details and incidents), in one action with the optimistic lock of the
instance. The audit trail keeps only the fact: who corrected which fields, when; never the
old value. ``.eml`` files of mails already sent stay as they were sent (see ADR 0009).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from runner.accounts.users import WORK_TASKS, Account
from runner.bpmn.closed_record import ClosedCase
from runner.bpmn.errors import Conflict, Forbidden, ValidationFailed
from runner.bpmn.forms import validate_form
from runner.bpmn.instances import LoadedCase
from runner.bpmn.store import AuditEntry, Incident
from runner.notices.addresses import complainant_name
from runner.service import COMPLAINT_FORM, Klachten
from runner.store import MEMBER_AUDIENCE, Notice, as_dossier

CONTACT_FIELDS = ("voornaam", "achternaam", "email", "adres", "telefoon", "lidnummer")
CORRECTED = "contactgegevens gecorrigeerd"
MIN_REPLACED = 2  # shorter old values are not searched for in texts


class Rectification:
    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    def contact(self, account: Account, number: str) -> dict[str, str]:
        """The complainant's contact data as the dossier holds it now (the form's values)."""
        _check(account)
        klager = self.klachten.case(number).data().get("klager") or {}
        return {key: str(klager.get(key) or "") for key in CONTACT_FIELDS}

    def correct(self, account: Account, number: str, fields: dict[str, str]) -> list[str]:
        """Correct the given contact fields (an empty value removes one); returns the names
        of the fields that changed."""
        _check(account)
        unknown = set(fields) - set(CONTACT_FIELDS)
        if unknown:
            raise ValidationFailed({key: "geen contactgegeven" for key in sorted(unknown)})
        klachten = self.klachten
        with klachten.runner.action(klachten.instance_of_dossier(number)) as (loaded, model):
            dossier = as_dossier(loaded.dossier)
            if dossier.erased_at is not None:
                raise Conflict(f"dossier {number} is gewist")
            data = loaded.case.data()
            old = dict(data.get("klager") or {})
            new = {**old, **{key: value.strip() for key, value in fields.items()}}
            new = {key: value for key, value in new.items() if value}
            schema = model.form(COMPLAINT_FORM)["properties"]["klager"]
            try:
                validate_form(schema, new)
            except ValidationFailed as error:
                raise ValidationFailed(_unprefixed(error.reasons),
                                       _unprefixed(error.codes)) from None
            changed = [key for key in CONTACT_FIELDS if old.get(key) != new.get(key)]
            if not changed:
                return []
            _replace_in_case(loaded, new)
            _replace_in_rows(loaded.session, dossier.id, _replacements(old, new))
            dossier.complainant_name = complainant_name(new)[:220]
            dossier.complainant_email = str(new.get("email") or "").lower()[:254]
            dossier.member_number = str(new.get("lidnummer") or "")[:20]
            loaded.record(account.name, CORRECTED, "", velden=changed)
            return changed


def _unprefixed(by_field: dict[str, str]) -> dict[str, str]:
    return {key.removeprefix("klager."): value for key, value in by_field.items()}


def _check(account: Account) -> None:
    if not account.may(WORK_TASKS):
        raise Forbidden(f"{account.name} mag geen contactgegevens corrigeren")


def _replace_in_case(loaded: LoadedCase, complainant: dict[str, Any]) -> None:
    """Every copy of ``klager`` in the engine state (each task's data), or in the record."""
    case = loaded.case
    if isinstance(case, ClosedCase):
        case.record.data["klager"] = dict(complainant)
        loaded.instance.archive = case.record.pack()
        return
    workflow = case.workflow
    for holder in [workflow, *workflow.get_tasks()]:
        if isinstance(holder.data.get("klager"), dict):
            holder.data["klager"] = dict(complainant)


def _replacements(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[re.Pattern[str], str]]:
    """Each changed old value as a whole-word pattern, longest first, with its new value."""
    pairs = [(str(old[key]), str(new.get(key) or "")) for key in CONTACT_FIELDS
             if old.get(key) and old.get(key) != new.get(key)
             and len(str(old[key])) >= MIN_REPLACED]
    pairs.sort(key=lambda pair: len(pair[0]), reverse=True)
    return [(re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE), replacement)
            for value, replacement in pairs]


_Text = TypeVar("_Text", str, str | None)


def _apply(text: _Text, replacements: list[tuple[re.Pattern[str], str]]) -> _Text:
    if not text:
        return text
    for pattern, replacement in replacements:
        text = pattern.sub(_literally(replacement), text)
    return text


def _literally(replacement: str) -> Callable[[re.Match[str]], str]:
    """``replacement`` as it is (``re.sub`` would read backslashes in it as escapes)."""
    return lambda _match: replacement


def _replace_in_rows(session: Session, dossier_id: int,
                     replacements: list[tuple[re.Pattern[str], str]]) -> None:
    for notice in session.scalars(select(Notice).where(
            Notice.dossier_id == dossier_id, Notice.audience == MEMBER_AUDIENCE)):
        notice.recipient = _apply(notice.recipient, replacements)
        notice.subject = _apply(notice.subject, replacements)
        notice.body = _apply(notice.body, replacements)
        notice.last_error = _apply(notice.last_error, replacements)
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.dossier_id == dossier_id)):
        details = {key: _apply(value, replacements) if isinstance(value, str) else value
                   for key, value in (entry.details or {}).items()}
        if details != entry.details:
            entry.details = details
    for incident in session.scalars(select(Incident).where(Incident.dossier_id == dossier_id)):
        incident.error = _apply(incident.error, replacements)
