"""A report as a document: titled tables (with an optional bar chart), and its PDF.

The web builds the tables once, with the labels in the reader's language, and both the
printable page and the PDF render the same tables: the figures cannot drift apart. The PDF
uses the letters' shipped fonts and shaping (``runner.notices.pdf``) and draws each chart as
bars.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from fpdf import FPDF
from fpdf.fonts import FontFace

from runner.notices.pdf import FONT, paged_pdf

MARGIN, WIDTH = 15.0, 180.0  # mm on A4
CHART_LABEL, CHART_ROW = 60.0, 5.0
HEADING_FILL = (235, 235, 235)  # light grey behind the column heads: black text stays readable


@dataclass(frozen=True)
class Table:
    title: str
    headers: list[str]
    rows: list[list[str]]
    # Label and value per bar; empty: no chart for this table.
    chart: list[tuple[str, int]] = field(default_factory=list)
    note: str = ""


@dataclass(frozen=True)
class Document:
    title: str
    subtitle: str
    language: str
    tables: list[Table]
    made_at: datetime
    page_label: str  # "Pagina {pagina} van {totaal}"


def render_pdf(document: Document) -> bytes:
    with paged_pdf(document.page_label, document.language, foot=12.0) as pdf:
        pdf.set_title(document.title)
        pdf.set_creation_date(document.made_at)
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=18)
        pdf.add_page()
        pdf.set_font(FONT, "B", 16)
        pdf.multi_cell(WIDTH, 8, document.title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=10)
        pdf.multi_cell(WIDTH, 5, document.subtitle, new_x="LMARGIN", new_y="NEXT")
        for table in document.tables:
            _table(pdf, table)
        return bytes(pdf.output())


def _table(pdf: FPDF, table: Table) -> None:
    pdf.ln(4)
    if pdf.will_page_break(12 + 6 * min(len(table.rows) + 1, 4)):
        pdf.add_page()
    pdf.set_font(FONT, "B", 12)
    pdf.multi_cell(WIDTH, 7, table.title, new_x="LMARGIN", new_y="NEXT")
    if table.note:
        pdf.set_font(FONT, size=8)
        pdf.multi_cell(WIDTH, 4, table.note, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=9)
    pdf.set_fill_color(255, 255, 255)  # the chart before leaves its grey behind
    pdf.set_text_color(0, 0, 0)
    with pdf.table(width=WIDTH, line_height=5, text_align="LEFT",
                   headings_style=FontFace(emphasis="BOLD", color=(0, 0, 0),
                                           fill_color=HEADING_FILL)) as grid:
        for row in [table.headers, *table.rows]:
            cells = grid.row()
            for value in row:
                cells.cell(value)
    if table.chart:
        _chart(pdf, table.chart)


def _chart(pdf: FPDF, bars: list[tuple[str, int]]) -> None:
    """Horizontal bars in grey, the value beside each: readable in black and white."""
    pdf.ln(2)
    largest = max(value for _, value in bars) or 1
    room = WIDTH - CHART_LABEL - 15
    pdf.set_fill_color(90, 90, 90)
    pdf.set_font(FONT, size=8)
    for label, value in bars:
        if pdf.will_page_break(CHART_ROW):
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(MARGIN, y)
        pdf.cell(CHART_LABEL - 2, CHART_ROW - 1, _fitted(pdf, label, CHART_LABEL - 3),
                 align="R")
        length = room * value / largest
        if length:
            pdf.rect(MARGIN + CHART_LABEL, y + 0.5, length, CHART_ROW - 2, style="F")
        pdf.set_xy(MARGIN + CHART_LABEL + length + 1, y)
        pdf.cell(14, CHART_ROW - 1, str(value))
        pdf.set_y(y + CHART_ROW)


def _fitted(pdf: FPDF, label: str, width: float) -> str:
    """``label`` as it fits in ``width`` mm, shortened with an ellipsis (the table above
    the chart has it in full)."""
    if pdf.get_string_width(label) <= width:
        return label
    while label and pdf.get_string_width(label + "…") > width:
        label = label[:-1]
    return label.rstrip() + "…"
