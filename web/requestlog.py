"""One log line per request: method, route, status, duration and a request id.

The route is the URL rule (``/bemiddeling/dossiers/<number>``), not the path: a path can
carry a dossier number, and no query string is logged (a search holds a name). An incoming
``X-Request-ID`` of a sane shape is kept (a reverse proxy's id ties its log to ours),
otherwise one is made; the response carries it back. Probes and scrapes are logged at DEBUG
only, so that they do not drown the requests of people.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("klachten.request")
HEADER = "X-Request-ID"
QUIET = frozenset({"/healthz", "/readyz", "/metrics"})
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_MAX_PATH = 200


def init_app(app: Flask) -> None:
    app.before_request(start)
    app.after_request(finish)


def start() -> None:
    incoming = request.headers.get(HEADER, "")
    g.request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def finish(response: Response) -> Response:
    started = g.get("request_started")
    request_id = g.get("request_id") or uuid.uuid4().hex
    route = request.url_rule.rule if request.url_rule else request.path[:_MAX_PATH]
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    log.log(logging.DEBUG if route in QUIET else logging.INFO,
            "%s %s %s %s ms", request.method, route, response.status_code, duration_ms,
            extra={"method": request.method, "path": route, "status": response.status_code,
                   "duration_ms": duration_ms, "request_id": request_id})
    response.headers[HEADER] = request_id
    return response
