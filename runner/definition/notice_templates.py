"""Rendering notices from the templates in ``processes/notices/<taal>/``.

Templates are data edited by process designers, so they run in Jinja's sandbox with strict
undefined, and with the limits of the diagram's expressions (:mod:`runner.bpmn.expressions`):
every loop item is a step of one budget (steps and wall time) per notice, ``*``, ``**``,
``+`` and ``%`` are checked before they run, the filters and text methods that pad or repeat
text (``center``, ``indent``, ``wordwrap``, ``format``, ``batch``, ``slice``, ``replace``,
``ljust``, ...) are not offered, and a notice holds at most ``MAX_NOTICE`` characters. A
template that trips a limit fails the task that renders it: an incident, never a hung worker.

The first line of a template is the subject, the rest (after one blank line) the body. Free
text that reaches a notice goes through the ``veilig`` filter, which neutralises URLs and
HTML: notices never carry a link except the status page address from settings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import DictLoader, StrictUndefined, nodes
from jinja2.sandbox import SandboxedEnvironment

from runner.bpmn.errors import ExpressionRejected, ModelError
from runner.bpmn.expressions import bounded, check_binary, grows_text, step

_URL = re.compile(r"(?i)\b(?:https?://|ftp://|www\.)\S+")
_TAG = re.compile(r"<[^>]{0,500}>")


def neutralise(text: object, removed: str = "[link verwijderd]") -> str:
    """Remove HTML tags and replace URLs by ``removed`` (``link_verwijderd`` in the
    language's ``labels.json``): a notice never echoes a link from free text."""
    plain = _TAG.sub("", str(text or ""))
    return _URL.sub(lambda _match: removed, plain)


MAX_NOTICE = 200_000  # characters of one rendered notice
_STEP = "__stap"  # the loop guard's name in the compiled templates (no template can write it)
_UNOFFERED_FILTERS = ("center", "indent", "wordwrap", "format", "batch", "slice", "replace")


class _BoundedSandbox(SandboxedEnvironment):
    """Jinja's sandbox with the expressions' budget: loops step, operators are checked."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        for name in _UNOFFERED_FILTERS:
            self.filters.pop(name, None)
        self.globals[_STEP] = _stepped

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        check_binary(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, str) and grows_text(attribute):
            return self.unsafe_undefined(obj, attribute)
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if isinstance(obj, str) and isinstance(argument, str) and grows_text(argument):
            return self.unsafe_undefined(obj, argument)
        return super().getitem(obj, argument)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """Every ``{% for %}`` iterates through the budget's step."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Call(nodes.Name(_STEP, "load"), [loop.iter], [], None, None,
                                   lineno=loop.lineno)
        return tree


def _stepped(items: Any) -> Any:
    for item in items:
        step()
        yield item


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    body: str


def _as_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value)
    return datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)


class NoticeRenderer:
    """Renders one language's notices; the sandboxed environment and the compiled templates
    are built once per definition version and language."""

    def __init__(self, templates: dict[str, str]):
        self._templates = templates
        self.labels = labels = _labels(templates)

        self._env = _BoundedSandbox(
            loader=DictLoader(templates),
            undefined=StrictUndefined,
            autoescape=False,
            keep_trailing_newline=True,
        )
        self._env.filters.update(
            veilig=lambda text: neutralise(text, labels.get("link_verwijderd",
                                                            "[link verwijderd]")),
            datum=self.date_text,
            reden=lambda code: labels.get("reden", {}).get(code, code),
            uitkomst=lambda code: labels.get("uitkomst", {}).get(code, code),
        )

    def date_text(self, value: object) -> str:
        """A date in words in this language ("2 maart 2026"), from ``labels.json``."""
        day = _as_date(value)
        months = self.labels.get("maanden", [])
        return f"{day.day} {months[day.month - 1]} {day.year}" if months else day.isoformat()

    def render(self, kind: str, context: dict[str, Any]) -> RenderedNotice:
        name = f"{kind}.txt"
        if name not in self._templates:
            raise ModelError(f"geen sjabloon {name} voor dit bericht")
        text = _bounded_render(self._env.get_template(name), context, name)
        subject, _, body = text.partition("\n")
        return RenderedNotice(subject=subject.strip(), body=body.lstrip("\n"))


def _bounded_render(template: Any, context: dict[str, Any], name: str) -> str:
    """Render with one budget, stopping as soon as the text passes MAX_NOTICE."""
    parts, size = [], 0
    with bounded():
        for part in template.generate(**context):
            size += len(part)
            if size > MAX_NOTICE:
                raise ExpressionRejected(f"sjabloon {name}: bericht te lang (meer dan "
                                         f"{MAX_NOTICE} tekens)")
            parts.append(part)
    return "".join(parts)


def _labels(templates: dict[str, str]) -> dict[str, Any]:
    raw = templates.get("labels.json")
    return json.loads(raw) if raw else {}
