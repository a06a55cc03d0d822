"""The inadmissibility letter states the recourse; the notices one action makes for a member
by post are one letter (issue 13, item 5)."""

from __future__ import annotations

import io

import pytest
from conftest import Harness
from pypdf import PdfReader

BY_POST = {"voornaam": "Jan", "achternaam": "Claes", "adres": "Markt 2, 2000 Antwerpen"}
RECOURSE = {
    "nl": ("Gaat u niet akkoord met deze beslissing? Dan kunt u zich wenden tot de nationale "
           "klachtenbemiddelaar:", "Nationale klachtenbemiddelaar", "02 000 00 01"),
    "fr": ("Vous n'êtes pas d'accord avec cette décision ? Vous pouvez vous adresser au "
           "médiateur national :", "Médiateur national", "02 000 00 01"),
}


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _inadmissible_by_post(klachten, language: str) -> Harness:
    harness = Harness(klachten).submit(taal=language, klager=BY_POST, kanaal="brief")
    harness.complete("ontvangstmelding_posten", {"gepost_op": "2026-03-02"})
    return harness.complete("ontvankelijkheid_beoordelen", {
        "ontvankelijk": "nee", "reden": "geen_verband",
        "motivatie": "Uw klacht gaat over uw werkgever." if language == "nl"
        else "Votre plainte concerne votre employeur."})


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_the_inadmissibility_states_the_recourse(klachten, language):
    harness = _inadmissible_by_post(klachten, language)
    [notice] = [n for n in harness.info.notices if n.kind == "onontvankelijkheid"]
    for expected in RECOURSE[language]:
        assert expected in notice.body


def test_answer_and_closure_at_one_moment_are_one_letter(klachten):
    harness = _inadmissible_by_post(klachten, "fr")
    [letter] = klachten.post.letters_to_print()
    kinds = {n.code: n.kind for n in harness.info.notices}
    assert [kinds[code] for code in letter["berichten"]] == ["onontvankelijkheid", "afsluiting"]
    text = _pdf_text(klachten.post.letter(harness.number, letter["berichten"][1]).pdf)
    assert text.count("Madame, Monsieur,") == 2  # both notices, one address block
    assert text.count("Markt 2") == 1
    assert "ne peut pas être traitée" in text and "est clôturé" in text
    assert all(code in text for code in letter["berichten"])
    klachten.post.mark_posted(harness.number, letter["berichten"][0], "mia")
    assert klachten.post.letters_to_print() == []
    assert {n.status for n in harness.info.notices} == {"gepost"}
    posted = [e for e in harness.info.audit if e.action == "brief gepost"]
    assert len(posted) == 3  # the acknowledgement, then the two of the one letter


def test_an_email_copy_on_paper_stays_one_notice(klachten):
    harness = Harness(klachten).submit().complete("ontvankelijkheid_beoordelen", {
        "ontvankelijk": "nee", "reden": "geen_verband", "motivatie": "Geen klacht over ons."})
    notices = harness.info.notices
    text = _pdf_text(klachten.post.letter(harness.number, notices[1].code).pdf)
    assert notices[1].code in text and notices[2].code not in text
