"""The runner's phrases in the reader's language: Babel catalogs of the ``klachten`` domain.

The phrases are written in Dutch in the code (the msgids); French lives in
``runner/translations/fr/LC_MESSAGES/klachten.po`` with its compiled ``.mo`` beside it
(a test fails on a missing translation and on a stale ``.mo``). Dutch, and any language
without a catalog, reads the msgids themselves. The web has its own catalogs
(``web/translations``); the runner never imports ``web/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

DOMAIN = "klachten"
CATALOGS = Path(__file__).resolve().parent / "translations"


@cache
def translations(language: str) -> NullTranslations:
    """The catalog of ``language`` (nl or fr); the Dutch msgids when it has none. Call its
    ``gettext`` and ``ngettext`` with the literal Dutch phrase, so that extraction finds it:
    ``translations(language).gettext("vandaag")``."""
    return Translations.load(str(CATALOGS), [language], DOMAIN)


def N_(message: str) -> str:
    """Mark a phrase for the catalog where it is defined; it is translated where it is used."""
    return message
