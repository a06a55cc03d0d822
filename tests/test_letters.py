"""PDF letters: the text a reader extracts, the window envelope, the print-and-post flow."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from conftest import Harness
from pdf_fonts import ARABIC_NAME, assert_arabic_shaped, runs
from pypdf import PdfReader

from runner.bpmn.errors import Conflict
from runner.cli import main
from runner.notices.access_codes import ACCESS_CODE_REDACTED
from runner.service import Klachten

MM = 72 / 25.4  # PDF points per millimetre
APOSTROPHE = "\u2019"  # not in Latin-1: the PDF core fonts would lose it
PAPER = {
    "nl": ({"voornaam": "Ëlise", "achternaam": f"D{APOSTROPHE}Hondt-Peeters",
            "adres": "Brouwerijstraat 5 bus 2, 9000 Gent"},
           [f"Ëlise D{APOSTROPHE}Hondt-Peeters", "Brouwerijstraat 5 bus 2", "9000 Gent"],
           "Wij hebben uw klacht goed ontvangen op 2 maart 2026", "Dossiernummer"),
    "fr": ({"voornaam": "Zoë", "achternaam": "Lefèvre-Garçon",
            "adres": f"Rue de l{APOSTROPHE}Église 12, 1000 Bruxelles"},
           ["Zoë Lefèvre-Garçon", f"Rue de l{APOSTROPHE}Église 12", "1000 Bruxelles"],
           "Nous avons bien reçu votre plainte le 2 mars 2026", "Numéro de dossier"),
}


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _by_paper(klachten: Klachten, language: str) -> Harness:
    return Harness(klachten).submit(taal=language, klager=PAPER[language][0], kanaal="brief")


@pytest.mark.parametrize("language", ["nl", "fr"])
def test_letter_text_with_accents(klachten, language):
    harness = _by_paper(klachten, language)
    [notice] = harness.info.notices
    assert (notice.channel, notice.status) == ("brief", "te printen")
    letter = klachten.post.letter(harness.number, notice.code)
    assert letter.pdf.startswith(b"%PDF") and letter.filename == \
        f"{harness.number}-{notice.code}.pdf"
    text = _text(letter.pdf)
    _, lines, opening, label = PAPER[language]
    logo = {"nl": "ZIEKENFONDS", "fr": "MUTUALITÉ"}[language]  # the letterhead's language
    for expected in [*lines, opening, label, harness.number, notice.code, logo]:
        assert expected in text
    assert harness.access_code in text  # the acknowledgement tells the code, once


def test_address_sits_in_the_envelope_window(klachten):
    """DIN 5008 / C5 window: 20 mm from the left, from 45 mm to 90 mm below the top."""
    harness = _by_paper(klachten, "nl")
    letter = klachten.post.letter(harness.number, harness.info.notices[0].code)
    page = PdfReader(io.BytesIO(letter.pdf)).pages[0]
    height = float(page.mediabox.height)
    placed: dict[str, tuple[float, float]] = {}

    def visit(text, cm, tm, font, size):
        if text.strip():
            placed.setdefault(text.strip(), (tm[4] / MM, (height - tm[5]) / MM))

    page.extract_text(visitor_text=visit)
    for line in PAPER["nl"][1]:
        left, top = placed[line]
        assert 20 <= left <= 25 and 50 <= top <= 90, (line, left, top)


def test_print_and_post_task_posts_its_letter(klachten):
    harness = _by_paper(klachten, "nl")
    task = harness.task("ontvangstmelding_posten")
    code = klachten.post.task_letter(task.id)
    assert code == harness.info.notices[0].code
    assert [n["code"] for n in klachten.post.letters_to_print()] == [code]
    harness.complete("ontvangstmelding_posten", {"gepost_op": "2026-03-03"})
    [notice] = harness.info.notices
    assert notice.status == "gepost" and notice.sent_at
    assert harness.access_code not in notice.body and ACCESS_CODE_REDACTED in notice.body
    assert klachten.post.letters_to_print() == []
    assert "brief gepost" in [entry.action for entry in harness.info.audit]


def test_other_letters_wait_in_the_print_queue(klachten):
    harness = _by_paper(klachten, "fr")
    harness.complete("ontvangstmelding_posten", {"gepost_op": "2026-03-03"})
    harness.admissible().investigate().answer()
    answer = harness.info.notices[-1]
    assert (answer.kind, answer.status) == ("antwoord", "te printen")
    assert "nationale.klachten@ziekenfonds.example" in _text(
        klachten.post.letter(harness.number, answer.code).pdf)
    klachten.post.mark_posted(harness.number, answer.code, "mia")
    klachten.post.mark_posted(harness.number, answer.code, "mia")  # twice changes nothing
    assert harness.info.notices[-1].status == "gepost"
    assert klachten.post.letters_to_print() == []


def test_a_copy_on_paper_of_an_email(klachten):
    harness = Harness(klachten).submit()  # e-mail and postal address known
    [notice] = harness.info.notices
    text = _text(klachten.post.letter(harness.number, notice.code).pdf)
    assert "Kerkstraat 1" in text and "9000 Gent" in text
    with pytest.raises(Conflict, match="geen brief te posten"):
        klachten.post.mark_posted(harness.number, notice.code, "mia")
    email_only = Harness(klachten).submit(klager={"email": "an@example.be"})
    with pytest.raises(Conflict, match="geen postadres"):
        klachten.post.letter(email_only.number, email_only.info.notices[0].code)


def test_letter_commands(klachten, database_url, tmp_path, monkeypatch):
    harness = _by_paper(klachten, "nl")
    code = harness.info.notices[0].code
    monkeypatch.setenv("KLACHTEN_DATABASE_URL", database_url)
    monkeypatch.setenv("KLACHTEN_CLOCK", "virtual")
    runner = CliRunner()
    listed = runner.invoke(main, ["letters"])
    assert f"{harness.number}  {code}  ontvangstmelding" in listed.output
    target = tmp_path / "brief.pdf"
    written = runner.invoke(main, ["letter", harness.number, code, "-o", str(target)])
    assert written.exit_code == 0 and harness.number in _text(target.read_bytes())
    posted = runner.invoke(main, ["posted", harness.number, code, "--user", "mia"])
    assert posted.exit_code == 0 and "gepost" in posted.output
    unknown = runner.invoke(main, ["letter", harness.number, "ONBEKEND"])
    assert unknown.exit_code == 1 and "geen bericht met code ONBEKEND" in unknown.output


def _arabic_letter(klachten) -> bytes:
    harness = Harness(klachten).submit(taal="fr", kanaal="brief", klager={
        "voornaam": "محمد", "achternaam": "العلوي",
        "adres": "شارع الملك 12, 1000 Bruxelles, Belgique"})
    harness.complete("ontvangstmelding_posten", {"gepost_op": "2026-03-02"})
    harness.admissible().investigate().complete("gemotiveerd_antwoord", {
        "uitkomst": "gegrond",
        "antwoord": f"Nous avons parlé avec {ARABIC_NAME} au guichet ; 12 ؋ remboursés."})
    answer = next(n for n in harness.info.notices if n.kind == "antwoord")
    return klachten.post.letter(harness.number, answer.code).pdf


def test_arabic_is_shaped_in_the_shipped_font(klachten):
    """Unshaped, the name comes out as isolated letters (one glyph per letter); shaped, its
    letters take their joined forms from the shipped Noto Sans Arabic, and a reader copies
    each word as written."""
    pdf = _arabic_letter(klachten)
    assert_arabic_shaped(pdf, ARABIC_NAME)
    assert_arabic_shaped(pdf, "شارع الملك")
    text = _text(pdf)
    assert "Nous avons parlé avec" in text and "au guichet" in text
    assert "12 ؋ remboursés" in text  # the Afghani sign: Noto Sans Arabic, not Noto Sans


def test_the_address_after_an_arabic_line_keeps_its_size(klachten):
    """fpdf2 2.8.9 put the page's font inside the q/Q of a line starting in Arabic: the lines
    after it printed at the return line's 7 pt, with a gap where the font kerned "xe"."""
    sizes = {text.strip(): size for text, _, size in runs(_arabic_letter(klachten))}
    assert sizes["1000 Bruxelles"] == sizes["Belgique"] == 10


@pytest.mark.parametrize(("name", "font"), [("שרה כהן", "NotoSansHebrew"),
                                           ("Անահիտ Պետրոսյան", "NotoSansArmenian"),
                                           ("ნინო ბერიძე", "NotoSansGeorgian")])
def test_names_in_the_other_scripts_the_former_system_font_had(klachten, name, font):
    """DejaVu Sans, the host font letters used before, had Hebrew, Armenian and Georgian:
    such a name still prints, from the shipped Noto font of its script."""
    first, last = name.split()
    harness = Harness(klachten).submit(taal="nl", kanaal="brief", klager={
        "voornaam": first, "achternaam": last, "adres": "Kerkstraat 1, 2000 Antwerpen"})
    pdf = klachten.post.letter(harness.number, harness.info.notices[0].code).pdf
    assert {text.strip() for text, used, _ in runs(pdf) if used == font} >= set(name.split())


def test_the_dossier_page_offers_a_letter_only_where_one_can_be_made(klachten, staff):
    """A mediator sees "Brief (PDF)" for an e-mail with a postal address, and a reason
    instead of a link that would fail for one without; a refused letter says why in words
    for staff, not the member's "see the status page"."""
    with_address = Harness(klachten).submit()
    email_only = Harness(klachten).submit(klager={"email": "an@example.be"})
    staff.login("mia")
    page = staff.get(f"/bemiddeling/dossiers/{with_address.number}").get_data(as_text=True)
    code = with_address.info.notices[0].code
    assert f"/brieven/{code}.pdf" in page
    assert staff.get(f"/bemiddeling/dossiers/{with_address.number}/brieven/{code}.pdf"
                     ).mimetype == "application/pdf"
    page = staff.get(f"/bemiddeling/dossiers/{email_only.number}").get_data(as_text=True)
    assert ".pdf" not in page and "Brief (PDF)" not in page
    assert "Geen brief mogelijk: er is geen postadres van de klager bekend." in page
    code = email_only.info.notices[0].code
    refused = staff.get(f"/bemiddeling/dossiers/{email_only.number}/brieven/{code}.pdf")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "geen postadres van de klager bekend" in text and "statuspagina" not in text
    assert "laad de dossierpagina opnieuw" in text
