"""After the closure: reopening a closed dossier, and closing a dossier as a duplicate of
another.

Where a reopened dossier resumes is the model's: the runner starts a new run of the newest
deployed version with the dossier's process data, the model's ``startgegevens`` reset to
their start values and ``heropening`` filled in (reason, who, when); the diagram's gateway
"Heropend?" sends it where the designer drew it. A model without ``heropening`` in its
``startgegevens`` cannot reopen. A duplicate is the message ``dossier_dubbel`` to the
dossier (the model closes it without a notice to the member); the dossier row points to
the dossier that handles the complaint.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from runner.accounts.users import WORK_TASKS, Account
from runner.bpmn.case import Case
from runner.bpmn.engine import new_workflow
from runner.bpmn.errors import Conflict, Forbidden, ValidationFailed
from runner.bpmn.instances import LoadedCase
from runner.bpmn.store import transaction
from runner.service import Klachten
from runner.store import Dossier, as_dossier

REOPEN_DATA = "heropening"
DUPLICATE_MESSAGE = "dossier_dubbel"
REOPENED = "dossier heropend"
MARKED_DUPLICATE = "als dubbel gemarkeerd"
MAX_REASON = 2000
MIN_REASON = 5


class FollowUp:
    """Reopen and duplicate, one action each, for a mediator (``WORK_TASKS``)."""

    def __init__(self, klachten: Klachten):
        self.klachten = klachten

    def reopen(self, account: Account, number: str, reason: str,
               expected_version: int | None = None) -> None:
        """Reopen the closed dossier ``number`` with a reason (audited, in the timeline)."""
        _check(account)
        reason = _reason(reason)
        runner = self.klachten.runner
        with runner.action(self.klachten.instance_of_dossier(number),
                           expected_version) as (loaded, _):
            dossier = as_dossier(loaded.dossier)
            _check_reopenable(dossier)
            version = runner.latest_version(loaded.session)
            model, specs = runner.model(loaded.session, version)
            start = model.settings.get("startgegevens") or {}
            if REOPEN_DATA not in start:
                raise Conflict("het procesmodel voorziet geen heropening (geen 'heropening' "
                               "in de startgegevens van instellingen.json)")
            data = {**loaded.case.data(), **start, REOPEN_DATA: {
                "reden": reason, "door": account.name, "heropend_op": loaded.now.isoformat(),
                "vorige_uitkomst": dossier.outcome}}
            loaded.record(account.name, REOPENED, REOPEN_DATA, reden=reason,
                          vorige_uitkomst=dossier.outcome or "")
            loaded.instance.definition_id = version
            loaded.case = Case(new_workflow(specs, data), model)
            dossier.closed_at = dossier.outcome = dossier.duplicate_of_id = None
            runner.run(loaded, model, lambda lc: lc.case.run(lc.engine_completed))

    def mark_duplicate(self, account: Account, number: str, original: str, reason: str = "",
                       expected_version: int | None = None) -> None:
        """Close ``number`` as a duplicate of ``original``: no closing notice to the member,
        and ``number`` points to ``original`` from then on."""
        _check(account)
        reason = reason.strip()[:MAX_REASON]
        original_id = self._original(number, original)
        with self.klachten.runner.action(self.klachten.instance_of_dossier(number),
                                         expected_version) as (loaded, model):
            dossier = as_dossier(loaded.dossier)
            _check_open(dossier, loaded)
            dossier.duplicate_of_id = original_id
            payload = {"van": original, "reden": reason, "door": account.name}
            loaded.record(account.name, MARKED_DUPLICATE, DUPLICATE_MESSAGE, van=original,
                          reden=reason)
            self.klachten.runner.run(loaded, model, lambda lc: lc.case.send_message(
                DUPLICATE_MESSAGE, payload, lc.engine_completed))

    def _original(self, number: str, original: str) -> int:
        """The row id of the dossier a duplicate points to, checked."""
        original = original.strip()
        if not original:
            raise ValidationFailed({"van": "vul het nummer van het andere dossier in"},
                                   {"van": "required"})
        if original == number:
            raise ValidationFailed({"van": "een dossier kan geen dubbel van zichzelf zijn"},
                                   {"van": "self"})
        with transaction(self.klachten.factory) as session:
            row = session.scalar(select(Dossier).where(Dossier.number == original))
            if row is None:
                raise ValidationFailed({"van": f"dossier {original[:40]} bestaat niet"},
                                       {"van": "unknown"})
            if row.erased_at is not None:
                raise ValidationFailed({"van": f"dossier {original} is gewist"}, {"van": "erased"})
            if row.duplicate_of_id is not None:
                first = session.scalar(select(Dossier.number)
                                       .where(Dossier.id == row.duplicate_of_id))
                raise ValidationFailed({"van": f"dossier {original} is zelf een dubbel van "
                                               f"{first}; kies {first}"},
                                       {"van": f"duplicate:{first}"})
            return row.id


def duplicate_of(session: Any, dossier: Dossier) -> str | None:
    """The number of the dossier a duplicate points to."""
    if dossier.duplicate_of_id is None:
        return None
    return session.scalar(select(Dossier.number).where(Dossier.id == dossier.duplicate_of_id))


def _check(account: Account) -> None:
    if not account.may(WORK_TASKS):
        raise Forbidden(f"{account.name} mag geen dossiers heropenen of als dubbel markeren")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < MIN_REASON:
        raise ValidationFailed({"reden": f"geef een reden van minstens {MIN_REASON} tekens"},
                               {"reden": "minLength"})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reden": f"de reden is te lang (hoogstens {MAX_REASON} "
                                         "tekens)"}, {"reden": "maxLength"})
    return reason


def _check_reopenable(dossier: Dossier) -> None:
    if dossier.erased_at is not None:
        raise Conflict(f"dossier {dossier.number} is gewist en kan niet heropend worden")
    if dossier.closed_at is None:
        raise Conflict(f"dossier {dossier.number} is niet afgesloten")


def _check_open(dossier: Dossier, loaded: LoadedCase) -> None:
    if dossier.erased_at is not None:
        raise Conflict(f"dossier {dossier.number} is gewist")
    if dossier.closed_at is not None:
        raise Conflict(f"dossier {dossier.number} is al afgesloten")
    if DUPLICATE_MESSAGE not in loaded.case.waiting_messages():
        raise Conflict(f"dossier {dossier.number} kan in zijn huidige stap niet als dubbel "
                       "gemarkeerd worden (het procesmodel wacht er niet op)")
