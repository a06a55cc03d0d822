"""Template filters that show the model's codes as labels and deadlines as their last day,
in the page's language: ``{{ code|label("categorie") }}``, ``{{ due|termijn }}``; and text
that people typed isolated from the page around it: ``{{ name|bdi }}``.

Labels come from the newest model's ``labels.json``; a deadline is shown by
:mod:`runner.deadlines.display`, the one place that decides how (also for the API and the
notices). The clock and the model are read once per request.
"""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, g
from markupsafe import Markup

from runner.deadlines.display import ShownDeadline, day_text, shown
from runner.definition.labels import Labels

from .extension import runner
from .i18n import language


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(label=label, termijn=deadline, dag=day, bdi=isolated)


def label(code: object, kind: str, default: str | None = None) -> str:
    """The label of ``code`` of ``kind`` in the page's language (``default``, else the code
    itself, when the labels have none)."""
    labels: Labels = _cached("labels", lambda: runner().klachten.latest_model().labels)
    if default is not None and not labels.has(kind, code, "nl"):
        return default
    return labels.text(kind, code, language())


def isolated(text: object) -> Markup:
    """Typed text (a name, an address, a motivation) in its own ``<bdi>``: its direction is
    its own (Arabic reads right to left) and a direction override inside it (U+202E) ends
    with it, so it never reorders the labels and words that follow on the line."""
    if text is None or text == "":
        return Markup("")
    return Markup("<bdi>{}</bdi>").format(text)


def deadline(due: date | datetime | str | None,
             done_at: datetime | str | None = None) -> ShownDeadline | None:
    """The deadline as people read it: ``.by(language)`` and ``.remaining(language)``
    (met or late once ``done_at``, the instant its work was done, is given)."""
    if not due:
        return None
    now = _cached("now", lambda: runner().klachten.clock.now())
    return shown(due, now, _zone(), done_at)


def day(due: date | datetime | str | None) -> str:
    """Only the last day in words: 15 december 2026."""
    shown_deadline = deadline(due)
    return day_text(shown_deadline.last_day, language()) if shown_deadline else ""


def _zone():
    return _cached("zone", lambda: runner().klachten.latest_model().timezone)


def _cached(name: str, make):
    key = f"_display_{name}"
    if not hasattr(g, key):
        setattr(g, key, make())
    return getattr(g, key)
