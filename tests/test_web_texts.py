"""The public side's texts are tested like code: the status-page texts and the public form in
processes/ (the web pages' French catalogue: tests/test_catalogs.py)."""

from __future__ import annotations

import json

from runner.definition.model import default_processes_dir, parse, read_folder

PROCESSES = default_processes_dir()
LANGUAGES = ("nl", "fr")


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

