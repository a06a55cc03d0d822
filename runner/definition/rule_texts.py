"""Texts that state a rule's value take it from the dossier's own deadlines.

A text in ``statuspagina.json`` or a form's description writes ``{statusbericht.dagen}``
where it means "the number of days of the rule statusbericht": the value is stated once, in
the rule table, and every text follows it (also for a dossier on an older version).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

RULE_VALUE = re.compile(r"\{(\w+)\.dagen\}")


def fill_rule_values(text: str, deadlines: Mapping[str, Mapping]) -> str:
    """``text`` with each ``{rule.dagen}`` replaced by that rule's number of days; a rule
    the dossier has not computed (yet) stays as written."""
    def value(match: re.Match) -> str:
        days = deadlines.get(match[1], {}).get("dagen")
        return str(days) if days is not None else match[0]

    return RULE_VALUE.sub(value, text)


def rule_names(value: object) -> Iterator[str]:
    """Every rule named by a ``{rule.dagen}`` in a JSON value (texts, nested)."""
    if isinstance(value, str):
        yield from RULE_VALUE.findall(value)
    elif isinstance(value, dict):
        for item in value.values():
            yield from rule_names(item)
    elif isinstance(value, list):
        for item in value:
            yield from rule_names(item)
