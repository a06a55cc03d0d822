"""The complainant's pages: the complaint form, the confirmation, the status page with
"niet akkoord" and withdrawal, and "is this message really from us?".

Each view calls one runner function (``runner.public_form``, ``runner.status``) and
renders; a validation failure draws the same page again with an error summary. After a
successful look-up the session (a signed, HTTP-only cookie that expires after 30 minutes
without use) keeps a status pass (``runner.status.StatusPass``: the dossier number and a
token that expires; never the access code), so the member does not type the code again for
each action; "Afmelden" forgets it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from runner.errors import ValidationFailed
from runner.public_form import Confirmation, public_form, submit_complaint
from runner.status import Attempt, StatusPass

from .extension import runner
from .i18n import language
from .messages import LABELS, field_errors, field_id

bp = Blueprint("public", __name__)
bp.add_app_template_filter(field_id, "field_id")

DOSSIER = "dossier"
CONFIRMATION = "bevestiging"
ANCHORS = {"formulier": "nummer"}

Page = str | tuple[str, int] | Response


@bp.get("/")
def index() -> Response:
    return redirect(url_for(".complaint_form"))


# ----- the complaint form and its confirmation
@bp.route("/klacht", methods=["GET", "POST"])
def complaint_form() -> Page:
    if request.method == "GET":
        session.pop(CONFIRMATION, None)
        return _form_page()
    try:
        confirmation = submit_complaint(runner().klachten, request.form, language())
    except ValidationFailed as error:
        return _form_page(error), 400
    _remember_confirmation(confirmation)
    return redirect(url_for(".confirmation"))


def _form_page(error: ValidationFailed | None = None) -> str:
    form = public_form(runner().klachten, language())
    errors = field_errors(error, form.max_lengths, ANCHORS) if error else []
    return render_template("klacht.html", form=form, labels=LABELS, errors=errors,
                           values=request.form if error else {})


def _remember_confirmation(confirmation: Confirmation) -> None:
    """Kept in the session for the confirmation page (a reload or a language switch shows
    it again); gone when the session ends or a new complaint is started."""
    session.permanent = True
    session[CONFIRMATION] = {
        "nummer": confirmation.dossier_number,
        "code": confirmation.access_code,
        "ontvangstmelding": _iso(confirmation.acknowledgement_due),
        "antwoord": _iso(confirmation.answer_due),
        "statusdagen": confirmation.status_every_days,
    }


@bp.get("/klacht/bevestiging")
def confirmation() -> Page:
    stored = session.get(CONFIRMATION)
    if not stored:
        return render_template("bevestiging.html", confirmation=None)
    return render_template("bevestiging.html", confirmation={
        **stored,
        "ontvangstmelding": _date(stored["ontvangstmelding"]),
        "antwoord": _date(stored["antwoord"]),
    })


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
    except ValidationFailed as error:
        session.pop(DOSSIER, None)
        return _sign_in_page(error)
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


@bp.post("/status/afmelden")
def sign_out() -> Response:
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
        return redirect(url_for(".status"))
    if request.method == "GET":
        return render_template(template, errors=[], values={})
    try:
        send(granted)
    except ValidationFailed as error:
        return render_template(template, errors=field_errors(error, anchors=ANCHORS),
                               values=request.form), 400
    flash(done)
    return redirect(url_for(".status"))


@bp.route("/status/bericht", methods=["GET", "POST"])
def notice_check() -> Page:
    """Is this message really from us? Yes with date and kind, or one uniform no."""
    if request.method == "GET":
        return render_template("bericht.html", result=None)
    attempt = Attempt(request.form.get("bericht.nummer", ""),
                      request.form.get("bericht.code", ""), _client())
    try:
        notice = runner().desk.check_notice(attempt, language())
    except ValidationFailed:
        return render_template("bericht.html", result="nee")
    return render_template("bericht.html", result="ja", notice=notice)


# ----- helpers
def _signed_in() -> StatusPass | None:
    stored = session.get(DOSSIER)
    return StatusPass.from_dict(stored) if isinstance(stored, Mapping) else None


def _client() -> str:
    return request.remote_addr or ""


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None
