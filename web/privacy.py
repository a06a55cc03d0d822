"""The privacy pages: access requests, legal hold and erasure on request (beheerder), the
register of processing (beheerder), and the correction of contact data (mediator).

Each view calls one runner function (``runner.privacy.subject_access``,
``runner.privacy.retention``, ``runner.privacy.rectification``,
``runner.privacy.processing_register``) and renders.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from runner.accounts.users import ADMINISTER, WORK_TASKS
from runner.bpmn.errors import Conflict, ValidationFailed
from runner.privacy.subject_access import Person

from .auth import requires, signed_in
from .extension import runner
from .mediator import COMPLAINANT_LABELS
from .messages import field_errors

bp = Blueprint("privacy", __name__)
SEARCH_FIELDS = ("naam", "email", "lidnummer")
REASON_LABELS = {"reden": _l("Reden")}
SEARCH_LABELS = {"naam": _l("Naam")}


def _person() -> Person:
    args = request.args
    return Person(args.get("naam", "")[:200], args.get("email", "")[:254],
                  args.get("lidnummer", "")[:20])


# ----- access requests, legal hold, erasure on request
@bp.get("/beheer/privacy")
@requires(ADMINISTER)
def search() -> str | tuple[str, int]:
    values = {key: request.args.get(key, "") for key in SEARCH_FIELDS}
    if not any(values.values()):
        return render_template("privacy.html", values=values, results=None, errors=[])
    try:
        results = runner().subject_access.find(signed_in(), _person())
    except ValidationFailed as error:
        return render_template("privacy.html", values=values, results=None,
                               errors=field_errors(error, labels=SEARCH_LABELS)), 400
    return render_template("privacy.html", values=values, results=results, errors=[])


@bp.get("/beheer/privacy/inzage.pdf")
@requires(ADMINISTER)
def export_pdf() -> Response:
    export = runner().subject_access.export(signed_in(), _person())
    return Response(export.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{export.filename}"'})


@bp.get("/beheer/privacy/inzage.json")
@requires(ADMINISTER)
def export_json() -> Response:
    export = runner().subject_access.export(signed_in(), _person())
    return Response(json.dumps(export.document, ensure_ascii=False, indent=2),
                    mimetype="application/json", headers={
                        "Content-Disposition": 'attachment; filename="'
                                               f'{export.filename.removesuffix(".pdf")}.json"'})


def _back() -> ResponseReturnValue:
    query: dict[str, Any] = {key: request.form.get(key, "") for key in SEARCH_FIELDS
                             if request.form.get(key)}
    return redirect(url_for(".search", **query))


@bp.post("/beheer/privacy/<number>/blokkering")
@requires(ADMINISTER)
def hold(number: str) -> ResponseReturnValue:
    retention = runner().retention
    try:
        if request.form.get("actie") == "opheffen":
            retention.release(signed_in(), number)
            flash(str(_l("De juridische blokkering van dossier %(number)s is opgeheven.",
                         number=number)))
        else:
            retention.hold(signed_in(), number, request.form.get("reden", "")[:500])
            flash(str(_l("Dossier %(number)s staat onder juridische blokkering.",
                         number=number)))
    except ValidationFailed:
        flash(str(_l("Geef de reden van de juridische blokkering op.")))
    except Conflict as error:
        flash(str(error))
    return _back()


@bp.post("/beheer/privacy/<number>/wissen")
@requires(ADMINISTER)
def erase(number: str) -> ResponseReturnValue:
    try:
        runner().retention.erase_on_request(signed_in(), number,
                                            request.form.get("reden", "")[:500])
        flash(str(_l("Dossier %(number)s is gewist.", number=number)))
    except ValidationFailed:
        flash(str(_l("Geef de reden van de wissing op.")))
    except Conflict as error:
        flash(str(error))
    return _back()


# ----- the register of processing
@bp.get("/beheer/verwerkingsregister")
@requires(ADMINISTER)
def processing_register() -> str:
    groups, basis = runner().processing_register.groups(signed_in())
    return render_template("verwerkingsregister.html", groups=groups, basis=basis)


# ----- correcting contact data
@bp.route("/bemiddeling/dossiers/<number>/contactgegevens", methods=["GET", "POST"])
@requires(WORK_TASKS)
def contact(number: str) -> ResponseReturnValue:
    rectification = runner().rectification
    if request.method == "GET":
        return _contact_page(number, rectification.contact(signed_in(), number), [])
    fields = {key: request.form.get(key, "") for key in COMPLAINANT_LABELS}
    try:
        changed = rectification.correct(signed_in(), number, fields)
    except ValidationFailed as error:
        return _contact_page(number, fields, field_errors(error, labels=COMPLAINANT_LABELS)), 400
    flash(str(_l("Contactgegevens gecorrigeerd: %(fields)s.",
                 fields=", ".join(str(COMPLAINANT_LABELS[key]) for key in changed)))
          if changed else str(_l("Er is niets gewijzigd.")))
    return redirect(url_for("mediator.dossier", number=number))


def _contact_page(number: str, values: dict, errors: list) -> str:
    return render_template("contactgegevens.html", number=number, values=values, errors=errors,
                           labels=COMPLAINANT_LABELS)
