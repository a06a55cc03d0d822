"""Languages: Dutch (default) and French, with a switch on every page.

The switch is a plain link with ``?taal=fr``: it works without JavaScript, and the choice
is kept in the session. Without a choice the browser's preference decides.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask import Flask, request, session, url_for
from flask_babel import Babel, format_time, get_locale, to_user_timezone

from runner.deadlines.display import day_text
from runner.definition.model import DEFAULT_TIMEZONE

LANGUAGES = {"nl": "Nederlands", "fr": "Français"}
DEFAULT = "nl"
PARAMETER = "taal"


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    # Instants are stored in UTC; people read them in the fund's local time.
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE)
    Babel(app, locale_selector=select_locale)
    app.before_request(remember_choice)
    app.jinja_env.filters["datum"] = long_date
    app.jinja_env.filters["tijdstip"] = local_instant
    app.context_processor(lambda: {"languages": LANGUAGES, "language": language(),
                                   "switch_url": switch_url})


def remember_choice() -> None:
    choice = request.args.get(PARAMETER)
    if choice in LANGUAGES:
        session[PARAMETER] = choice


def select_locale() -> str:
    choice = request.args.get(PARAMETER) or session.get(PARAMETER)
    if choice in LANGUAGES:
        return choice
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT


def language() -> str:
    return str(get_locale() or DEFAULT)


def switch_url(code: str) -> str:
    """This page in another language (the form's start page when there is no page)."""
    rule = request.url_rule
    endpoint = request.endpoint if rule and request.endpoint != "static" else None
    if endpoint is None or rule is None or "GET" not in (rule.methods or ()):
        endpoint = "public.complaint_form"
    values: dict[str, Any] = {**(request.view_args or {}), PARAMETER: code}
    return url_for(endpoint, **values)


def long_date(value: date | str | None) -> str:
    """A day (a date or its ISO text) in words, as every page writes days: 2 maart 2026."""
    if not value:
        return ""
    return day_text(date.fromisoformat(value) if isinstance(value, str) else value, language())


def local_instant(value: datetime | str | None) -> str:
    """An instant (a datetime or its ISO text, as the runner gives it) in local time, its
    day in the same words as :func:`long_date`: 2 maart 2026, 10:00."""
    if not value:
        return ""
    instant = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = to_user_timezone(instant)
    return f"{day_text(local.date(), language())}, {format_time(local, format='short')}"
