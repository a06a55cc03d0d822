"""The member's access code to the status page: made, hashed, verified, filled into a notice
as it leaves and redacted from the copy kept (ADR 0003, ADR 8)."""

from __future__ import annotations

import hashlib
import re
import secrets

from runner.i18n import N_, translations

_ACCESS_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
ACCESS_CODE_LENGTH = 12  # 31**12: about 59 bits


def hash_access_code(code: str, salt: str | None = None) -> str:
    """Salted SHA-256. The code is random with about 59 bits, so a slow hash adds little."""
    salt = salt or secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}:{normalise_access_code(code)}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def normalise_access_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").upper()


def verify_access_code(code: str, stored: str) -> bool:
    _, salt, _ = stored.split("$", 2)
    return secrets.compare_digest(hash_access_code(code, salt), stored)


_CODE_GROUP = f"[{_ACCESS_CODE_ALPHABET}]{{4}}"
ACCESS_CODE_SHAPE = re.compile(rf"\b{_CODE_GROUP}-{_CODE_GROUP}-{_CODE_GROUP}\b")
# In the notice's language where it is used (the member reads the stored copy on a reprint).
ACCESS_CODE_REDACTED = N_("[toegangscode verwijderd na verzending]")


# What a stored notice holds where its access code goes; filled in when it leaves (ADR 8).
# The code's shape without a word, so that it reads the same in every notice language.
ACCESS_CODE_PLACEHOLDER = "[****-****-****]"


def fill_in_access_code(text: str, code: str) -> str:
    """The notice as it leaves: the placeholder replaced by the (unsealed) access code."""
    return text.replace(ACCESS_CODE_PLACEHOLDER, code)


def delivered_copy(text: str, stored: str | None, language: str = "nl") -> str:
    """What the outbox keeps of a notice that left: no access code, and no placeholder."""
    redacted = translations(language).gettext(ACCESS_CODE_REDACTED)
    return redact_access_code(text.replace(ACCESS_CODE_PLACEHOLDER, redacted), stored,
                              language)


def redact_access_code(text: str, stored: str | None, language: str = "nl") -> str:
    """``text`` without the dossier's access code (ADR 0003): once the acknowledgement has
    been delivered, the stored copy no longer holds it. Only a value that verifies against
    the dossier's hash is removed."""
    if not stored:
        return text
    return ACCESS_CODE_SHAPE.sub(
        lambda match: (translations(language).gettext(ACCESS_CODE_REDACTED)
                       if verify_access_code(match[0], stored) else match[0]),
        text)


def new_access_code() -> str:
    raw = "".join(secrets.choice(_ACCESS_CODE_ALPHABET) for _ in range(ACCESS_CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, ACCESS_CODE_LENGTH, 4))
