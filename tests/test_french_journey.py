"""A French member's complete journey, by e-mail and by letter: every notice and every PDF
letter is French, with no Dutch text except names (issue 13, acceptance)."""

from __future__ import annotations

import io
import re

import pytest
from conftest import Harness
from pypdf import PdfReader

from runner.work.language_check import detect

NAME = {"voornaam": "Chloé", "achternaam": "Lefèvre-Dubois"}
ADDRESS = "Rue de l'Église 12, 1000 Bruxelles"
# Words that are Dutch and not French; an address or a name may hold none of them here.
DUTCH = re.compile(r"(?i)\b(het|uw|wij|niet|van|voor|met|naar|bij|zijn|wordt|klacht|klager|"
                   r"geachte|beste|mevrouw|heer|verwijderd|toegangscode|berichtcode|"
                   r"dossiernummer|statuspagina|ontvangst|termijn|afgesloten|pagina|datum|"
                   r"ziekenfonds|nationale|klachtenbemiddelaar|brussel|gegrond)\b")
ADDRESSES = re.compile(r"\S+@\S+|https?://\S+")


def assert_french(text: str, where: str) -> None:
    plain = ADDRESSES.sub(" ", text)
    for name in (*NAME.values(), "Chloé Lefèvre-Dubois"):
        plain = plain.replace(name, " ")
    assert not DUTCH.findall(plain), (where, DUTCH.findall(plain))
    for line in plain.splitlines():
        found = detect(line)
        assert found is None or found == "fr", (where, line)


def _journey(klachten, **complainant) -> Harness:
    by_post = "email" not in complainant
    harness = Harness(klachten).submit(taal="fr", klager={**NAME, **complainant},
                                       kanaal="brief" if by_post else "web")
    if by_post:
        harness.complete("ontvangstmelding_posten", {"gepost_op": "2026-03-02"})
    harness.admissible().at_day(21).investigate()
    harness.complete("gemotiveerd_antwoord", {
        "uitkomst": "ongegrond", "antwoord": "Le remboursement a été calculé correctement.",
        "advies": "Demandez une attestation à votre kinésithérapeute."})
    harness.message("klager_niet_akkoord", {"reden": "Je ne suis pas d'accord."})
    harness.at_day(43)
    harness.complete("nationaal_onderzoek", {
        "uitkomst": "deels gegrond", "antwoord": "Après réexamen, la plainte est en partie "
        "fondée : nous remboursons la différence."}, user="nora")
    harness.recommend()
    return harness


EVERY_KIND = ["ontvangstmelding", "statusbericht", "antwoord", "statusbericht",
              "antwoord_nationaal", "afsluiting"]


def test_by_email_every_notice_is_french(klachten):
    harness = _journey(klachten, email="chloe.dubois@example.be")
    notices = harness.info.notices
    assert [n.kind for n in notices] == EVERY_KIND
    for notice in notices:
        assert notice.language == "fr" and notice.channel == "email"
        assert_french(f"{notice.subject}\n{notice.body}", notice.kind)
        assert notice.body.split("\n\n")[0] == "Madame, Monsieur,"


@pytest.mark.parametrize("copy", [False, True], ids=["letters", "paper_copies"])
def test_by_letter_every_pdf_is_french(klachten, copy):
    contact = {"email": "chloe.dubois@example.be"} if copy else {}
    harness = _journey(klachten, adres=ADDRESS, **contact)
    notices = harness.info.notices
    assert [n.kind for n in notices] == EVERY_KIND
    for notice in notices:
        pdf = klachten.post.letter(harness.number, notice.code).pdf
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
        assert "MUTUALITÉ" in text and "Madame, Monsieur," in text and "Page 1 sur" in text
        assert "Rue de l'Église 12" in text and notice.code in text
        assert_french(text, notice.kind)
