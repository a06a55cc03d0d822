"""The beheerder's pages: processes (lint, deploy, versions), users, the access log."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from runner.accounts.users import ADMINISTER, ROLES
from runner.bpmn.errors import ModelRejected, ValidationFailed

from .auth import requires, signed_in
from .extension import runner
from .messages import FieldError, field_errors, field_id

bp = Blueprint("admin", __name__, url_prefix="/beheer")


@bp.get("/toegang")
@requires(ADMINISTER)
def access_log() -> str:
    return render_template("toegang.html", entries=runner().dossiers.access_log(signed_in()))


@bp.get("/processen")
@requires(ADMINISTER)
def processes() -> str:
    return _processes_page(None)


def _processes_page(problems: list[str] | None, refused: bool = False) -> str:
    return render_template("processen.html", problems=problems, refused=refused,
                           versions=runner().admin.versions(signed_in()),
                           incidents=runner().admin.open_incidents(signed_in()))


@bp.post("/processen/lint")
@requires(ADMINISTER)
def lint() -> str:
    return _processes_page(runner().admin.lint(signed_in()))


@bp.post("/processen/deploy")
@requires(ADMINISTER)
def deploy() -> Response | tuple[str, int]:
    try:
        result = runner().admin.deploy(signed_in())
    except ModelRejected as rejected:
        return _processes_page([str(problem) for problem in rejected.problems],
                               refused=True), 422
    flash(str(_l("Procesversie %(version)s gedeployed.", version=result.version)
              if result.created else
              _l("Er is niets veranderd: versie %(version)s blijft.", version=result.version)))
    for warning in result.warnings:
        flash(warning)
    return redirect(url_for(".processes"))


MIGRATION_ERRORS = {
    "versie": _l("Kies een procesversie."),
    "selectie": _l("Geef dossiernummers, of kies de versie waarvan alle lopende dossiers "
                   "meegaan: niet allebei."),
    "onbekend": _l("Dit dossier of deze versie bestaat niet: %(detail)s"),
    "conflict": _l("Terugdraaien kan niet: %(detail)s"),
}


@bp.get("/migratie")
@requires(ADMINISTER)
def migration() -> str:
    return _migration_page()


@bp.post("/migratie")
@requires(ADMINISTER)
def migrate() -> str | tuple[str, int]:
    form = request.form
    try:
        report = runner().admin.migration(
            signed_in(), form.get("naar", ""), form.get("dossiers", ""),
            form.get("van", ""), form.get("nieuwe_regels") == "ja",
            execute=form.get("actie") == "migreren")
    except ValidationFailed as error:
        return _migration_page(error=error), 400
    return _migration_page(report=report)


@bp.post("/migratie/terugdraaien")
@requires(ADMINISTER)
def revert_migration() -> str | tuple[str, int]:
    try:
        reverted = runner().admin.revert_migration(signed_in(),
                                                   request.form.get("terug", ""))
    except ValidationFailed as error:
        return _migration_page(error=error), 400
    return _migration_page(reverted=reverted)


def _migration_page(report: dict | None = None, error: ValidationFailed | None = None,
                    reverted: list | None = None) -> str:
    errors = [FieldError(field, field_id(field),
                         str(MIGRATION_ERRORS[error.codes[field]] % {"detail": reason}))
              for field, reason in error.reasons.items()] if error else []
    return render_template("migratie.html", report=report, errors=errors, reverted=reverted,
                           values=request.form, versions=runner().admin.versions(
                               signed_in()))


@bp.route("/gebruikers", methods=["GET", "POST"])
@requires(ADMINISTER)
def users() -> str | tuple[str, int] | Response:
    if request.method == "POST":
        try:
            runner().admin.add_user(signed_in(), request.form.get("naam", ""),
                                    request.form.getlist("rol"),
                                    request.form.get("wachtwoord", ""))
        except ValidationFailed as error:
            return _users_page(error), 400
        flash(str(_l("Gebruiker %(name)s toegevoegd.", name=request.form.get("naam", ""))))
        return redirect(url_for(".users"))
    return _users_page(None)


def _users_page(error: ValidationFailed | None, reset: tuple[str, str] | None = None) -> str:
    """The users; ``reset``: a user's new reset link, shown this once."""
    return render_template("gebruikers.html", users=runner().accounts.list(), roles=ROLES,
                           errors=field_errors(error, {}, {"rol": "rol-0"}) if error else [],
                           values=request.form if error else {}, reset=reset)


@bp.post("/gebruikers/<name>")
@requires(ADMINISTER)
def change_user(name: str) -> Response | str | tuple[str, int]:
    admin, action = runner().admin, request.form.get("actie")
    if action == "rollen":
        admin.set_roles(signed_in(), name, request.form.getlist("rol"))
    elif action == "email":
        try:
            admin.set_email(signed_in(), name, request.form.get("email", ""))
        except ValidationFailed as error:
            return _users_page(error), 400
    elif action in ("inschakelen", "herstellink"):
        if action == "inschakelen":
            admin.set_disabled(signed_in(), name, False)
        return _users_page(None, reset=(name, admin.reset_link(signed_in(), name)))
    else:
        admin.set_disabled(signed_in(), name, action == "uitschakelen")
    flash(str(_l("Gebruiker %(name)s gewijzigd.", name=name)))
    return redirect(url_for(".users"))
