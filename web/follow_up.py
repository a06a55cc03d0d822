"""The mediators' pages after the closure: reopen a closed dossier, close a dossier as a
duplicate of another (``runner.work.follow_up``). The typed reason stays on the page when
it is refused."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from runner.accounts.users import WORK_TASKS
from runner.bpmn.errors import Conflict, ValidationFailed
from runner.work.follow_up import MAX_REASON, MIN_REASON, FollowUp

from .auth import requires, signed_in
from .extension import runner
from .messages import FieldError, field_id

bp = Blueprint("follow_up", __name__, url_prefix="/bemiddeling/dossiers")
REOPEN, DUPLICATE = "heropenen", "dubbel"


def _messages(code: str, typed: str) -> str:
    """A refusal in the page's language; ``code`` as ``runner.work.follow_up`` gives it."""
    if code.startswith("duplicate:"):
        first = code.partition(":")[2]
        return str(_l("Dossier %(number)s is zelf een dubbel van %(first)s: kies %(first)s.",
                      number=typed, first=first))
    texts = {
        "minLength": _l("Geef een reden van minstens %(min)s tekens.", min=MIN_REASON),
        "maxLength": _l("De reden is te lang: hoogstens %(max)s tekens.", max=MAX_REASON),
        "required": _l("Vul het nummer van het dossier in dat de klacht behandelt."),
        "self": _l("Een dossier kan geen dubbel van zichzelf zijn."),
        "unknown": _l("Dossier %(number)s bestaat niet.", number=typed),
        "erased": _l("Dossier %(number)s is gewist.", number=typed),
    }
    return str(texts.get(code, _l("Deze waarde is ongeldig.")))


def _errors(error: ValidationFailed) -> list[FieldError]:
    return [FieldError(name, field_id(name), _messages(code, request.form.get(name, "")[:40]))
            for name, code in error.codes.items()]


def _page(number: str, action: str, errors: list[FieldError] | None = None) -> str:
    return render_template("vervolg.html", number=number, action=action,
                           errors=errors or [], values=request.form,
                           version=request.values.get("versie", ""))


def _follow_up() -> FollowUp:
    return FollowUp(runner().klachten)


@bp.route("/<number>/heropenen", methods=["GET", "POST"])
@requires(WORK_TASKS)
def reopen(number: str) -> ResponseReturnValue:
    if request.method == "GET":
        return _page(number, REOPEN)
    try:
        _follow_up().reopen(signed_in(), number, request.form.get("reden", ""),
                            request.form.get("versie", type=int))
    except ValidationFailed as error:
        return _page(number, REOPEN, _errors(error)), 400
    except Conflict as error:
        flash(str(error))
        return redirect(url_for("mediator.dossier", number=number))
    flash(str(_l("Dossier %(number)s is heropend.", number=number)))
    return redirect(url_for("mediator.dossier", number=number))


@bp.route("/<number>/dubbel", methods=["GET", "POST"])
@requires(WORK_TASKS)
def duplicate(number: str) -> ResponseReturnValue:
    if request.method == "GET":
        return _page(number, DUPLICATE)
    original = request.form.get("van", "").strip()[:40]
    try:
        _follow_up().mark_duplicate(signed_in(), number, original,
                                    request.form.get("reden", ""),
                                    request.form.get("versie", type=int))
    except ValidationFailed as error:
        return _page(number, DUPLICATE, _errors(error)), 400
    except Conflict as error:
        flash(str(error))
        return redirect(url_for("mediator.dossier", number=number))
    flash(str(_l("Dossier %(number)s is afgesloten als dubbel van %(original)s; de klager "
                 "kreeg geen bericht.", number=number, original=original)))
    return redirect(url_for("mediator.dossier", number=number))
