"""API tokens: several per user, each with a label and an expiry, listed and revoked by their
owner (or a beheerder). The token itself is shown once; only its SHA-256 is kept, which a
look-up needs (a long random token does not need a slow hash)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from runner.bpmn.clock import as_utc
from runner.bpmn.errors import NotFound, ValidationFailed
from runner.store import ApiToken

DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_LABEL = 100
# A token's last use is written at most this often: a script calling every second does not
# turn each of its reads into a write.
LAST_USED_PRECISION = timedelta(minutes=5)


@dataclass(frozen=True)
class TokenInfo:
    """A token as its owner sees it in the list (never the token)."""

    id: int
    label: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked: bool
    expired: bool

    @property
    def active(self) -> bool:
        return not (self.revoked or self.expired)

    @property
    def state(self) -> str:
        """``ingetrokken``, ``verlopen`` or ``actief``: the word the API, CLI and page use."""
        return "ingetrokken" if self.revoked else "verlopen" if self.expired else "actief"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_request(label: str, days: int | str) -> tuple[str, int]:
    """A new token's label and lifetime as typed; a clear error for each field."""
    label = label.strip()
    if not label or len(label) > MAX_LABEL or not label.isprintable():
        raise ValidationFailed({"label": f"1 tot {MAX_LABEL} gewone tekens"},
                               {"label": "maxLength"})
    try:
        lifetime = int(days)
    except (TypeError, ValueError):
        lifetime = 0
    if not 1 <= lifetime <= MAX_DAYS:
        raise ValidationFailed({"dagen": f"een geheel aantal dagen van 1 tot {MAX_DAYS}"},
                               {"dagen": "maximum"})
    return label, lifetime


def issue(session: Session, user_id: int, label: str, days: int | str,
          now: datetime) -> str:
    """A new token for ``user_id``; returns it (the only time anyone sees it)."""
    label, lifetime = check_request(label, days)
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user_id, label=label, token_hash=digest(token),
                         created_at=now, expires_at=now + timedelta(days=lifetime)))
    return token


def owner(session: Session, token: str, now: datetime) -> int | None:
    """The user id of a live token (not revoked, not expired); notes its use."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(token)))
    if row is None or row.revoked_at is not None or as_utc(row.expires_at) <= now:
        return None
    if row.last_used_at is None or as_utc(row.last_used_at) + LAST_USED_PRECISION <= now:
        row.last_used_at = now
    return row.user_id


def of_user(session: Session, user_id: int, now: datetime) -> list[TokenInfo]:
    rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                           .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
    return [TokenInfo(row.id, row.label, as_utc(row.created_at), as_utc(row.expires_at),
                      as_utc(row.last_used_at) if row.last_used_at else None,
                      row.revoked_at is not None, as_utc(row.expires_at) <= now)
            for row in rows]


def revoke(session: Session, user_id: int, token_id: int, now: datetime) -> None:
    """Revoke one of ``user_id``'s tokens; another user's token is as unknown as a missing one."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user_id:
        raise NotFound(f"token {token_id} bestaat niet")
    if row.revoked_at is None:
        row.revoked_at = now


def revoke_all(session: Session, user_id: int, now: datetime) -> None:
    session.execute(update(ApiToken).where(ApiToken.user_id == user_id,
                                           ApiToken.revoked_at.is_(None))
                    .values(revoked_at=now))
