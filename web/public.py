"""The complainant's pages: the complaint form, the confirmation, the status page with
"niet akkoord" and withdrawal, and "is this message really from us?".

Each view calls one runner function (``runner.members.public_form``,
``runner.members.status_page``) and renders; a validation failure draws the same page again
with an error summary. After a successful look-up the session (a signed, HTTP-only cookie
that expires after 30 minutes without use) keeps a status pass
(``runner.members.status_page.StatusPass``: the dossier number and a token that expires;
never the access code), so the member does not type the code again for each action;
"Afmelden" forgets it. After the complaint form the session keeps only a reference to the
submission (``runner.members.confirmations``): the confirmation page shows the access code
once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from runner.bpmn.errors import ValidationFailed
from runner.errors import AccessDenied
from runner.members.confirmations import new_form_token, usable_token
from runner.members.public_form import confirmation as confirmation_of
from runner.members.public_form import public_form, submit_complaint
from runner.members.status_page import Attempt, StatusPass

from .extension import runner
from .i18n import language
from .messages import LABELS, field_errors, field_id

bp = Blueprint("public", __name__)
bp.add_app_template_filter(field_id, "field_id")

DOSSIER = "dossier"
CONFIRMATION = "bevestiging"
FORM_TOKEN = "formulier"
ANCHORS = {"formulier": "nummer"}

Page = str | tuple[str, int] | Response


@bp.get("/")
def index() -> Response:
    return redirect(url_for(".complaint_form"))


# ----- the complaint form and its confirmation
@bp.route("/klacht", methods=["GET", "POST"])
def complaint_form() -> Page:
    if request.method == "GET":
        return _form_page()
    token = usable_token(request.form.get(FORM_TOKEN))
    try:
        submit_complaint(runner().klachten, request.form, language(), token, _client(),
                         runner().form_limits)
    except ValidationFailed as error:
        return _form_page(error, token), 400
    session.permanent = True
    session[CONFIRMATION] = token  # a reference to the submission; never the access code
    return redirect(url_for(".confirmation"))


def _form_page(error: ValidationFailed | None = None, token: str | None = None) -> str:
    form = public_form(runner().klachten, language())
    errors = field_errors(error, form.max_lengths, ANCHORS) if error else []
    return render_template("klacht.html", form=form, labels=LABELS, errors=errors,
                           values=request.form if error else {},
                           form_token=token or new_form_token())


@bp.get("/klacht/bevestiging")
def confirmation() -> Response:
    """The same confirmation however often it is opened; the access code only the first
    time, and never from a cache."""
    token = session.get(CONFIRMATION)
    found = confirmation_of(runner().klachten, token) if isinstance(token, str) else None
    response = make_response(render_template("bevestiging.html", confirmation=found))
    response.headers["Cache-Control"] = "no-store"
    return response


# ----- the status page
@bp.route("/status", methods=["GET", "POST"])
def status() -> Page:
    if request.method == "POST":
        return _sign_in()
    granted = _signed_in()
    if granted is None:
        return render_template("status_aanmelden.html", errors=[])
    try:
        found = runner().desk.look_up(granted, language())
    except AccessDenied:
        return _session_ended()
    return render_template("status.html", status=found)


def _sign_in() -> Page:
    attempt = Attempt(request.form.get("nummer", ""), request.form.get("toegangscode", ""),
                      _client())
    try:
        granted = runner().desk.sign_in(attempt)
    except ValidationFailed as error:
        return _sign_in_page(error)
    session.pop(CONFIRMATION, None)
    session.permanent = True
    session[DOSSIER] = granted.as_dict()
    return redirect(url_for(".status"))


def _sign_in_page(error: ValidationFailed) -> tuple[str, int]:
    """The same page, status and message whether the dossier is unknown or the code wrong;
    nothing typed is echoed."""
    return render_template("status_aanmelden.html",
                           errors=field_errors(error, anchors=ANCHORS)), 400


def _session_ended() -> tuple[str, int]:
    """The pass expired or was ended elsewhere: say so, instead of a wrong-code message
    about nothing the member typed."""
    session.pop(DOSSIER, None)
    return render_template("status_aanmelden.html", errors=[], ended=True), 401


@bp.post("/status/afmelden")
def sign_out() -> Response:
    granted = _signed_in()
    if granted is not None:
        runner().desk.sign_out(granted)
    session.pop(DOSSIER, None)
    flash(_("U bent afgemeld. Uw dossiernummer en code zijn van dit toestel gewist."))
    return redirect(url_for(".status"))


@bp.route("/status/niet-akkoord", methods=["GET", "POST"])
def disagree() -> Page:
    return _message_page("niet_akkoord.html", lambda granted: runner().desk.disagree(
        granted, request.form), _("Wij hebben ontvangen dat u niet akkoord gaat met ons "
                                  "antwoord. De nationale klachtenbemiddelaar onderzoekt uw "
                                  "dossier opnieuw."))


@bp.route("/status/intrekken", methods=["GET", "POST"])
def withdraw() -> Page:
    return _message_page("intrekken.html", lambda granted: runner().desk.withdraw(
        granted, request.form), _("Uw klacht is ingetrokken en uw dossier wordt afgesloten."))


def _message_page(template: str, send: Callable[[StatusPass], None], done: str) -> Page:
    """A page with one form that sends a message to the process for the signed-in dossier."""
    granted = _signed_in()
    if granted is None:
        return _session_ended()
    if request.method == "GET":
        return render_template(template, errors=[], values={})
    try:
        send(granted)
    except AccessDenied:
        return _session_ended()
    except ValidationFailed as error:
        return render_template(template, errors=field_errors(error, anchors=ANCHORS),
                               values=request.form), 400
    flash(done)
    return redirect(url_for(".status"))


@bp.route("/status/bericht", methods=["GET", "POST"])
def notice_check() -> Page:
    """Is this message really from us? Yes with date and kind, or one uniform no."""
    if request.method == "GET":
        return render_template("bericht.html", result=None, values={})
    attempt = Attempt(request.form.get("bericht.nummer", ""),
                      request.form.get("bericht.code", ""), _client())
    try:
        notice = runner().desk.check_notice(attempt, language())
    except ValidationFailed:  # what was typed stays, to check it
        return render_template("bericht.html", result="nee", values=request.form)
    return render_template("bericht.html", result="ja", notice=notice, values=request.form)


# ----- helpers
def _signed_in() -> StatusPass | None:
    stored = session.get(DOSSIER)
    return StatusPass.from_dict(stored) if isinstance(stored, Mapping) else None


def _client() -> str:
    return request.remote_addr or ""

