"""The drawing of processes/*.bpmn reads clearly in bpmn.io: flows share no segment, run
through no label, and no name has a word too long for its box (bpmn-js would break it)."""

from __future__ import annotations

from itertools import combinations, pairwise
from pathlib import Path

import pytest
from lxml import etree

from runner.definition.model import default_processes_dir

NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI"}
EXTERNAL_LABELS = {"startEvent", "endEvent", "intermediateCatchEvent", "boundaryEvent",
                   "exclusiveGateway", "eventBasedGateway", "parallelGateway"}
TASKS = {"userTask", "serviceTask", "businessRuleTask", "task", "scriptTask"}
# bpmn-js draws names at 12px Arial with 5px padding: a word wider than this is broken.
CHAR_WIDTH = 6.0
LABEL_WIDTH = 90  # bpmn-js's width for an external label without bounds

Box = tuple[float, float, float, float]
Segment = tuple[tuple[float, float], tuple[float, float]]
DIAGRAMS = sorted(default_processes_dir().glob("*.bpmn"))


def _bounds(element) -> Box:
    return tuple(float(element.get(key)) for key in ("x", "y", "width", "height"))


def _elements(root) -> dict[str, etree._Element]:
    return {el.get("id"): el for el in root.iter() if el.get("id")}


def _segments(root) -> dict[str, list[Segment]]:
    result = {}
    for edge in root.iterfind(".//bpmndi:BPMNEdge", NS):
        points = [(float(p.get("x")), float(p.get("y")))
                  for p in edge.iterfind("di:waypoint", NS)]
        result[edge.get("bpmnElement")] = list(pairwise(points))
    return result


def _labels(root) -> dict[str, Box]:
    """Each named element's label box: its own bounds, or where bpmn-js puts it (centred
    under an event or gateway)."""
    elements, labels = _elements(root), {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        element = elements[shape.get("bpmnElement")]
        if not element.get("name") or etree.QName(element).localname not in EXTERNAL_LABELS:
            continue
        label = shape.find("bpmndi:BPMNLabel/dc:Bounds", NS)
        if label is not None:
            labels[element.get("id")] = _bounds(label)
        else:
            x, y, w, h = _bounds(shape.find("dc:Bounds", NS))
            labels[element.get("id")] = (x + w / 2 - LABEL_WIDTH / 2, y + h + 5, LABEL_WIDTH, 14)
    return labels


def _overlap(a: Segment, b: Segment) -> bool:
    """Whether two axis-parallel segments lie on one line and share a stretch."""
    (ax1, ay1), (ax2, ay2) = a
    (bx1, by1), (bx2, by2) = b
    if ax1 == ax2 == bx1 == bx2:
        low, high = max(min(ay1, ay2), min(by1, by2)), min(max(ay1, ay2), max(by1, by2))
        return high - low > 0
    if ay1 == ay2 == by1 == by2:
        low, high = max(min(ax1, ax2), min(bx1, bx2)), min(max(ax1, ax2), max(bx1, bx2))
        return high - low > 0
    return False


def _crosses(segment: Segment, box: Box) -> bool:
    (x1, y1), (x2, y2) = segment
    x, y, w, h = box
    return (min(x1, x2) < x + w and max(x1, x2) > x and min(y1, y2) < y + h
            and max(y1, y2) > y)


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_no_two_flows_share_a_segment(path: Path) -> None:
    segments = _segments(etree.parse(str(path)))
    shared = [(a, b) for (a, sa), (b, sb) in combinations(segments.items(), 2)
              if any(_overlap(s, t) for s in sa for t in sb)]
    assert shared == []


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_no_flow_runs_through_a_label(path: Path) -> None:
    root = etree.parse(str(path))
    labels = _labels(root)
    through = [(flow, name) for flow, segments in _segments(root).items()
               for name, box in labels.items() if any(_crosses(s, box) for s in segments)]
    assert through == []


@pytest.mark.parametrize("path", DIAGRAMS, ids=lambda p: p.name)
def test_every_word_fits_its_box(path: Path) -> None:
    root = etree.parse(str(path))
    elements = _elements(root)
    too_long = []
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        element = elements[shape.get("bpmnElement")]
        kind = etree.QName(element).localname
        if kind in TASKS:
            width = _bounds(shape.find("dc:Bounds", NS))[2] - 10
        elif kind in EXTERNAL_LABELS:
            width = LABEL_WIDTH
        else:
            continue
        too_long += [(element.get("id"), word) for word in (element.get("name") or "").split()
                     if len(word) * CHAR_WIDTH > width]
    assert too_long == []
