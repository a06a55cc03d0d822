"""Sample data from a form's JSON Schema, for running a model before it is deployed.

:func:`samples` fills in every field of a form and gives one variant per value of each
choice (``enum``), so every branch that depends on a choice can be taken; only variants
that the form itself accepts are returned.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import datetime
from typing import Any

from .errors import ValidationFailed
from .forms import validate_form

TEXT = "Voorbeeldtekst van de controle vóór het deployen."
EMAIL = "an.peeters@example.be"
# Tried in order against a field's pattern: text, digits, a phone number.
_PATTERN_CANDIDATES = (TEXT, "12345678901", "09 123 45 67", "A")


def samples(schema: dict[str, Any], now: datetime, deciding: Collection[str] | None = None
            ) -> list[dict[str, Any]]:
    """Valid data for ``schema``: all fields filled in, then one variant per other value of
    each choice (of the choices named in ``deciding``, when given). Empty when the form
    accepts none of them."""
    base = _value(schema, now)
    if not isinstance(base, dict):
        return []
    variants = [base]
    for name, spec in (schema.get("properties") or {}).items():
        if deciding is not None and name not in deciding:
            continue
        for value in (spec.get("enum") or [])[1:] if isinstance(spec, dict) else []:
            variants.append({**base, name: value})
    return [variant for variant in variants if _valid(schema, variant)]


def _valid(schema: dict[str, Any], data: dict[str, Any]) -> bool:
    try:
        validate_form(schema, data)
    except ValidationFailed:
        return False
    return True


def _value(spec: Any, now: datetime) -> Any:
    if not isinstance(spec, dict):
        return TEXT
    if "const" in spec:
        return spec["const"]
    if spec.get("enum"):
        return spec["enum"][0]
    if "default" in spec:
        return spec["default"]
    kind = spec.get("type", "string")
    if kind == "object" or "properties" in spec:
        return {name: _value(sub, now) for name, sub in (spec.get("properties") or {}).items()}
    if kind == "array":
        return [_value(spec.get("items") or {}, now)][: spec.get("maxItems", 1)]
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return spec.get("minimum", 1)
    return _text(spec, now)


def _text(spec: dict[str, Any], now: datetime) -> str:
    formats = {"date": now.date().isoformat(), "date-time": now.isoformat(), "email": EMAIL}
    if spec.get("format") in formats:
        return formats[spec["format"]]
    candidates: tuple[str, ...] = _PATTERN_CANDIDATES
    if spec.get("pattern"):
        candidates = tuple(c for c in candidates if re.search(spec["pattern"], c)) or (TEXT,)
    text = candidates[0]
    return text[: spec["maxLength"]] if isinstance(spec.get("maxLength"), int) else text
