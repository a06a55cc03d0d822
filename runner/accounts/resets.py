"""Single-use links to set a new password: asked for by the user ("wachtwoord vergeten", by
e-mail), or made by a beheerder (after re-enabling an account, or for a user without e-mail).
Only the link's SHA-256 is kept; it works once, and only until it expires."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from runner import settings
from runner.bpmn.clock import as_utc
from runner.bpmn.errors import ValidationFailed
from runner.notices.mail import Sender, transport_from_settings
from runner.store import PasswordReset

SELF_SERVICE = timedelta(hours=1)  # a link mailed to the user
BY_ADMIN = timedelta(days=3)  # a link a beheerder hands over (it may wait for a Monday)
PATH = "/wachtwoord/herstellen/"
SELF = "zelf"  # requested_by of a link the user asked for


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link(token: str) -> str:
    return settings.public_link(PATH + token)


def issue(session: Session, user_id: int, requested_by: str, now: datetime,
          lifetime: timedelta) -> str:
    """A new link for ``user_id``; earlier unused links of that user stop working."""
    session.execute(update(PasswordReset).where(PasswordReset.user_id == user_id,
                                                PasswordReset.used_at.is_(None))
                    .values(used_at=now))
    token = secrets.token_urlsafe(32)
    session.add(PasswordReset(user_id=user_id, token_hash=_digest(token),
                              requested_by=requested_by, created_at=now,
                              expires_at=now + lifetime))
    return token


def pending(session: Session, token: str, now: datetime) -> PasswordReset | None:
    """The live reset of ``token`` (unused, not expired), locked for this transaction so
    that two uses of one link cannot both succeed."""
    if not token or len(token) > 100:
        return None
    row = session.scalar(select(PasswordReset).where(PasswordReset.token_hash == _digest(token))
                         .with_for_update())
    if row is None or row.used_at is not None or as_utc(row.expires_at) <= now:
        return None
    return row


def use(session: Session, token: str, now: datetime) -> int:
    """Spend the link: the user id it was for; a clear error when it no longer works."""
    row = pending(session, token, now)
    if row is None:
        raise ValidationFailed({"link": "deze link werkt niet meer (al gebruikt of verlopen); "
                                        "vraag een nieuwe aan"}, {"link": "verlopen"})
    row.used_at = now
    return row.user_id


def mail(address: str, name: str, token: str) -> None:
    """Send the link to the user's own address (the configured mail server, or an .eml file
    in the instance folder without one, like every mail of the product), in Dutch and
    French: an account has no language of its own."""
    sender = Sender.from_settings()
    message = EmailMessage()
    message["To"] = address
    message["From"] = sender.address
    message["Subject"] = " / ".join(SUBJECT.values())
    message["Auto-Submitted"] = "auto-generated"
    hours = int(SELF_SERVICE.total_seconds() // 3600)
    message.set_content("\n---\n\n".join(body.format(name=name, link=link(token), hours=hours)
                                          for body in BODY.values()))
    transport_from_settings().send(message)


SUBJECT = {"nl": "Uw wachtwoord voor de klachtendienst",
           "fr": "Votre mot de passe pour le service des plaintes"}
BODY = {
    "nl": ("Beste {name},\n\nIemand vroeg een nieuw wachtwoord aan voor uw account bij de "
           "klachtendienst. Was u dat, open dan deze link (eenmalig, {hours} uur geldig):\n\n"
           "{link}\n\nVroeg u niets aan? Dan hoeft u niets te doen: uw wachtwoord blijft "
           "hetzelfde. Geef deze link aan niemand.\n"),
    "fr": ("Bonjour {name},\n\nQuelqu'un a demandé un nouveau mot de passe pour votre compte "
           "au service des plaintes. Si c'était vous, ouvrez ce lien (une seule fois, valable "
           "{hours} heure(s)) :\n\n{link}\n\nVous n'avez rien demandé ? Vous n'avez rien à "
           "faire : votre mot de passe reste le même. Ne transmettez ce lien à personne.\n"),
}
