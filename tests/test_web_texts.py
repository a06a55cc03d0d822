"""The public side's texts are tested like code: the status-page texts and the public form in
processes/, and the French catalogue of the web pages (complete, compiled, same
placeholders)."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from runner.definition.model import default_processes_dir, parse, read_folder

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = default_processes_dir()
CATALOGUE = ROOT / "web" / "translations" / "fr" / "LC_MESSAGES"
LANGUAGES = ("nl", "fr")
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _json(name: str) -> dict:
    return json.loads((PROCESSES / name).read_text(encoding="utf-8"))


def _notice_kinds() -> set[str]:
    folder = PROCESSES / "notices" / "nl"
    return {p.stem for p in folder.glob("*.txt") if not p.stem.startswith("_")}


def test_status_texts_cover_every_step_notice_kind_and_language():
    texts = _json("statuspagina.json")
    steps = {str(n) for n in range(1, 9)} | {"afgesloten", "ingetrokken"}
    assert set(texts["stappen"]) == steps
    for part in ("stappen", "elementen"):
        for key, entry in texts[part].items():
            for language in LANGUAGES:
                assert entry[language]["titel"] and entry[language]["uitleg"], (key, language)
    assert _notice_kinds() <= set(texts["berichten"])
    for key, entry in texts["berichten"].items():
        assert all(entry[language] for language in LANGUAGES), key


def test_status_text_elements_exist_in_the_diagram():
    model = parse(read_folder(PROCESSES))
    names = {spec.name for spec in model.all_task_specs()}
    assert set(_json("statuspagina.json")["elementen"]) <= names


def test_public_form_offers_known_categories_with_labels():
    category = _json("forms/klacht_publiek.json")["properties"]["categorie"]
    known = set(_json("instellingen.json")["categorieen"])
    assert set(category["enum"]) <= known and "geen verband" not in category["enum"]
    for language in LANGUAGES:
        assert set(category["x-labels"][language]) == set(category["enum"])


def _source_messages() -> set[str]:
    method_map = [("web/**.py", "python"), ("web/templates/**.html", "jinja2")]
    keywords = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None}
    return {message for _, _, message, *_ in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords) if isinstance(message, str)}


@pytest.fixture(scope="module")
def french():
    with (CATALOGUE / "messages.po").open("rb") as handle:
        return read_po(handle, locale="fr")


def test_every_page_string_has_a_french_translation(french):
    messages = _source_messages()
    assert len(messages) > 100
    missing = sorted(m for m in messages if not (french.get(m) and french.get(m).string))
    assert not missing, f"vertaal in {CATALOGUE / 'messages.po'}: {missing}"
    fuzzy = [m.id for m in french if m.id and m.fuzzy]
    assert not fuzzy
    for message in messages:
        translated = french.get(message).string
        assert sorted(PLACEHOLDER.findall(message)) == sorted(PLACEHOLDER.findall(translated))


def test_compiled_catalogue_matches_the_po_file(french):
    compiled = io.BytesIO()
    write_mo(compiled, french)
    with (CATALOGUE / "messages.mo").open("rb") as handle:
        committed = read_mo(handle)
    assert {m.id: m.string for m in committed if m.id} == \
        {m.id: m.string for m in read_mo(io.BytesIO(compiled.getvalue())) if m.id}, \
        "pybabel compile -d web/translations"
