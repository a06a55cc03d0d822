"""The access log: who saw what of which dossier, and when (GDPR art. 9 data are
need-to-know; the dossier page, the task page, exports and the command line write it)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from runner.bpmn.store import transaction
from runner.service import Klachten
from runner.store import AccessEntry


def record_access(session: Session, klachten: Klachten, user: str,
                  dossier_id: int | None, what: str) -> None:
    """Write who sees ``what`` (of one dossier, or of none: an export) now."""
    session.add(AccessEntry(dossier_id=dossier_id, user=user[:100], what=what[:200],
                            at=klachten.clock.now(session)))


def log_access(klachten: Klachten, user: str, number: str, what: str) -> None:
    """Write one access of a dossier in a transaction of its own (the command line's)."""
    with transaction(klachten.factory) as session:
        record_access(session, klachten, user, klachten.find_dossier(session, number).id, what)
