"""Requests refused before any view runs: a state-changing request from another site, and
input no view can take (NUL bytes, JSON nested deeper than any form).

**Another site** (issue 25, item 1). A browser says where a POST comes from: ``Origin``
(every modern browser, on every POST) or else ``Referer``. A request that names another
origin, or ``null`` (a sandboxed frame, a ``data:`` page), is refused with 403 before the
CSRF check, the login or any view: the token is the second line, not the only one. A
request naming neither is no browser's form (the CLI's HTTP clients, the API's scripts,
test clients) and passes on to the token check. Our own pages send their origin because
``Referrer-Policy`` is ``same-origin`` (``no-referrer`` made Chromium send ``Origin:
null`` on our own forms).

The origin of this site is the request's scheme and host (behind ``KLACHTEN_PROXY_COUNT``
proxies the scheme the proxy reports, and the port is the proxy's business, so only the
host name counts), or ``KLACHTEN_PUBLIC_URL``.

**NUL bytes** (item 8). PostgreSQL cannot store U+0000 in text; no field of ours needs it.
A form value, query value or JSON string carrying one is a 400 with a clear message here,
instead of a 500 from the database later.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.exceptions import BadRequest, Forbidden

from .extension import app_settings

log = logging.getLogger(__name__)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
DEFAULT_PORTS = {"http": 80, "https": 443}
# Deeper JSON than this is no request of ours (the deepest body, a task form with a table,
# nests four levels); json.loads of 60 000 levels raises RecursionError, a 500 before.
MAX_JSON_DEPTH = 32


class CrossSiteRequest(Forbidden):
    """A state-changing request whose ``Origin`` or ``Referer`` names another site."""


class UnusableInput(BadRequest):
    """A request carrying what no field can hold: a NUL byte, or JSON nested too deep."""


def init_app(app: Flask) -> None:
    """Registered before Flask-WTF's CSRF check, so a cross-site POST never reaches it (nor
    the "session expired, form kept" page that a failed check can show)."""
    app.before_request(refuse_cross_site)
    app.before_request(refuse_unusable_input)


def refuse_cross_site() -> None:
    if request.method in SAFE_METHODS:
        return
    source = claimed_origin()
    if source is None or is_this_site(source):
        return
    log.warning("verzoek van een andere website geweigerd: %s %s (herkomst %s)",
                request.method, request.path, source)
    raise CrossSiteRequest()


def claimed_origin() -> str | None:
    """Where the browser says the request comes from: ``Origin``, else the origin of
    ``Referer``; None when it says neither."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.strip()
    referer = request.headers.get("Referer")
    if referer is None:
        return None
    parts = urlsplit(referer.strip())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else "null"


def vouched_same_site() -> bool:
    """The browser positively named this site (not merely: named no other)."""
    source = claimed_origin()
    return source is not None and is_this_site(source)


def is_this_site(origin: str) -> bool:
    """``origin`` (``scheme://host[:port]``) is this request's own origin or the configured
    public address."""
    claimed = _origin_tuple(origin)
    if claimed is None:
        return False
    if (public := app_settings().public_url) and claimed == _origin_tuple(public):
        return True
    own = _origin_tuple(request.host_url)
    if own is None or claimed[0] != own[0] or claimed[1] != own[1]:
        return False
    return app_settings().proxy_count > 0 or claimed[2] == own[2]


def _origin_tuple(url: str) -> tuple[str, str, int] | None:
    """(scheme, host name, port) of an absolute http(s) address; None for anything else
    (``null``, ``file:``, garbage)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or DEFAULT_PORTS[scheme]


def refuse_unusable_input() -> None:
    values = [*request.args.values(), *request.args.keys()]
    if request.method not in SAFE_METHODS and request.mimetype != "application/json":
        values += [*request.form.values(), *request.form.keys()]
    if any("\x00" in value for value in values):
        raise UnusableInput()
    if request.mimetype == "application/json" and request.content_length != 0:
        _check_json(request.get_data(cache=True))


def _check_json(body: bytes) -> None:
    """Refuse a NUL (raw or ``\\u0000``) or nesting deeper than ``MAX_JSON_DEPTH``, counted
    on the bytes before parsing: ``json.loads`` itself overflows the stack on deep input."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                raise UnusableInput()
        elif byte in (0x5D, 0x7D):
            depth -= 1
    if b"\x00" in body or b"\\u0000" in body.lower():
        raise UnusableInput()
