"""Bar charts as SVG strings, drawn on the server: no JavaScript, no style attributes.

The page's stylesheet colours the classes (the content security policy allows no inline
style), in black and grey so that a chart stays readable printed. Every text is escaped.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

BARS_WIDTH, VALUE_WIDTH, ROW, BAR = 290, 60, 28, 18
# Room per character of a label at the stylesheet's 16px (a generous average for sans
# serif), so that the longest label fits beside its bar instead of being clipped.
CHAR_WIDTH, LABEL_LIMIT = 9.5, 40


def bar_chart(title: str, rows: list[tuple[str, int]]) -> str:
    """One horizontal bar per row, longest bar = largest value, the value beside it."""
    height = ROW * max(len(rows), 1) + 8
    largest = max((value for _, value in rows), default=0) or 1
    longest = max((len(_shorten(label)) for label, _ in rows), default=0)
    label_width = round(max(80, longest * CHAR_WIDTH + 16))
    width = label_width + BARS_WIDTH + VALUE_WIDTH
    room = BARS_WIDTH
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="grafiek" role="img" '
             f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'aria-label={quoteattr(title)}><title>{escape(title)}</title>']
    for index, (label, value) in enumerate(rows):
        top = 4 + index * ROW
        middle = top + BAR / 2 + 4
        length = round(room * value / largest, 1)
        parts.append(
            f'<text class="grafiek-label" x="{label_width - 8}" y="{middle}" '
            f'text-anchor="end">{escape(_shorten(label))}</text>'
            f'<rect class="grafiek-staaf" x="{label_width}" y="{top}" width="{length}" '
            f'height="{BAR}"/>'
            f'<text class="grafiek-waarde" x="{label_width + length + 6}" y="{middle}">'
            f'{value}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _shorten(label: str, limit: int = LABEL_LIMIT) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
