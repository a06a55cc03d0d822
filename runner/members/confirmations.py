"""One dossier per posted complaint form, and the access code shown once.

The form page carries a one-time token (:func:`new_form_token`). Posting the form records
the hash of that token with the dossier it made, in the dossier's own transaction, so a
double click, a reload of the POST or "back and send again" finds the same dossier instead
of starting a second one (the primary key refuses a concurrent twin, whose transaction is
rolled back). "Back and send again" loads a fresh form with a new token; the same e-mail
address, name and text within ``SAME_SUBMISSION_WITHIN`` is then recognised by a hash of
them (:func:`content_key`, kept only that long) and leads to the same dossier. The web
session keeps the token, never the access code; the database keeps the code only sealed
with a key derived from the token (which it does not store), for at most
``CODE_SHOWN_WITHIN``, and forgets it the first time the confirmation page shows it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from runner.store import Dossier, FormSubmission

CODE_SHOWN_WITHIN = timedelta(minutes=15)
# "Back and send again" loads a fresh form (pages are never cached), so a second post with
# the same e-mail address, name and text this soon is the same complaint.
SAME_SUBMISSION_WITHIN = timedelta(minutes=30)
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32,100}")


@dataclass(frozen=True)
class Receipt:
    """What a form token leads to: the dossier and, the first time only, its access code."""

    dossier_number: str
    access_code: str | None
    dossier_id: int


def new_form_token() -> str:
    return secrets.token_urlsafe(32)


def usable_token(token: str | None) -> str:
    """The posted token, or a fresh one when it is missing or malformed (such a post is
    simply a new form)."""
    return token if token and _TOKEN.fullmatch(token) else new_form_token()


def _form_key(token: str) -> str:
    return hashlib.sha256(f"klachten-formulier:{token}".encode()).hexdigest()


def _sealer(token: str) -> Fernet:
    digest = hashlib.sha256(f"klachten-bevestiging:{token}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def content_key(data: dict) -> str:
    """The hash of a complaint's e-mail address, name and text (case and spacing aside)."""
    complainant = data.get("klager") or {}
    name = " ".join(str(complainant.get(key) or "") for key in ("voornaam", "achternaam"))
    parts = [str(complainant.get("email") or ""), name, str(data.get("omschrijving") or "")]
    text = "\x1f".join(" ".join(part.split()).lower() for part in parts)
    return hashlib.sha256(f"klachten-inzending:{text}".encode()).hexdigest()


def recorder(token: str, now: datetime, content: str | None = None
             ) -> Callable[[Session, Dossier, str | None], None]:
    """The ``on_created`` hook of ``Klachten.submit``: record the form's submission (a twin
    submission fails here on the primary key, or on ``content``'s unique index) and forget
    codes nobody came to see and content hashes past their window."""
    def record(session: Session, dossier: Dossier, access_code: str | None) -> None:
        session.execute(update(FormSubmission)
                        .where(FormSubmission.created_at <= now - CODE_SHOWN_WITHIN,
                               FormSubmission.sealed_code.is_not(None))
                        .values(sealed_code=None))
        session.execute(update(FormSubmission)
                        .where(FormSubmission.created_at <= now - SAME_SUBMISSION_WITHIN,
                               FormSubmission.content_key.is_not(None))
                        .values(content_key=None))
        sealed = _sealer(token).encrypt(access_code.encode()).decode() if access_code else None
        session.add(FormSubmission(form_key=_form_key(token), dossier_id=dossier.id,
                                   created_at=now, sealed_code=sealed, content_key=content))
        session.flush()
    return record


def same_submission(session: Session, token: str, content: str, now: datetime) -> str | None:
    """The number of the dossier an identical post made within ``SAME_SUBMISSION_WITHIN``;
    this form's token then leads to it too (its confirmation, without the code)."""
    row = session.execute(select(FormSubmission.dossier_id, Dossier.number)
                          .join(Dossier, Dossier.id == FormSubmission.dossier_id)
                          .where(FormSubmission.content_key == content,
                                 FormSubmission.created_at > now - SAME_SUBMISSION_WITHIN)
                          ).first()
    if row is None:
        return None
    session.add(FormSubmission(form_key=_form_key(token), dossier_id=row.dossier_id,
                               created_at=now))
    session.flush()
    return row.number or ""


def submitted_dossier(session: Session, token: str) -> str | None:
    """The number of the dossier this form already made, if it did."""
    return session.scalar(select(Dossier.number)
                          .join(FormSubmission, FormSubmission.dossier_id == Dossier.id)
                          .where(FormSubmission.form_key == _form_key(token)))


def reveal(session: Session, token: str, now: datetime) -> Receipt | None:
    """The dossier of this form and, once and within ``CODE_SHOWN_WITHIN``, its access
    code (forgotten as it is read); None for a token that made no dossier."""
    row = session.execute(select(FormSubmission, Dossier.number)
                          .join(Dossier, Dossier.id == FormSubmission.dossier_id)
                          .where(FormSubmission.form_key == _form_key(token))
                          .with_for_update(of=FormSubmission)).first()
    if row is None:
        return None
    submission, number = row
    code = None
    if submission.sealed_code and submission.created_at > now - CODE_SHOWN_WITHIN:
        try:
            code = _sealer(token).decrypt(submission.sealed_code.encode()).decode()
        except InvalidToken:
            code = None
    submission.sealed_code = None
    return Receipt(number or "", code, submission.dossier_id)

