"""Access codes sealed for the outbox: encrypted with a key derived from the secret key,
which lives outside the database (``KLACHTEN_SECRET_KEY`` or the instance's key file).

A copy of the database (a backup, a local reader of the files) then holds no access code
that opens a status page: the acknowledgement waiting in the outbox carries a placeholder
and the code sealed beside it, filled in only when the e-mail is built or the letter is
printed (ADR 8).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from runner.errors import SealUnreadable

_PURPOSE = b"klachten: toegangscode in de outbox"


class CodeSeal:
    """Fernet (AES-128-CBC with HMAC-SHA256) under a key derived from the secret key."""

    def __init__(self, secret: str):
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=_PURPOSE).derive(secret.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, code: str) -> str:
        return self._fernet.encrypt(code.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode("ascii")).decode()
        except (InvalidToken, ValueError):
            raise SealUnreadable("de toegangscode kan niet ontsleuteld worden: is de geheime "
                                 "sleutel (KLACHTEN_SECRET_KEY) veranderd?") from None
