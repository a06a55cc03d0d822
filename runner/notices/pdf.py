"""The A4 page every printed document shares: the fonts shipped in ``fonts/``, text shaping
and page numbers, for the letters, the report PDF and the access-request PDF alike.

The text font is Noto Sans (Latin with its accents, the euro sign and typographic quotes,
Greek, Cyrillic); what it lacks comes from Noto Sans Arabic, Hebrew, Armenian or Georgian
(the scripts the former system font, DejaVu Sans, covered too). Text is shaped
(HarfBuzz), so that scripts joining their letters come out joined, and runs of
right-to-left text are placed by the Unicode bidi algorithm inside left-to-right
paragraphs. The fonts are files of the package (see ``fonts/README.md``): every host prints
the same bytes, whatever fonts it has installed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib.resources import as_file, files
from typing import Any

from fpdf import FPDF
from fpdf.fonts import TTFFont
from fpdf.line_break import TextLine

FONT = "tekst"
# Family: (regular, bold) files in fonts/, tried in this order for a character FONT lacks.
FALLBACK_FONTS = {
    script: (f"NotoSans{script.title()}-Regular.ttf", f"NotoSans{script.title()}-Bold.ttf")
    for script in ("arabic", "hebrew", "armenian", "georgian")}
FONT_FILES = {FONT: ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"), **FALLBACK_FONTS}
# nl and fr read left to right: a paragraph keeps that direction, whatever its first letter,
# and a right-to-left run inside it (an Arabic name or phrase) is placed by the bidi algorithm.
DIRECTION = "ltr"


class PagedPdf(FPDF):
    """An A4 page in mm with "page n of m" at the foot, in ``FONT``."""

    def __init__(self, page_label: str, foot: float = 15.0):
        super().__init__(format="A4", unit="mm")
        self.page_label, self.foot = page_label, foot

    def footer(self) -> None:
        self.set_y(-self.foot)
        self.set_font(FONT, size=8)
        text = self.page_label.format(pagina=self.page_no(), totaal="{nb}")
        self.cell(0, 4, text, align="R")

    def _render_styled_text_line(self, text_line: TextLine, *args: Any, **kwargs: Any) -> bool:
        """The font goes on the page before a line's text: fpdf2 2.8.9 sets it inside the
        line's q/Q pair when the line starts in a fallback font (an Arabic name first), and
        the lines after it then print in the size that was set before (py-pdf/fpdf2#1772)."""
        if not self.current_font_is_set_on_page and self.current_font is not None:
            self._out(self._set_font_for_page(self.current_font, self.font_size_pt))
        return super()._render_styled_text_line(text_line, *args, **kwargs)


@contextmanager
def paged_pdf(page_label: str, language: str, foot: float = 15.0) -> Iterator[PagedPdf]:
    """A ``PagedPdf`` in ``language`` with the shipped fonts and shaping set up; the font
    files are closed when the block ends (fontTools reads them lazily and keeps them open)."""
    pdf = PagedPdf(page_label, foot)
    with ExitStack() as stack:
        stack.callback(_close_fonts, pdf)
        for family, faces in FONT_FILES.items():
            for style, name in zip(("", "B"), faces, strict=True):
                path = stack.enter_context(as_file(files("runner.notices") / "fonts" / name))
                pdf.add_font(family, style, path)
        pdf.set_fallback_fonts(list(FALLBACK_FONTS), exact_match=False)
        pdf.set_text_shaping(True, direction=DIRECTION)
        pdf.set_lang(language)
        yield pdf


def _close_fonts(pdf: FPDF) -> None:
    for font in pdf.fonts.values():
        if isinstance(font, TTFFont):
            font.ttfont.close()
