"""One place that turns errors into responses: runner errors, CSRF failures, HTTP errors.

Each error class gets a status and a message in the page's language; a client that asks for
JSON gets a problem document (RFC 9457) instead of a page. Runner messages are internal
(Dutch, with dossier details): signed-in staff see them beside the general text, the public
never.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from runner.bpmn.errors import (
    Conflict,
    DatabaseUnavailable,
    Forbidden,
    NotFound,
    RunnerError,
    ValidationFailed,
)
from runner.errors import RateLimited, TooManySubmissions

from .auth import current_account, expired_staff_form, staff_page
from .request_guard import CrossSiteRequest, UnusableInput, vouched_same_site

log = logging.getLogger(__name__)

# (status, title, message) per runner error class; the first match in this order wins.
RUNNER_ERRORS = [
    (DatabaseUnavailable, 503, _l("Tijdelijk niet beschikbaar"),
     _l("Wij kunnen uw vraag nu niet verwerken. Er werd niets opgeslagen: probeer het over een "
        "minuut opnieuw.")),
    (TooManySubmissions, 429, _l("Te veel klachten na elkaar"),
     _l("Er werden van hier, of naar dit e-mailadres, kort na elkaar te veel klachten "
        "ingediend. U kunt het opnieuw proberen na %(minutes)s minuten, of de klachtendienst "
        "bellen.")),
    (RateLimited, 429, _l("Te veel pogingen"),
     _l("U hebt te vaak een dossiernummer of code ingevuld die niet klopt. Om uw dossier te "
        "beschermen kunt u het pas opnieuw proberen na %(minutes)s minuten.")),
    (ValidationFailed, 400, _l("Ongeldige invoer"),
     _l("Wat u invulde, kunnen wij niet verwerken. Ga terug en controleer het formulier.")),
    (NotFound, 404, _l("Niet gevonden"), _l("Deze pagina of dit gegeven bestaat niet.")),
    (Conflict, 409, _l("Dit kan niet meer"),
     _l("Uw dossier is intussen veranderd, zodat dit niet meer kan. Bekijk de statuspagina "
        "opnieuw.")),
    (Forbidden, 403, _l("Niet toegestaan"), _l("Dit mag u niet doen.")),
    (RunnerError, 500, _l("Er ging iets mis"),
     _l("Er ging bij ons iets mis. Probeer het later opnieuw of neem contact op met de "
        "klachtendienst.")),
]
# What staff read instead, where the member's text would send them to the status page.
STAFF_MESSAGES = {
    409: _l("Het dossier is intussen veranderd, of dit kan in deze stap niet. Lees de reden "
            "hieronder en laad de dossierpagina opnieuw."),
}
HTTP_MESSAGES = {
    404: (_l("Niet gevonden"), _l("Deze pagina bestaat niet.")),
    405: (_l("Niet toegestaan"), _l("Deze pagina kan zo niet gebruikt worden.")),
    413: (_l("Te groot"), _l("Wat u verstuurde, is te groot.")),
}
GUARD_MESSAGES = {
    CrossSiteRequest: (_l("Verzoek van een andere website geweigerd"),
                       _l("Dit formulier werd niet vanaf onze eigen pagina's verstuurd. Er is "
                          "niets gewijzigd. Open de pagina zelf via het adres van de "
                          "klachtendienst en probeer het daar opnieuw.")),
    UnusableInput: (_l("Ongeldige tekens"),
                    _l("Wat u verstuurde, bevat tekens die wij niet kunnen verwerken (zoals een "
                       "nulteken) of is te diep genest. Er is niets gewijzigd.")),
}
# While the database is away (a restart, a failover) nothing is saved: "try again".
RETRY_AFTER_SECONDS = 30
CSRF_MESSAGE = (_l("Formulier verlopen"),
                _l("Het formulier is verlopen of onvolledig verstuurd. Laad de pagina opnieuw "
                   "en probeer het nog eens."))


def init_app(app: Flask) -> None:
    app.register_error_handler(RunnerError, handle_runner_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    for guarded in GUARD_MESSAGES:
        app.register_error_handler(guarded, handle_guard_error)
    app.register_error_handler(HTTPException, handle_http_error)


def handle_runner_error(error: RunnerError) -> Response:
    status, title, message = next((s, t, m) for cls, s, t, m in RUNNER_ERRORS
                                  if isinstance(error, cls))
    headers = {}
    if isinstance(error, RateLimited):
        headers["Retry-After"] = str(error.retry_after)
        text = str(message) % {"minutes": max(1, -(-error.retry_after // 60))}
    else:
        text = str(message)
    if isinstance(error, DatabaseUnavailable):
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        log.warning("database niet bereikbaar bij %s: %s", request.path, error)
    elif status >= 500:
        log.error("fout bij %s: %s", request.path, error, exc_info=error)
    # Staff get the runner's own reason ("bericht X is verzonden: er is geen brief te
    # posten") and words for their work; the public pages keep the general text, which
    # reveals nothing.
    staff = current_account() is not None
    detail = str(error) if status < 500 and staff else ""
    text = str(STAFF_MESSAGES.get(status, text)) if staff else text
    return _respond(status, str(title), text, headers, detail)


def handle_csrf_error(error: CSRFError) -> ResponseReturnValue:
    """A refused token. Only a staff form that our own page sent (the browser names this
    site, and the token is one we signed) while the session ended gets the login page that
    keeps its fields; anything else is refused and forgotten (issue 25, item 1)."""
    ended = current_account() is None  # signed in: a missing token is no expired session
    if (ended and staff_page(request.path) and request.method == "POST"
            and not _wants_json() and vouched_same_site()
            and (kept := expired_staff_form()) is not None):
        return kept
    title, message = CSRF_MESSAGE
    return _respond(400, str(title), str(message))


def handle_guard_error(error: CrossSiteRequest | UnusableInput) -> Response:
    title, message = GUARD_MESSAGES[type(error)]
    return _respond(error.code or 400, str(title), str(message))


def handle_http_error(error: HTTPException) -> Response:
    status = error.code or 500
    title, message = HTTP_MESSAGES.get(status, (_l("Fout"), _l("Er ging iets mis.")))
    # A 405 says which methods the URL takes (RFC 9110: Allow is required).
    allowed = {name: value for name, value in error.get_headers() if name == "Allow"}
    return _respond(status, str(title), str(message), allowed)


def _respond(status: int, title: str, message: str,
             headers: dict[str, str] | None = None, detail: str = "") -> Response:
    if _wants_json():
        response = jsonify(type="about:blank", title=title, status=status,
                           detail=detail or message)
        response.mimetype = "application/problem+json"
    else:
        response = Response(render_template("fout.html", title=title, message=message,
                                            detail=detail))
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _wants_json() -> bool:
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json",
                                                "application/problem+json"])
    return best is not None and best != "text/html"
