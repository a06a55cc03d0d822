"""Server-side SVG charts: well-formed, escaped, bars in proportion."""

from __future__ import annotations

from lxml import etree

from runner.reports.charts import bar_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_bars_are_in_proportion_and_text_is_escaped():
    svg = etree.fromstring(bar_chart('Per "categorie" <b>', [("a<script>", 10), ("b & c", 5),
                                                            ("leeg", 0)]).encode())
    widths = [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    labels = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "grafiek-label"]
    assert labels == ["a<script>", "b & c", "leeg"]
    assert svg.get("aria-label") == 'Per "categorie" <b>'
    assert not list(svg.iter("{*}script"))


def test_an_empty_chart_is_still_an_image():
    svg = etree.fromstring(bar_chart("Leeg", []).encode())
    assert svg.find(f"{SVG}title").text == "Leeg" and not list(svg.iter(f"{SVG}rect"))


def test_the_longest_label_fits_beside_its_bar():
    """Issue 12: "onthaal en bereikbaarheid" was clipped at the chart's left edge."""
    svg = etree.fromstring(bar_chart("Per categorie", [("onthaal en bereikbaarheid", 3),
                                                       ("terugbetaling", 5)]).encode())
    label = next(t for t in svg.iter(f"{SVG}text") if t.get("class") == "grafiek-label")
    assert label.text == "onthaal en bereikbaarheid"
    room = float(label.get("x"))  # right-aligned at x: the text runs leftwards from there
    assert room >= len(label.text) * 9, room
