"""The words people read instead of the model's codes, from ``processes/labels.json``.

Per kind of code (``categorie``, ``stap``, ``taak``, ``reden``, ``uitkomst``, ``termijn``,
``bericht``, ...) a label per language: ``{"categorie": {"terugbetaling": {"nl":
"Terugbetaling", "fr": "Remboursement"}}}``. A designer adds a category or a reason with its
labels in that file, without Python; ``klachten lint`` reports a code the model uses without
a label in one of the languages (:func:`runner.design.label_coverage.missing_labels`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from lxml import etree

from runner.bpmn.safe_xml import parse_xml

LANGUAGES = ("nl", "fr")
FALLBACK = "nl"
CATEGORY, STEP, TASK = "categorie", "stap", "taak"
# The names of the diagram's other elements (events, gateways, service tasks) by id, and of
# its lanes (the roles) by name: the staff pages show them in the reader's language.
ELEMENT, ROLE = "element", "rol"
ANCHOR = "anker"  # what a deadline counts from, a deadline operator's parameter
_BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_NAMES_THAT_MATCH = frozenset({"message", "signal", "error", "escalation"})  # never renamed


class Labels:
    """Label look-up; an unknown code falls back to its Dutch label, then to the code."""

    def __init__(self, data: dict[str, Any]):
        self._data = {kind: codes for kind, codes in data.items() if isinstance(codes, dict)}

    def text(self, kind: str, code: object, language: str = FALLBACK) -> str:
        if code is None or code == "":
            return ""
        entry = self._data.get(kind, {}).get(str(code))
        if not isinstance(entry, dict):
            return str(code)
        return str(entry.get(language) or entry.get(FALLBACK) or code)

    def has(self, kind: str, code: object, language: str) -> bool:
        entry = self._data.get(kind, {}).get(str(code))
        return isinstance(entry, dict) and bool(entry.get(language))

    def options(self, kind: str, codes: Iterable[object], language: str
                ) -> list[tuple[str, str]]:
        """``(code, label)`` pairs, for a filter's or a form's choices."""
        return [(str(code), self.text(kind, code, language)) for code in codes]


def named_in(bpmn_xml: str, labels: Labels, language: str) -> str:
    """The diagram with every element's name in ``language``: user tasks by their task
    label, lanes by their role label, other elements by their element label (a name
    without a label stays as the designer wrote it)."""
    root = parse_xml(bpmn_xml.encode(), "diagram")
    for element in root.iter(f"{_BPMN}*"):
        name, code = element.get("name"), element.get("id")
        kind = etree.QName(element).localname
        if not name or kind in _NAMES_THAT_MATCH:
            continue
        kind, code = ((TASK, code) if kind == "userTask" else (ROLE, name) if kind == "lane"
                      else (ELEMENT, code))
        if labels.has(kind, code, language):
            element.set("name", labels.text(kind, code, language))
    return etree.tostring(root, encoding="unicode")
