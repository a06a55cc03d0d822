"""A staff member's own account (``/mijn-account``): change the password, sign out
everywhere, and the API tokens (make one with a label and an expiry, see them, revoke them);
and, for whoever forgot a password, the public pages that ask for and spend a reset link."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import logout_user
from werkzeug.wrappers import Response

from runner.accounts import tokens
from runner.accounts.users import OWN_ACCOUNT
from runner.bpmn.errors import NotFound, ValidationFailed

from .auth import SESSION_TOKEN, requires, signed_in
from .extension import runner
from .messages import field_errors
from .openapi import MAX_INTEGER

bp = Blueprint("account", __name__)


@bp.get("/mijn-account")
@requires(OWN_ACCOUNT)
def page() -> tuple[str, int]:
    return _page(None)


def _page(error: ValidationFailed | None, new_token: str = "",
          status: int = 200) -> tuple[str, int]:
    account = signed_in()
    errors = field_errors(error) if error else []
    return render_template("mijn_account.html", errors=errors, new_token=new_token,
                           tokens=runner().accounts.tokens(account.name),
                           max_days=tokens.MAX_DAYS,
                           default_days=tokens.DEFAULT_DAYS,
                           values=request.form if error else {}), status


@bp.post("/mijn-account/wachtwoord")
@requires(OWN_ACCOUNT)
def change_password() -> Response | tuple[str, int]:
    try:
        new = _repeated_password()
        runner().accounts.change_password(signed_in(), request.form.get("huidig", ""), new,
                                          keep_session=str(session.get(SESSION_TOKEN, "")))
    except ValidationFailed as error:
        return _page(error, status=400)
    flash(str(_l("Uw wachtwoord is gewijzigd. Uw andere sessies zijn afgemeld.")))
    return redirect(url_for(".page"))


@bp.post("/mijn-account/overal-afmelden")
@requires(OWN_ACCOUNT)
def sign_out_everywhere() -> Response:
    runner().accounts.sign_out_everywhere(signed_in())
    logout_user()
    session.clear()
    flash(str(_l("U bent overal afgemeld, ook hier.")))
    return redirect(url_for("auth.login"))


@bp.post("/mijn-account/tokens")
@requires(OWN_ACCOUNT)
def new_token() -> tuple[str, int]:
    try:
        token = runner().accounts.new_token(signed_in().name, request.form.get("label", ""),
                                            request.form.get("dagen", ""))
    except ValidationFailed as error:
        return _page(error, status=400)
    return _page(None, new_token=token)


@bp.post(f"/mijn-account/tokens/<int(max={MAX_INTEGER}):token_id>/intrekken")
@requires(OWN_ACCOUNT)
def revoke_token(token_id: int) -> Response:
    try:
        runner().accounts.revoke_token(signed_in().name, token_id)
    except NotFound:
        flash(str(_l("Dat token bestaat niet (meer).")))
        return redirect(url_for(".page"))
    flash(str(_l("Het token is ingetrokken.")))
    return redirect(url_for(".page"))


# ----- forgotten password (public pages)
@bp.route("/wachtwoord/vergeten", methods=["GET", "POST"])
def forgotten() -> str | tuple[str, int]:
    if request.method == "GET":
        return render_template("wachtwoord_vergeten.html", sent=False, errors=[], values={})
    wanted = request.form.get("naam", "").strip()
    if not wanted:
        error = ValidationFailed({"naam": "verplicht"}, {"naam": "required"})
        return render_template("wachtwoord_vergeten.html", sent=False, values={},
                               errors=field_errors(error)), 400
    runner().accounts.request_reset(wanted, request.remote_addr or "")
    return render_template("wachtwoord_vergeten.html", sent=True, errors=[], values={})


@bp.route("/wachtwoord/herstellen/<token>", methods=["GET", "POST"])
def reset(token: str) -> str | tuple[str, int] | Response:
    accounts = runner().accounts
    if request.method == "GET":
        return render_template("wachtwoord_herstellen.html", valid=accounts.reset_pending(token),
                               errors=[]), 200
    try:
        account = accounts.reset_password(token, _repeated_password())
    except ValidationFailed as error:
        return render_template("wachtwoord_herstellen.html", errors=field_errors(error),
                               valid="link" not in error.reasons), 400
    flash(str(_l("Uw nieuwe wachtwoord is ingesteld, %(name)s. Meld u ermee aan.",
                 name=account.name)))
    return redirect(url_for("auth.login"))


def _repeated_password() -> str:
    new = request.form.get("wachtwoord", "")
    if new != request.form.get("herhaling", ""):
        raise ValidationFailed({"herhaling": "de twee nieuwe wachtwoorden verschillen"},
                               {"herhaling": "verschillend"})
    return new
