"""Server-side web sessions: a random token in the signed cookie, its SHA-256 in
``web_sessions``. A session lives until sign-out, until its user is disabled, or until its
absolute lifetime ends, whatever the cookie says (ADR 8)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from runner.bpmn.clock import RealClock, as_utc
from runner.store import WebSession

KEEP = timedelta(days=1)  # longer than any lifetime: older rows are pruned
wall_clock = RealClock()


def now() -> datetime:
    """Sessions live in real time, also under the virtual clock: advancing the process clock
    (a demo, a test) signs nobody out."""
    return wall_clock.now()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(session: Session, now: datetime, *, user_id: int | None = None,
          dossier_id: int | None = None) -> str:
    """A new session for a user or a dossier; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_digest(token), user_id=user_id, dossier_id=dossier_id,
                           created_at=now))
    session.execute(delete(WebSession).where(WebSession.created_at < now - KEEP))
    return token


def alive(session: Session, token: str, now: datetime,
          lifetime: timedelta) -> WebSession | None:
    """The session of ``token`` when it was not ended and is younger than ``lifetime``."""
    if not token:
        return None
    row = session.scalar(select(WebSession).where(WebSession.token_hash == _digest(token)))
    if row is None or row.ended_at is not None or as_utc(row.created_at) + lifetime <= now:
        return None
    return row


def end(session: Session, token: str, now: datetime) -> None:
    """Sign-out: the token no longer opens anything, in any copy of the cookie."""
    session.execute(update(WebSession).where(WebSession.token_hash == _digest(token),
                                             WebSession.ended_at.is_(None))
                    .values(ended_at=now))


def end_all_of_user(session: Session, user_id: int, now: datetime, keep: str = "") -> None:
    """Every session of a user ends (the account was disabled, its password changed, its
    user signed out everywhere), but for the one of token ``keep``."""
    session.execute(update(WebSession).where(WebSession.user_id == user_id,
                                             WebSession.ended_at.is_(None),
                                             WebSession.token_hash != _digest(keep))
                    .values(ended_at=now))
