"""PDF letters: a notice on paper, for a complainant without e-mail or on request.

An A4 letter in the fund's letterhead (``ziekenfonds`` in ``instellingen.json``), with the
address block where a window envelope shows it (DIN 5008 / C5 and C4 windows: 20 mm from
the left edge, from 45 mm below the top: a return line, then the address from 50 mm), the
date, dossier number and notice code beside it, then the subject and the text. Labels come
from ``labels.json`` of the notice's language (key ``brief``).

The text is set in the fonts shipped with the package (``runner.notices.pdf``: Noto Sans,
Noto Sans Arabic for an Arabic name or phrase, shaped): the PDF core fonts are Latin-1 only
and would lose the curly apostrophe (U+2019) and the euro sign that a motivated answer may
hold. A letter is rendered on demand from the outbox row; no PDF with personal data is
kept on disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from fpdf import FPDF

from runner.bpmn.errors import ModelError
from runner.notices.pdf import DIRECTION, FONT, paged_pdf
from runner.notices.texts import localised

if TYPE_CHECKING:
    from runner.definition.model import Model
    from runner.store import Notice

LETTER_LABELS = ("datum", "dossiernummer", "berichtcode", "pagina")
LEFT, RIGHT_COLUMN, WIDTH = 20.0, 125.0, 170.0  # mm on A4 (210 mm wide)
RETURN_LINE_TOP, ADDRESS_TOP, ADDRESS_WIDTH, ADDRESS_LINES = 45.0, 50.0, 85.0, 8
SUBJECT_TOP = 100.0
LINE = 5.0


@dataclass(frozen=True)
class Letterhead:
    """The fund as it prints itself: logo text, name, address, how to reach it."""

    logo: str
    name: str
    address: str
    email: str = ""
    phone: str = ""

    @classmethod
    def from_settings(cls, model_settings: dict, language: str) -> Letterhead:
        """The fund in ``language`` (``ziekenfonds`` in ``instellingen.json``)."""
        fund = localised(model_settings, "ziekenfonds", language)
        return cls(logo=fund.get("logo_tekst") or fund.get("naam", ""),
                   name=fund.get("naam", ""), address=fund.get("adres", ""),
                   email=fund.get("email", ""), phone=fund.get("telefoon", ""))


@dataclass(frozen=True)
class LetterText:
    """The notices of one mailing as a letter: to whom, when, which dossier and codes, and
    each notice's subject and text (several notices of one action go in one envelope)."""

    language: str
    address: str  # name and postal address; lines split on newlines and commas
    date: str  # in words, in the letter's language
    dossier_number: str
    code: str  # the notice codes, comma-separated
    parts: tuple[tuple[str, str], ...]  # (subject, text) per notice
    labels: dict[str, str]
    created_at: datetime


@dataclass(frozen=True)
class Letter:
    filename: str
    pdf: bytes


def notice_letter(model: Model, notices: Sequence[Notice], dossier_number: str,
                  address: str, bodies: Sequence[str] | None = None) -> Letter:
    """The notices of one mailing (one, or those one action made for a member by post) as
    one letter, with the labels, date words and letterhead of the definition version they
    were written with, in their language; ``bodies`` are their texts as they leave (with
    the access code filled in; by default the stored texts)."""
    notice = notices[0]
    bodies = bodies if bodies is not None else [n.body for n in notices]
    renderer = model.notices(notice.language)
    text = LetterText(
        language=notice.language, address=address,
        date=renderer.date_text(notice.created_at.astimezone(model.timezone).date()),
        dossier_number=dossier_number, code=", ".join(n.code for n in notices),
        parts=tuple((n.subject, body) for n, body in zip(notices, bodies, strict=True)),
        labels=letter_labels(renderer.labels), created_at=notice.created_at,
    )
    pdf = render_letter(Letterhead.from_settings(model.settings, notice.language), text)
    return Letter(f"{dossier_number}-{notice.code}.pdf", pdf)


def letter_labels(labels: dict) -> dict[str, str]:
    """The ``brief`` labels of a language's ``labels.json``; a missing one is a model error."""
    found = labels.get("brief", {})
    missing = [key for key in LETTER_LABELS if not found.get(key)]
    if missing:
        raise ModelError(f"labels.json: brief.{', brief.'.join(missing)} ontbreekt")
    return found


def address_lines(block: str) -> list[str]:
    """An address block as lines: one per line of the block, and a comma starts a new one
    ("Kerkstraat 1, 9000 Gent" is two lines on the envelope)."""
    lines = [part.strip() for line in block.splitlines() for part in line.split(",")]
    return [line for line in lines if line][:ADDRESS_LINES]


def render_letter(head: Letterhead, text: LetterText) -> bytes:
    """The letter as PDF bytes."""
    with paged_pdf(text.labels["pagina"], text.language) as pdf:
        pdf.set_title(text.parts[0][0])
        pdf.set_author(head.name)
        pdf.set_creation_date(text.created_at)
        pdf.set_margins(LEFT, 15, 210 - LEFT - WIDTH)
        pdf.set_auto_page_break(True, margin=25)
        pdf.add_page()
        _letterhead(pdf, head)
        _address(pdf, head, text)
        _reference(pdf, text)
        _content(pdf, text)
        return bytes(pdf.output())


def _letterhead(pdf: FPDF, head: Letterhead) -> None:
    pdf.set_xy(LEFT, 15)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 8, head.logo, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 9)
    pdf.cell(0, 4.5, head.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.cell(0, 4.5, head.address, new_x="LMARGIN", new_y="NEXT")
    contact = " · ".join(part for part in (head.email, head.phone) if part)
    if contact:
        pdf.cell(0, 4.5, contact, new_x="LMARGIN", new_y="NEXT")


def _address(pdf: FPDF, head: Letterhead, text: LetterText) -> None:
    """The return line and the address block, inside the envelope's window."""
    pdf.set_xy(LEFT, RETURN_LINE_TOP)
    pdf.set_font(FONT, size=7)
    pdf.cell(ADDRESS_WIDTH, 4, f"{head.name} · {head.address}")
    pdf.set_font(FONT, size=10)
    pdf.set_text_shaping(True, direction=None)  # an address line reads in its own script
    for index, line in enumerate(address_lines(text.address)):
        pdf.set_xy(LEFT, ADDRESS_TOP + index * LINE)
        pdf.cell(ADDRESS_WIDTH, LINE, line)
    pdf.set_text_shaping(True, direction=DIRECTION)


def _reference(pdf: FPDF, text: LetterText) -> None:
    rows = ((text.labels["datum"], text.date),
            (text.labels["dossiernummer"], text.dossier_number),
            (text.labels["berichtcode"], text.code))
    for index, (label, value) in enumerate(rows):
        pdf.set_xy(RIGHT_COLUMN, ADDRESS_TOP + index * LINE)
        pdf.set_font(FONT, size=8)
        pdf.cell(30, LINE, label)
        pdf.set_font(FONT, "B", 10)
        pdf.cell(35, LINE, value)


def _content(pdf: FPDF, text: LetterText) -> None:
    pdf.set_xy(LEFT, SUBJECT_TOP)
    for index, (subject, body) in enumerate(text.parts):
        if index:
            pdf.ln(8)
        pdf.set_font(FONT, "B", 11)
        pdf.multi_cell(WIDTH, 6, subject, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(WIDTH, LINE, body.strip("\n"), align="L",
                       new_x="LMARGIN", new_y="NEXT")
