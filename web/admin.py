"""The beheerder's pages: the users and the access log of the dossiers."""

from __future__ import annotations

from flask import Blueprint, render_template

from runner.accounts import ADMINISTER, ROLES

from .auth import current_account, requires
from .extension import runner

bp = Blueprint("admin", __name__, url_prefix="/beheer")


@bp.get("/toegang")
@requires(ADMINISTER)
def access_log() -> str:
    return render_template("toegang.html", entries=runner().dossiers.access_log(current_account()))


@bp.get("/gebruikers")
@requires(ADMINISTER)
def users() -> str:
    return render_template("gebruikers.html", users=runner().accounts.list(), roles=ROLES)
