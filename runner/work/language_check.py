"""Whether text typed for a member reads like the member's language (nl or fr), so that the
task form warns before a Dutch motivation goes into a French letter.

The guess comes from py3langid (a langid.py model shipped inside the package: no download,
nothing leaves the machine), limited to the procedure's languages. Short texts (a name, a
date, a few words) say too little and are never flagged.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

LANGUAGES = ("nl", "fr")
MIN_WORDS = 4  # fewer words: no guess
MIN_CONFIDENCE = 0.9
_WORD = re.compile(r"[^\W\d_]{2,}")
# Where a form field's text reaches the member: the schema property says so.
TO_MEMBER = "x-naar-klager"


@dataclass(frozen=True)
class LanguageWarning:
    """A field whose text looks like ``detected`` while the member reads ``expected``."""

    field: str
    detected: str
    expected: str


@cache
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_model_file(MODEL_DIR / MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def detect(text: str) -> str | None:
    """``nl`` or ``fr`` when ``text`` clearly reads as one of them, else None (too short,
    or no clear guess)."""
    if len(_WORD.findall(text)) < MIN_WORDS:
        return None
    language, confidence = _identifier().classify(text)
    return language if confidence >= MIN_CONFIDENCE else None


def to_member_fields(schema: dict) -> list[str]:
    """The form's fields whose text reaches the member (property ``x-naar-klager``)."""
    return [name for name, spec in schema.get("properties", {}).items()
            if spec.get(TO_MEMBER)]


def warnings(fields: Mapping[str, str], names: list[str], language: str
             ) -> list[LanguageWarning]:
    """A warning per field of ``names`` whose posted text reads as the other language."""
    found = []
    for name in names:
        detected = detect(fields.get(name, ""))
        if detected and detected != language:
            found.append(LanguageWarning(name, detected, language))
    return found
