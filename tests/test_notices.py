"""Notices: every kind renders in nl and fr through the process, phishing-safe."""

from __future__ import annotations

import pytest
from conftest import Harness

from runner.definition.notice_templates import neutralise
from runner.notices.texts import new_notice_code

PHISHING = {"nl": "nooit uw wachtwoord", "fr": "jamais votre mot de passe"}
NATIONAL = "nationale.klachten@ziekenfonds.example"


def _full_path(harness: Harness, language: str) -> list[dict]:
    harness.submit(taal=language).admissible().at_day(22).investigate().answer()
    harness.message("klager_niet_akkoord", {"reden": "niet akkoord"})
    harness.complete("nationaal_onderzoek", {"uitkomst": "deels gegrond",
                                             "antwoord": "Na herziening deels gegrond."},
                     user="nora")
    return harness.info.notices


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_every_notice_kind_in_both_languages(klachten, language):
    notices = _full_path(Harness(klachten), language)
    refused = Harness(klachten).submit(taal=language, categorie="geen verband")
    refused.complete("ontvankelijkheid_beoordelen", {
        "ontvankelijk": "nee", "reden": "geen_verband",
        "motivatie": "Deze klacht gaat over een ziekenhuis, niet over het ziekenfonds."})
    notices += refused.info.notices
    kinds = {n.kind for n in notices}
    assert kinds == {"ontvangstmelding", "statusbericht", "antwoord", "antwoord_nationaal",
                     "afsluiting", "onontvankelijkheid"}
    for notice in notices:
        assert notice.language == language
        assert notice.code in notice.body
        assert PHISHING[language] in notice.body
        assert "KL-2026-" in notice.body
    for notice in notices:
        if notice.kind in ("antwoord", "antwoord_nationaal"):
            assert NATIONAL in notice.body


def test_french_labels_are_used(klachten):
    notices = _full_path(Harness(klachten), "fr")
    answer = next(n for n in notices if n.kind == "antwoord_nationaal")
    assert "partiellement fondée" in answer.body


@pytest.mark.parametrize(("language", "removed"), [("nl", "[link verwijderd]"),
                                                    ("fr", "[lien supprimé]")])
def test_free_text_is_neutralised(harness, language, removed):
    harness.submit(taal=language).admissible().investigate()
    harness.complete("gemotiveerd_antwoord", {
        "uitkomst": "gegrond",
        "antwoord": "Zie <a href='https://phish.example/login'>hier</a> of www.evil.example nu.",
    })
    text = harness.info.notices[-1].body
    assert "phish.example" not in text and "evil.example" not in text and "<a" not in text
    assert removed in text


def test_neutralise_and_codes():
    assert neutralise("<script>x</script> http://a.b/c ok") == "x [link verwijderd] ok"
    codes = {new_notice_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and not set(c) & set("01OIL") for c in codes)
