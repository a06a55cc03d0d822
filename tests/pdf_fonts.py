"""What a PDF shows a reader, font by font: the text runs with their font and size, and per
embedded font the glyphs that stand for each character (shaped Arabic draws one letter in
several forms: initial, medial, final)."""

from __future__ import annotations

import io
import re
from collections import Counter

from pypdf import PdfReader

ARABIC_NAME = "محمد العلوي"
SHIPPED_FONTS = {f"NotoSans{script}{bold}" for script in ("", "Arabic", "Hebrew", "Armenian",
                                                          "Georgian") for bold in ("", "Bold")}
_GLYPH = re.compile(r"<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]{4,})>")


def runs(pdf: bytes) -> list[tuple[str, str, float]]:
    """Each text run as (text, font without its subset prefix, size in points)."""
    found: list[tuple[str, str, float]] = []

    def visit(text, cm, tm, font, size) -> None:
        if text.strip() and font is not None:
            found.append((text, _name(font), size))

    for page in PdfReader(io.BytesIO(pdf)).pages:
        page.extract_text(visitor_text=visit)
    return found


def glyph_forms(pdf: bytes) -> dict[str, Counter[str]]:
    """Per embedded font, how many different glyphs stand for each character."""
    glyphs: dict[str, set[tuple[str, str]]] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
            glyphs.setdefault(_name(font), set()).update(
                (glyph, chr(int(code, 16))) for glyph, code in _GLYPH.findall(cmap)
                if len(code) == 4)
    return {name: Counter(char for _, char in found) for name, found in glyphs.items()}


def assert_arabic_shaped(pdf: bytes, text: str) -> None:
    """Only shipped fonts are embedded, and a letter ``text`` holds twice in different
    positions (the م of محمد: initial, then medial) comes from Noto Sans Arabic in two
    forms: joined to its neighbours (HarfBuzz); unshaped, every letter has one glyph."""
    forms = glyph_forms(pdf)
    assert set(forms) <= SHIPPED_FONTS, set(forms)
    arabic = forms["NotoSansArabic"]
    joined = [char for char in set(text) if arabic[char] > 1]
    assert joined, f"{text}: every letter in one form ({dict(arabic)})"
    for word in text.split():  # letters in reading order, as a reader copies them
        assert word in " ".join(run for run, _, _ in runs(pdf)), word


def _name(font) -> str:
    return str(font["/BaseFont"]).lstrip("/").split("+")[-1]
