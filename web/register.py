"""The improvement register (verbeterregister): the list with filters, a recommendation with
its follow-up, the mediators' edit and note forms. Each view calls one
``runner.reports.improvement_register`` function and renders."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from runner.accounts.users import READ_REGISTER, UPDATE_REGISTER
from runner.bpmn.errors import Conflict, ValidationFailed
from runner.reports.improvement_register import (
    DONE,
    IN_PROGRESS,
    MAX_NOTE,
    MAX_OWNER,
    MAX_REASON,
    NO_OWNER,
    OPEN,
    REJECTED,
    Change,
    RegisterQuery,
)

from .auth import requires, signed_in
from .extension import runner
from .messages import field_errors

bp = Blueprint("register", __name__, url_prefix="/bemiddeling/aanbevelingen")
STATUS_LABELS = {OPEN: _l("open"), IN_PROGRESS: _l("in behandeling"),
                 DONE: _l("uitgevoerd"), REJECTED: _l("afgewezen")}
SORT_LABELS = {"nieuwste": _l("Nieuwste eerst"), "oudste": _l("Oudste eerst"),
               "dossier": _l("Dossiernummer"), "dienst": _l("Dienst"), "status": _l("Status")}
LIMITS = {"eigenaar": MAX_OWNER, "reden_afwijzing": MAX_REASON, "notitie": MAX_NOTE}
# A database INTEGER holds at most 2**31 - 1: a larger id is no recommendation (404).
ENTRY = "<int(max=2147483647):recommendation_id>"
CONFLICT = _l("Iemand anders wijzigde deze aanbeveling intussen. Hieronder ziet u de actuele "
              "toestand; breng uw wijziging opnieuw aan als ze nog nodig is.")


@bp.get("")
@requires(READ_REGISTER)
def index() -> str | tuple[str, int]:
    query = RegisterQuery.from_fields(request.args)
    try:
        page = runner().register.page(signed_in(), query)
    except ValidationFailed as error:
        return _render("aanbevelingen.html", register=None, query=query,
                       errors=field_errors(error)), 400
    return _render("aanbevelingen.html", register=page, query=query, errors=[])


@bp.get(f"/{ENTRY}")
@requires(READ_REGISTER)
def detail(recommendation_id: int) -> str:
    return _detail_page(recommendation_id)


@bp.post(f"/{ENTRY}")
@requires(UPDATE_REGISTER)
def update(recommendation_id: int) -> str | tuple[str, int] | Response:
    form = request.form
    change = Change(form.get("status", ""), form.get("eigenaar", ""),
                    form.get("reden_afwijzing", ""))
    try:
        changed = runner().register.update(signed_in(), recommendation_id, change,
                                           form.get("versie", type=int))
    except ValidationFailed as error:
        return _detail_page(recommendation_id, error, form), 400
    except Conflict:
        flash(str(CONFLICT))
        return redirect(url_for(".detail", recommendation_id=recommendation_id))
    flash(str(_l("De aanbeveling is bijgewerkt.") if changed else _l("Er is niets veranderd.")))
    return redirect(url_for(".detail", recommendation_id=recommendation_id))


@bp.post(f"/{ENTRY}/notities")
@requires(UPDATE_REGISTER)
def add_note(recommendation_id: int) -> str | tuple[str, int] | Response:
    try:
        runner().register.add_note(signed_in(), recommendation_id,
                                   request.form.get("notitie", ""))
    except ValidationFailed as error:
        return _detail_page(recommendation_id, error, request.form), 400
    flash(str(_l("De opvolgnotitie is toegevoegd.")))
    return redirect(url_for(".detail", recommendation_id=recommendation_id))


def _detail_page(recommendation_id: int, error: ValidationFailed | None = None,
                 posted=None) -> str:
    """The recommendation, its notes and the forms; after an error the input is kept, with
    the version the user started from (so a resubmission cannot overwrite a later edit)."""
    entry = runner().register.entry(signed_in(), recommendation_id)
    values = {"status": entry.status, "eigenaar": entry.owner,
              "reden_afwijzing": entry.rejection_reason, "versie": str(entry.version),
              **(posted or {})}
    return _render("aanbeveling.html", entry=entry, values=values,
                   errors=field_errors(error, LIMITS) if error else [])


def _render(template: str, **context) -> str:
    return render_template(template, status_labels=STATUS_LABELS, sort_labels=SORT_LABELS,
                           no_owner=NO_OWNER, update_permission=UPDATE_REGISTER, **context)
