"""The beheerder's pages: the users."""

from __future__ import annotations

from flask import Blueprint, render_template

from runner.accounts import ADMINISTER, ROLES

from .auth import requires
from .extension import runner

bp = Blueprint("admin", __name__, url_prefix="/beheer")


@bp.get("/gebruikers")
@requires(ADMINISTER)
def users() -> str:
    return render_template("gebruikers.html", users=runner().accounts.list(), roles=ROLES)
