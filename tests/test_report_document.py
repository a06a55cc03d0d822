"""The report PDF stays readable after a chart: no table drawn on the chart's dark grey
(issue 12: every table from "Per categorie" on was black text on dark grey)."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

from conftest import require_tool
from pdf_fonts import assert_arabic_shaped, runs

from runner.reports.document import Document, Table, render_pdf

CHART = Table("Per maand", ["Maand", "Aantal"], [["2026-01", "4"], ["2026-02", "2"]],
              chart=[("2026-01", 4), ("2026-02", 2)])
PLAIN = Table("Per categorie", ["Categorie", "Aantal", "Aandeel"],
              [[f"categorie {n}", str(n), f"{n} %"] for n in range(12)])


def _dark_grey_pixels(tables: list[Table], tmp_path) -> int:
    """Pixels of the first page in the grey of the bars (or darker than the headings)."""
    require_tool(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    document = Document("Rapport", "Een periode", "nl", tables,
                        datetime(2026, 11, 30, tzinfo=UTC), "Pagina {pagina} van {totaal}")
    (tmp_path / "r.pdf").write_bytes(render_pdf(document))
    subprocess.run(["pdftoppm", "-gray", "-r", "40", "-f", "1", "-l", "1",
                    str(tmp_path / "r.pdf"), str(tmp_path / "r")], check=True)
    image = next(tmp_path.glob("r*.pgm")).read_bytes()
    # P5 header: magic, width height, maxval, each on its own line
    header_end = [i for i, byte in enumerate(image) if byte == 0x0A][2] + 1
    return sum(1 for value in image[header_end:] if 50 <= value <= 140)


def test_tables_after_a_chart_are_not_drawn_on_dark_grey(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    chart_only = _dark_grey_pixels([CHART], tmp_path / "a")
    with_table = _dark_grey_pixels([CHART, PLAIN], tmp_path / "b")
    assert chart_only > 0  # the bars themselves are dark grey
    assert with_table - chart_only < chart_only / 2, (chart_only, with_table)


def test_a_long_label_beside_a_bar_ends_in_an_ellipsis_and_stays_whole_in_the_table():
    from io import BytesIO

    from pypdf import PdfReader

    long = "Sans rapport avec la mutualité ou ses services"
    table = Table("Motifs", ["Motif", "Nombre"], [[long, "1"], ["Plainte anonyme", "1"]],
                  chart=[(long, 1), ("Plainte anonyme", 1)])
    document = Document("Rapport", "Une période", "fr", [table],
                        datetime(2026, 11, 30, tzinfo=UTC), "Page {pagina} sur {totaal}")
    text = PdfReader(BytesIO(render_pdf(document))).pages[0].extract_text()
    assert long in text  # the table
    assert "Sans rapport avec la mutualité ou ses ser\u2026 1" in text  # the chart
    assert "Plainte anonyme\u2026" not in text  # a short label stays whole


def test_arabic_in_a_report_is_shaped_in_the_shipped_font():
    """A label in Arabic (a category a fund named so) is joined like in the letters, in the
    table and beside its bar, and the rows after it keep their size."""
    label = "شكاوى متكررة"
    table = Table("Par catégorie", ["Catégorie", "Nombre"], [[label, "3"], ["Remboursement", "2"]],
                  chart=[(label, 3), ("Remboursement", 2)])
    document = Document("Rapport", "Une période", "fr", [table],
                        datetime(2026, 11, 30, tzinfo=UTC), "Page {pagina} sur {totaal}")
    pdf = render_pdf(document)
    assert_arabic_shaped(pdf, label)
    assert {size for text, _, size in runs(pdf) if "Remboursement" in text} == {9, 8}
