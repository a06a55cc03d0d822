"""The BPMN diagram as an SVG string, drawn from the diagram's own BPMNDI coordinates.

Shapes (pools, lanes, tasks, events, gateways, subprocesses), edges with arrowheads and
labels; the elements a dossier completed and its current task(s) get a class of their own.
No JavaScript and no style attributes: the page's stylesheet colours the classes (the
content security policy allows no inline style).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from .safe_xml import parse_xml

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
          "boundaryEvent"}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
            "complexGateway"}
CONTAINERS = {"participant", "lane"}
MARGIN = 20


@dataclass(frozen=True)
class DossierDiagram:
    """A dossier's diagram: the BPMN as drawn (for bpmn-js in the browser), the element ids
    done and current, and the server-drawn SVG shown without JavaScript."""

    bpmn_xml: str
    done: list[str]
    current: list[str]
    svg: str


def render_svg(bpmn_xml: str, done: set[str], current: set[str], title: str = "") -> str:
    root = parse_xml(bpmn_xml.encode("utf-8"), "diagram")
    elements = {el.get("id"): el for el in root.iter() if el.get("id")}
    shapes, edges, texts = [], [], []
    xs, ys = [], []
    for shape in root.iter(f"{{{BPMNDI}}}BPMNShape"):
        ref = shape.get("bpmnElement")
        element = elements.get(ref)
        bounds = shape.find(f"{{{DC}}}Bounds")
        if ref is None or element is None or bounds is None:
            continue
        x, y, w, h = (_number(bounds, k) for k in ("x", "y", "width", "height"))
        xs += [x, x + w]
        ys += [y, y + h]
        kind = _kind(element)
        state = ("huidig" if ref in current else "gedaan" if ref in done else "")
        classes = f"bpmn bpmn-{kind}" + (f" bpmn-{state}" if state else "")
        if element.get("cancelActivity") == "false":
            classes += " bpmn-niet-onderbrekend"
        name = element.get("name") or ""
        shapes.append(_shape(kind, x, y, w, h, classes, ref))
        shapes.append(_marker(element, kind, x, y, w, h))
        label = shape.find(f"{{{BPMNDI}}}BPMNLabel/{{{DC}}}Bounds")
        if name:
            texts.append(_label(kind, name, x, y, w, h, label))
    for edge in root.iter(f"{{{BPMNDI}}}BPMNEdge"):
        points = [(_number(p, "x"), _number(p, "y"))
                  for p in edge.findall(f"{{{DI}}}waypoint")]
        if len(points) < 2:
            continue
        ref = edge.get("bpmnElement")
        xs += [p[0] for p in points]
        ys += [p[1] for p in points]
        kind = _kind(elements[ref]) if ref in elements else "flow"
        path = " ".join(f"{x:g},{y:g}" for x, y in points)
        edges.append(f'<polyline class="bpmn-edge bpmn-{kind}" points="{path}" '
                     f'marker-end="url(#pijl)"/>')
        flow_name = elements[ref].get("name") if ref in elements else None
        label = edge.find(f"{{{BPMNDI}}}BPMNLabel/{{{DC}}}Bounds")
        if flow_name and label is not None:
            texts.append(_text_in_label(flow_name, label))
    if not xs:
        return ""
    left, top = min(xs) - MARGIN, min(ys) - MARGIN
    width, height = max(xs) - left + MARGIN, max(ys) - top + MARGIN
    return "".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram" role="img" '
        f'viewBox="{left:g} {top:g} {width:g} {height:g}" aria-label={quoteattr(title)}>',
        '<defs><marker id="pijl" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'class="bpmn-pijl"/></marker></defs>',
        *shapes, *edges, *texts, "</svg>"])


def _kind(element: etree._Element) -> str:
    """The element's BPMN type: its tag without the namespace (``userTask``)."""
    return etree.QName(element).localname


def _number(element: etree._Element, name: str) -> float:
    """A coordinate attribute of a BPMNDI element (absent: the diagram is broken)."""
    return float(element.attrib[name])


def _shape(kind: str, x: float, y: float, w: float, h: float, classes: str, ref: str) -> str:
    data = f'class="{classes}" data-element={quoteattr(ref)}'
    if kind in EVENTS:
        return f'<circle {data} cx="{x + w / 2:g}" cy="{y + h / 2:g}" r="{min(w, h) / 2:g}"/>'
    if kind in GATEWAYS:
        cx, cy = x + w / 2, y + h / 2
        return (f'<polygon {data} points="{cx:g},{y:g} {x + w:g},{cy:g} {cx:g},{y + h:g} '
                f'{x:g},{cy:g}"/>')
    radius = 0 if kind in CONTAINERS else 10
    return (f'<rect {data} x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}" '
            f'rx="{radius}"/>')


def _marker(element: etree._Element, kind: str, x: float, y: float, w: float, h: float) -> str:
    """The BPMN symbol inside a shape: the event's trigger (timer clock, message envelope),
    the gateway's type, the task's type (user, service, business rule)."""
    cx, cy = x + w / 2, y + h / 2
    if kind in EVENTS:
        definitions = {_kind(child) for child in element}
        inner = ""
        if kind in {"intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}:
            ring = min(w, h) / 2 - 3
            inner = f'<circle class="bpmn-teken" cx="{cx:g}" cy="{cy:g}" r="{ring:g}"/>'
        if "timerEventDefinition" in definitions:
            inner += (f'<circle class="bpmn-teken" cx="{cx:g}" cy="{cy:g}" r="{w / 4:g}"/>'
                      f'<path class="bpmn-teken" d="M {cx:g} {cy - w / 5:g} L {cx:g} {cy:g} '
                      f'L {cx + w / 7:g} {cy:g}"/>')
        if "messageEventDefinition" in definitions:
            ex, ey, ew, eh = cx - w / 4, cy - h / 6, w / 2, h / 3
            inner += (f'<rect class="bpmn-teken" x="{ex:g}" y="{ey:g}" width="{ew:g}" '
                      f'height="{eh:g}"/><path class="bpmn-teken" d="M {ex:g} {ey:g} '
                      f'L {cx:g} {cy:g} L {ex + ew:g} {ey:g}"/>')
        return inner
    if kind == "exclusiveGateway":
        d = w / 6
        return (f'<path class="bpmn-teken bpmn-teken--dik" d="M {cx - d:g} {cy - d:g} '
                f'L {cx + d:g} {cy + d:g} M {cx + d:g} {cy - d:g} L {cx - d:g} {cy + d:g}"/>')
    if kind == "parallelGateway":
        d = w / 5
        return (f'<path class="bpmn-teken bpmn-teken--dik" d="M {cx:g} {cy - d:g} '
                f'L {cx:g} {cy + d:g} M {cx - d:g} {cy:g} L {cx + d:g} {cy:g}"/>')
    if kind == "eventBasedGateway":
        r = w / 4
        points = " ".join(f"{cx + r * 0.6 * dx:g},{cy + r * 0.6 * dy:g}" for dx, dy in
                          ((0, -1), (0.95, -0.31), (0.59, 0.81), (-0.59, 0.81), (-0.95, -0.31)))
        return (f'<circle class="bpmn-teken" cx="{cx:g}" cy="{cy:g}" r="{r:g}"/>'
                f'<polygon class="bpmn-teken" points="{points}"/>')
    icons = {
        "userTask": f'<circle class="bpmn-teken" cx="{x + 14:g}" cy="{y + 10:g}" r="4"/>'
                    f'<path class="bpmn-teken" d="M {x + 6:g} {y + 22:g} Q {x + 14:g} '
                    f'{y + 10:g} {x + 22:g} {y + 22:g} Z"/>',
        "serviceTask": f'<circle class="bpmn-teken bpmn-teken--tandwiel" cx="{x + 14:g}" '
                       f'cy="{y + 14:g}" r="6"/><circle class="bpmn-teken" cx="{x + 14:g}" '
                       f'cy="{y + 14:g}" r="2"/>',
        "businessRuleTask": f'<rect class="bpmn-teken" x="{x + 6:g}" y="{y + 6:g}" '
                            f'width="16" height="12"/><path class="bpmn-teken" '
                            f'd="M {x + 6:g} {y + 10:g} L {x + 22:g} {y + 10:g} '
                            f'M {x + 11:g} {y + 10:g} L {x + 11:g} {y + 18:g}"/>',
    }
    return icons.get(kind, "")


def _text_in_label(name: str, label: etree._Element) -> str:
    """``name`` centred in the label bounds the modeler drew for it."""
    return _text_lines(name, _number(label, "x") + _number(label, "width") / 2,
                       _number(label, "y") + 10, 24)


def _label(kind: str, name: str, x: float, y: float, w: float, h: float,
           label: etree._Element | None) -> str:
    if kind in CONTAINERS:
        return (f'<text class="bpmn-label bpmn-label-{kind}" x="{x + 15:g}" y="{y + h / 2:g}" '
                f'transform="rotate(-90 {x + 15:g} {y + h / 2:g})" text-anchor="middle">'
                f'{escape(name)}</text>')
    if kind == "subProcess":
        return _text_lines(name, x + w / 2, y + 20, 60)
    if label is not None:
        return _text_in_label(name, label)
    if kind in EVENTS or kind in GATEWAYS:
        return _text_lines(name, x + w / 2, y + h + 14, 24)
    lines = _wrap(name, 16)
    return _text_lines(name, x + w / 2, y + h / 2 - (len(lines) - 1) * 7 + 4, 16)


def _wrap(name: str, width: int) -> list[str]:
    """Lines of at most ``width`` characters, broken between words only: a long word
    (Verwerkingsverantwoordelijke) keeps its own line."""
    return textwrap.wrap(name, width, break_long_words=False, break_on_hyphens=False) or [""]


def _text_lines(name: str, cx: float, top: float, width: int) -> str:
    lines = _wrap(name, width)
    spans = "".join(f'<tspan x="{cx:g}" dy="{0 if i == 0 else 14}">{escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text class="bpmn-label" x="{cx:g}" y="{top:g}" text-anchor="middle">{spans}</text>'
