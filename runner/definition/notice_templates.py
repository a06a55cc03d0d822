"""Rendering notices from the templates in ``processes/notices/<taal>/``.

Templates are data edited by process designers, so they run in Jinja's sandbox with strict
undefined. The first line of a template is the subject, the rest (after one blank line) the
body. Free text that reaches a notice goes through the ``veilig`` filter, which neutralises
URLs and HTML: notices never carry a link except the status page address from settings.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from jinja2 import DictLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from runner.bpmn.errors import ModelError

_URL = re.compile(r"(?i)\b(?:https?://|ftp://|www\.)\S+")
_TAG = re.compile(r"<[^>]{0,500}>")


def neutralise(text: object, removed: str = "[link verwijderd]") -> str:
    """Remove HTML tags and replace URLs by ``removed`` (``link_verwijderd`` in the
    language's ``labels.json``): a notice never echoes a link from free text."""
    plain = _TAG.sub("", str(text or ""))
    return _URL.sub(lambda _match: removed, plain)


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

        self._env = SandboxedEnvironment(
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
        text = self._env.get_template(name).render(**context)
        subject, _, body = text.partition("\n")
        return RenderedNotice(subject=subject.strip(), body=body.lstrip("\n"))


def _labels(templates: dict[str, str]) -> dict[str, Any]:
    raw = templates.get("labels.json")
    return json.loads(raw) if raw else {}
