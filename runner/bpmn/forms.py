"""Validating form data against a task's JSON Schema, with Dutch messages per field.

The runner validates before a task runs; the web layer only renders the schema and shows
the reasons of :class:`ValidationFailed` beside the fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema

from .errors import ValidationFailed


def validate_form(schema: dict[str, Any], data: Any) -> None:
    """Raise ValidationFailed with ``{field path: Dutch message}`` for every error."""
    errors = sorted(_validator(schema).iter_errors(data),
                    key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ValidationFailed({_field(error): _dutch(error) for error in errors},
                               {_field(error): str(error.validator) for error in errors})


def _validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    """The schema's validator, built once per schema object (the models that hold the
    schemas are themselves kept per process); the cache keeps the schema, so its id stays
    its own."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        validator_cls = jsonschema.validators.validator_for(schema)
        cached = (schema, validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER))
        if len(_VALIDATORS) >= _MAX_VALIDATORS:
            _VALIDATORS.clear()
        _VALIDATORS[id(schema)] = cached
    return cached[1]


_MAX_VALIDATORS = 512
_VALIDATORS: dict[int, tuple[dict[str, Any], jsonschema.protocols.Validator]] = {}


def with_defaults(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the schema's top-level ``default`` values filled in where missing."""
    defaults = {name: spec["default"] for name, spec in schema.get("properties", {}).items()
                if "default" in spec}
    return {**defaults, **data}


def _field(error: jsonschema.ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path.append(missing)
    return ".".join(p for p in path if p) or "formulier"


def _dutch(error: jsonschema.ValidationError) -> str:
    """A Dutch message per JSON Schema keyword (the UI shows it beside the field)."""
    value = error.validator_value
    messages = {
        "required": "dit veld is verplicht",
        "maxLength": f"maximaal {value} tekens",
        "minLength": "dit veld is verplicht" if value == 1 else f"minstens {value} tekens",
        "enum": "kies een van: " + ", ".join(map(str, value)) if isinstance(value, list) else "",
        "type": f"verwacht type {value}",
        "format": f"geen geldige {value}",
        "pattern": "ongeldig formaat",
        "maxItems": f"maximaal {value} items",
        "additionalProperties": "onbekend veld",
        "const": "ongeldige waarde",
        "anyOf": "vul minstens een van de mogelijkheden in",
    }
    return messages.get(str(error.validator)) or error.message


FORM_ONLY = "x-alleen-formulier"
STRIP_CHARACTERS = "x-tekens-weglaten"


def from_fields(schema: dict[str, Any], fields: Mapping[str, str],
                prefix: str = "") -> dict[str, Any]:
    """A form's data from flat fields named by their path (``klager.voornaam``), as an HTML
    form posts them: values stripped (and rid of the property's ``x-tekens-weglaten``),
    empty values left out so that ``required`` catches them; fields the schema does not
    know are ignored."""
    data: dict[str, Any] = {}
    for name, spec in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        if spec.get("type") == "object":
            data[name] = from_fields(spec, fields, f"{path}.")
            continue
        value = str(fields.get(path, "")).strip()
        value = value.translate(str.maketrans("", "", spec.get(STRIP_CHARACTERS, "")))
        if value:
            data[name] = value
    return data


def without_form_only(schema: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    """``data`` without the fields marked ``x-alleen-formulier`` (an acknowledgement, a
    honeypot): they are checked, never stored."""
    properties = schema.get("properties", {})
    return {key: value for key, value in data.items()
            if not properties.get(key, {}).get(FORM_ONLY)}


def max_lengths(schema: dict[str, Any], prefix: str = "") -> dict[str, int]:
    """Every ``maxLength`` of the form by field path, to state on the page."""
    found: dict[str, int] = {}
    for name, spec in schema.get("properties", {}).items():
        if "maxLength" in spec:
            found[f"{prefix}{name}"] = spec["maxLength"]
        found.update(max_lengths(spec, f"{prefix}{name}."))
    return found
