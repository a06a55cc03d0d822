"""One translation mechanism: every phrase people read is in a Babel catalog, Dutch in the
code and French in the catalog, for the web pages (``web/translations``, domain
``messages``) and for the runner (``runner/translations``, domain ``klachten``: deadline
explanations and the like). Both French catalogs are complete, current and compiled."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from runner.deadlines.display import ShownDeadline
from runner.i18n import translations

ROOT = Path(__file__).resolve().parent.parent
# %(name)s in the web's phrases, {name} in the runner's.
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


@dataclass(frozen=True)
class Domain:
    """A gettext domain of the product: its extraction config and its French catalog."""

    package: str
    domain: str
    keywords: tuple[str, ...] = ()

    @property
    def folder(self) -> Path:
        return ROOT / self.package / "translations" / "fr" / "LC_MESSAGES"

    def catalog(self) -> Catalog:
        with (self.folder / f"{self.domain}.po").open("rb") as handle:
            return read_po(handle, locale="fr")

    def source_messages(self) -> set[str | tuple[str, ...]]:
        """The msgids that ``pybabel extract -F <package>/babel.cfg`` finds."""
        with (ROOT / self.package / "babel.cfg").open(encoding="utf-8") as handle:
            method_map, options_map = parse_mapping_cfg(handle)
        keywords = {**DEFAULT_KEYWORDS, **dict.fromkeys(self.keywords)}
        return {message for _, _, message, *_ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords)}


WEB = Domain("web", "messages", keywords=("_l", "lazy_gettext"))
RUNNER = Domain("runner", "klachten")
DOMAINS = pytest.mark.parametrize("domain", [WEB, RUNNER], ids=lambda d: d.package)


def _key(message: str | tuple[str, ...]) -> str:
    return _forms(message)[0]


def _placeholders(text: str) -> list[str]:
    return sorted("".join(groups) for groups in PLACEHOLDER.findall(text))


def _forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """A msgid or msgstr as its forms: one, or one per plural form."""
    return (value,) if isinstance(value, str) else tuple(value)


def _translated(entry: Message | None) -> bool:
    return entry is not None and not entry.fuzzy and all(_forms(entry.string or ""))


@DOMAINS
def test_every_phrase_has_a_french_translation(domain):
    french, messages = domain.catalog(), domain.source_messages()
    assert messages
    missing = sorted(_key(m) for m in messages if not _translated(french.get(_key(m))))
    assert not missing, f"vertaal in {domain.folder / domain.domain}.po: {missing}"


@DOMAINS
def test_french_phrases_keep_the_placeholders(domain):
    for entry in domain.catalog():
        if not entry.id:
            continue
        expected = _placeholders(_forms(entry.id)[-1])
        assert all(_placeholders(text) == expected for text in _forms(entry.string)), entry.id


def test_the_runners_catalog_holds_no_phrase_the_code_no_longer_says():
    source = {_key(m) for m in RUNNER.source_messages()}
    assert {_key(entry.id) for entry in RUNNER.catalog() if entry.id} == source, (
        "pybabel update (see Translations in docs/members.md)")


@DOMAINS
def test_compiled_catalog_matches_the_po_file(domain):
    compiled = io.BytesIO()
    write_mo(compiled, domain.catalog())
    with (domain.folder / f"{domain.domain}.mo").open("rb") as handle:
        committed = read_mo(handle)
    assert _entries(committed) == _entries(read_mo(io.BytesIO(compiled.getvalue()))), \
        f"pybabel compile -d {domain.package}/translations -D {domain.domain}"


def _entries(catalog: Catalog) -> dict[tuple[str, ...], tuple[str, ...]]:
    return {_forms(m.id): _forms(m.string) for m in catalog if m.id}


def test_the_runner_reads_dutch_from_the_code_and_french_from_its_catalog():
    assert translations("nl").gettext("vandaag") == "vandaag"
    assert translations("fr").gettext("vandaag") == "aujourd'hui"


@pytest.mark.parametrize(("days_left", "language", "seen"), [
    (1, "nl", "nog 1 dag"), (3, "nl", "nog 3 dagen"), (-1, "nl", "1 dag te laat"),
    (1, "fr", "encore 1 jour"), (3, "fr", "encore 3 jours"), (-2, "fr", "2 jours de retard"),
])
def test_plural_forms_follow_the_language(days_left, language, seen):
    assert ShownDeadline(date(2026, 12, 15), days_left).remaining(language) == seen
