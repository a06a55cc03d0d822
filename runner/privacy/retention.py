"""Retention and erasure (GDPR art. 5(1)(e) and 17): a closed dossier's personal data is
erased when the retention period of its process version has ended, or earlier on request
where that version allows it; a legal hold keeps a dossier as it is.

The rule is data in ``processes/instellingen.json`` of the version the dossier ran on:
``bewaartermijn_jaren`` (counted from the closure) and ``privacy``: ``persoonsgegevens``
(the process-data paths that hold personal data) and ``wissen_op_verzoek``. Erasure keeps
what the reports and the improvement register count (number, dates, category, channel,
outcome, the report facts, the recommendations) and empties the rest, in one transaction
per dossier: the complainant's identity and contact data, the declared process data, the
notices' subjects, bodies and addresses, their ``.eml`` files, the audit details and any
copy of a personal value in incidents and recommendations, the state kept to revert a
migration and a sealed access code; the mediators' notes, contacts and drafts are
deleted; the name leaves the werkbak's search index
(``runner.search``). The erasure itself is audited
without personal data. Several workers may run the job at once: a dossier is claimed with
``FOR UPDATE SKIP LOCKED`` on PostgreSQL (SQLite serializes writers) and re-checked, and
the instance's optimistic lock turns a concurrent change into a skip, never a lost update.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Select, delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from runner.accounts.users import ADMINISTER, Account
from runner.bpmn.closed_record import ClosedCase, ClosedRecord
from runner.bpmn.errors import Conflict, Forbidden, ModelError, NotFound, ValidationFailed
from runner.bpmn.instances import case_of
from runner.bpmn.store import (
    AuditEntry,
    Definition,
    Incident,
    Instance,
    InstanceMigration,
    OpenTask,
    lost_database,
    transaction,
)
from runner.definition.model import Model
from runner.investigation.store import erase_inquiries
from runner.notices.mail import eml_folder
from runner.notices.texts import NoticeStatus
from runner.search import purge_deleted
from runner.service import Klachten
from runner.store import (
    Dossier,
    DossierNote,
    FormSubmission,
    Notice,
    Recommendation,
    RecommendationNote,
    TaskDraft,
)

log = logging.getLogger(__name__)

BY_PERIOD, ON_REQUEST = "bewaartermijn", "verzoek"
ERASED = "[gewist]"
ERASED_ACTION, HOLD_ACTION, RELEASE_ACTION = (
    "dossier gewist", "juridische blokkering ingesteld", "juridische blokkering opgeheven")
# Audit details that never hold personal data (element names, channels, notice codes).
AUDIT_KEPT = frozenset({"naam", "kanaal", "code", "soort"})
MIN_SECRET = 3  # shorter values are not searched for in free text (too many false hits)
MAX_REASON = 500


@dataclass(frozen=True)
class Policy:
    """The retention rule of one process version."""

    years: int
    personal: tuple[str, ...]
    on_request: bool

    @classmethod
    def of(cls, model: Model) -> Policy:
        settings = model.settings
        privacy = settings.get("privacy", {})
        try:
            return cls(years=int(settings.get("bewaartermijn_jaren", 5)),
                       personal=tuple(str(item["gegeven"])
                                      for item in privacy.get("persoonsgegevens", [])),
                       on_request=bool(privacy.get("wissen_op_verzoek", False)))
        except (KeyError, TypeError, ValueError) as err:
            raise ModelError("instellingen.json: bewaartermijn_jaren is een geheel getal en elk "
                             "item van privacy.persoonsgegevens heeft een 'gegeven'") from err

    def ends(self, closed_at: datetime, model: Model) -> datetime:
        """The instant the retention ends: the closure's local date and time, ``years`` later
        (29 February becomes 28 February)."""
        return _years_before(closed_at.astimezone(model.timezone), -self.years)


@dataclass
class RetentionRun:
    """What one run of the job found and did (dossier numbers)."""

    erased: list[str] = field(default_factory=list)
    due: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)


class Retention:
    def __init__(self, klachten: Klachten, mail_folder: Path | None = None):
        self.klachten = klachten
        self.mail_folder = mail_folder

    # ----- the daily job
    def run(self, dry_run: bool = False) -> RetentionRun:
        """Erase every closed dossier whose retention ended (``dry_run``: only list them)."""
        result = RetentionRun()
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            candidates = self._candidates(session, now)
        for dossier_id, number, held in candidates:
            if held:
                result.held.append(number)
            elif dry_run:
                result.due.append(number)
            elif self._erase_or_log(dossier_id, number, now):
                result.erased.append(number)
        if result.erased:
            self._purge_search_index()
        if not dry_run:
            self._purge_ended_drafts()
        return result

    def _purge_ended_drafts(self) -> None:
        """A draft is kept only while its task is open (the save hook of
        ``runner.work.drafts`` deletes them with the action that ends the task; this catches
        any other way a task left)."""
        with transaction(self.klachten.factory) as session:
            session.execute(delete(TaskDraft).where(
                TaskDraft.task_id.not_in(select(OpenTask.id))))

    def _erase_or_log(self, dossier_id: int, number: str, now: datetime) -> bool:
        """One dossier that cannot be erased (an unreadable state) is logged and left for the
        next run; it does not stop the others. A lost database stops the run."""
        try:
            return self._erase(dossier_id, now, BY_PERIOD, "systeem", "")
        except Exception as err:
            if lost_database(err):
                raise
            log.exception("wissing van dossier %s mislukt", number)
            return False

    def _candidates(self, session: Session, now: datetime) -> list[tuple[int, str, bool]]:
        """Closed, not yet erased dossiers whose retention ended under their own version."""
        shortest = min((Policy.of(model).years for model in self._models(session)), default=None)
        if shortest is None:
            return []
        # A day of slack for the timezone; each candidate is then checked exactly.
        cutoff = _years_before(now, shortest) + timedelta(days=1)
        rows = session.execute(
            select(Dossier.id, Dossier.number, Dossier.legal_hold, Dossier.closed_at,
                   Instance.definition_id)
            .join(Instance, Instance.dossier_id == Dossier.id)
            .where(Dossier.erased_at.is_(None), Dossier.closed_at <= cutoff,
                   Instance.completed.is_(True))
            .order_by(Dossier.closed_at)).all()
        due = []
        for dossier_id, number, held, closed_at, definition_id in rows:
            model = self.klachten.runner.model(session, definition_id)[0]
            if closed_at is not None and Policy.of(model).ends(closed_at, model) <= now:
                due.append((dossier_id, number or "", held))
        return due

    def _models(self, session: Session) -> list[Model]:
        ids = session.scalars(select(Definition.id)).all()
        return [self.klachten.runner.model(session, definition_id)[0] for definition_id in ids]

    # ----- erasure on request (art. 17)
    def erase_on_request(self, account: Account, number: str, reason: str) -> None:
        """Erase a closed dossier before its retention ends, when its version allows it."""
        _check(account)
        reason = reason.strip()
        if not reason:
            raise ValidationFailed({"reden": "geef de reden van de wissing op"},
                                   {"reden": "required"})
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            dossier = self.klachten.find_dossier(session, number)
            instance = _instance(session, dossier.id)
            _check_erasable(dossier, instance)
            model = self.klachten.runner.model(session, instance.definition_id)[0]
            if not Policy.of(model).on_request:
                raise Conflict(f"dossier {number}: het procesmodel van dit dossier staat wissen "
                               "op verzoek niet toe")
        if not self._erase(dossier.id, now, ON_REQUEST, account.name, reason[:MAX_REASON]):
            raise Conflict(f"dossier {number} werd intussen gewijzigd of gewist; "
                           "probeer opnieuw")
        self._purge_search_index()

    def _purge_search_index(self) -> None:
        """The erased names leave the search index's pages too (once per run: it rewrites
        the index)."""
        with transaction(self.klachten.factory) as session:
            purge_deleted(session)

    # ----- legal hold
    def hold(self, account: Account, number: str, reason: str) -> None:
        """Keep a dossier from being erased (an investigation, a court case)."""
        _check(account)
        reason = reason.strip()
        if not reason:
            raise ValidationFailed({"reden": "geef de reden van de blokkering op"},
                                   {"reden": "required"})
        self._set_hold(number, True, reason[:MAX_REASON], account.name, HOLD_ACTION)

    def release(self, account: Account, number: str) -> None:
        _check(account)
        self._set_hold(number, False, "", account.name, RELEASE_ACTION)

    def _set_hold(self, number: str, held: bool, reason: str, actor: str, action: str) -> None:
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            dossier = session.scalar(_lockable(session, select(Dossier).where(
                Dossier.number == number)))
            if dossier is None:
                raise NotFound(f"dossier {number} bestaat niet")
            if dossier.erased_at is not None:
                raise Conflict(f"dossier {number} is al gewist")
            dossier.legal_hold, dossier.legal_hold_reason = held, reason
            session.add(AuditEntry(dossier_id=dossier.id, at=now, actor=actor, action=action,
                                   element="", step="", details={"reden": reason} if held else {}))

    # ----- one erasure, one transaction
    def _erase(self, dossier_id: int, now: datetime, rule: str, actor: str,
               reason: str) -> bool:
        """Erase one dossier unless another worker has it, did it already, or it is held,
        open or changed meanwhile. Returns whether this call erased it."""
        try:
            with transaction(self.klachten.factory) as session:
                dossier = session.scalar(_lockable(session, select(Dossier).where(
                    Dossier.id == dossier_id, Dossier.erased_at.is_(None),
                    Dossier.legal_hold.is_(False)), skip_locked=True))
                if dossier is None:
                    return False
                instance = _instance(session, dossier_id)
                if not instance.completed:
                    return False
                model, specs = self.klachten.runner.model(session, instance.definition_id)
                policy = Policy.of(model)
                case = case_of(instance, model, specs)
                record = case.record if isinstance(case, ClosedCase) else ClosedRecord.of(case)
                secrets = _secrets(dossier, record.data, policy.personal)
                erased_paths = _erase_paths(record.data, policy.personal)
                instance.archive, instance.state = record.pack(), ""
                instance.updated_at = now
                files = self._erase_notices(session, dossier_id)
                _erase_audit(session, dossier_id, secrets)
                _scrub_free_text(session, dossier_id, secrets)
                _erase_copies(session, dossier_id)
                notes = _delete_case_work(session, dossier_id)
                inquiries = erase_inquiries(session, dossier_id)
                dossier.complainant_name = dossier.complainant_email = dossier.member_number = ""
                dossier.complaint_text = ""
                dossier.access_code_hash = None
                dossier.erased_at = now
                details: dict[str, Any] = {
                    "regel": rule, "procesversie": instance.definition_id,
                    "bewaartermijn_jaren": policy.years, "gegevens": erased_paths,
                    "berichten": True, "mailbestanden": files, "notities": notes,
                    "consultaties_en_vragen": inquiries}
                if reason:
                    details["reden"] = reason
                session.add(AuditEntry(dossier_id=dossier_id, at=now, actor=actor,
                                       action=ERASED_ACTION, element="", step=instance.step,
                                       details=details))
                session.flush()
        except StaleDataError:  # the instance changed under us: the next run tries again
            log.warning("wissing van dossier %s overgeslagen: intussen gewijzigd", dossier_id)
            return False
        return True

    def _erase_notices(self, session: Session, dossier_id: int) -> int:
        """Empty the notices and delete their ``.eml`` files; returns how many files."""
        folder = (self.mail_folder or eml_folder()).resolve()
        deleted = 0
        for notice in session.scalars(select(Notice).where(Notice.dossier_id == dossier_id)):
            deleted += _delete_eml(notice.delivery, folder)
            notice.subject, notice.body, notice.recipient = ERASED, "", ""
            notice.last_error = None
            if notice.status in (NoticeStatus.QUEUED, NoticeStatus.TO_PRINT):
                notice.status, notice.next_attempt_at = NoticeStatus.FAILED, None
                notice.claimed_until = None
        return deleted


def _check(account: Account) -> None:
    if not account.may(ADMINISTER):
        raise Forbidden(f"{account.name} is geen beheerder")


def _years_before(instant: datetime, years: int) -> datetime:
    try:
        return instant.replace(year=instant.year - years)
    except ValueError:  # 29 February
        return instant.replace(year=instant.year - years, day=28)


def _lockable(session: Session, query: Select[Dossier],
              skip_locked: bool = False) -> Select[Dossier]:
    if session.get_bind().dialect.name == "postgresql":
        return query.with_for_update(skip_locked=skip_locked)
    return query


def _instance(session: Session, dossier_id: int) -> Instance:
    return session.scalars(select(Instance).where(Instance.dossier_id == dossier_id)).one()


def _check_erasable(dossier: Dossier, instance: Instance) -> None:
    if dossier.erased_at is not None:
        raise Conflict(f"dossier {dossier.number} is al gewist")
    if not instance.completed:
        raise Conflict(f"dossier {dossier.number} is nog open: een open dossier wordt nooit "
                       "gewist")
    if dossier.legal_hold:
        raise Conflict(f"dossier {dossier.number} staat onder juridische blokkering")


def _value_at(data: dict, path: str) -> tuple[dict | None, str]:
    """The dict holding ``path``'s last key (or None), and that key."""
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node.get(key) if isinstance(node, dict) else None
    return (node if isinstance(node, dict) else None), last


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _secrets(dossier: Dossier, data: dict, paths: tuple[str, ...]) -> list[str]:
    """The personal values to look for in free text elsewhere, longest first."""
    found = [dossier.complainant_name, dossier.complainant_email, dossier.member_number]
    for path in paths:
        parent, key = _value_at(data, path)
        if parent is not None:
            found += _strings(parent.get(key))
    unique = {text.strip() for text in found if len(text.strip()) >= MIN_SECRET}
    return sorted(unique, key=len, reverse=True)


def _erase_paths(data: dict, paths: tuple[str, ...]) -> list[str]:
    """Empty each declared path that holds something; returns those paths."""
    erased = []
    for path in paths:
        parent, key = _value_at(data, path)
        if parent is not None and parent.get(key) not in (None, ""):
            parent[key] = None
            erased.append(path)
    return erased


def scrub(text: str, secrets: list[str]) -> str:
    """``text`` with every occurrence of a personal value replaced (case-insensitive)."""
    for secret in secrets:
        text = re.sub(re.escape(secret), ERASED, text, flags=re.IGNORECASE)
    return text


def _erase_audit(session: Session, dossier_id: int, secrets: list[str]) -> None:
    for entry in session.scalars(select(AuditEntry).where(AuditEntry.dossier_id == dossier_id)):
        kept = {key: scrub(str(value), secrets) for key, value in (entry.details or {}).items()
                if key in AUDIT_KEPT}
        if kept != entry.details:
            entry.details = kept


def _scrub_free_text(session: Session, dossier_id: int, secrets: list[str]) -> None:
    """Copies of a personal value in incidents, recommendations and their notes."""
    for incident in session.scalars(select(Incident).where(Incident.dossier_id == dossier_id)):
        incident.error = scrub(incident.error, secrets)
    recommendations = session.scalars(select(Recommendation).where(
        Recommendation.dossier_id == dossier_id)).all()
    for recommendation in recommendations:
        text, rejection = (scrub(recommendation.text, secrets),
                           scrub(recommendation.rejection_reason, secrets))
        if (text, rejection) != (recommendation.text, recommendation.rejection_reason):
            recommendation.text, recommendation.rejection_reason = text, rejection
    notes = session.scalars(select(RecommendationNote).where(
        RecommendationNote.recommendation_id.in_([r.id for r in recommendations])))
    for note in notes:
        note.text = scrub(note.text, secrets)


def _erase_copies(session: Session, dossier_id: int) -> None:
    """The state kept to revert a migration, and a sealed access code not yet shown."""
    session.execute(update(InstanceMigration).where(InstanceMigration.dossier_id == dossier_id)
                    .values(previous_state="", changes={}))
    session.execute(update(FormSubmission).where(FormSubmission.dossier_id == dossier_id)
                    .values(sealed_code=None))


def _delete_case_work(session: Session, dossier_id: int) -> int:
    """Delete the dossier's notes and contacts and any draft left; returns how many notes."""
    session.execute(delete(TaskDraft).where(TaskDraft.dossier_id == dossier_id))
    notes = session.execute(delete(DossierNote).where(DossierNote.dossier_id == dossier_id))
    return int(getattr(notes, "rowcount", 0) or 0)


def _delete_eml(delivery: str | None, folder: Path) -> int:
    """Delete the ``.eml`` file a notice was written to, when it lies in the mail folder."""
    if not delivery or not delivery.endswith(".eml"):
        return 0
    path = Path(delivery)
    if path.parent.resolve() != folder or not path.is_file():
        return 0
    path.unlink(missing_ok=True)
    return 1
