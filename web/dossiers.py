"""The dossier list (``/bemiddeling/dossiers``) and its saved views: one runner call per view
(``runner.work.dossier_list``, ``runner.work.saved_views``), then render or redirect.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from runner.accounts.users import READ_DOSSIERS
from runner.bpmn.errors import ValidationFailed
from runner.work.dossier_list import DEADLINES, PARAMETERS, DossierPage, DossierQuery
from runner.work.saved_views import MAX_NAME

from .auth import requires, signed_in
from .extension import runner
from .i18n import PARAMETER as LANGUAGE
from .mediator import DEADLINE_LABELS
from .messages import FieldError, field_id

bp = Blueprint("dossiers", __name__, url_prefix="/bemiddeling")
STATE_LABELS = {"open": _l("Open"), "wacht_op_klager": _l("Wacht op reactie van de klager"),
                "nationaal": _l("Bij de nationale klachtenbemiddelaar"),
                "afgesloten": _l("Afgesloten"), "ingetrokken": _l("Ingetrokken")}
# The names of the shipped views (runner.work.saved_views.shipped) as the page shows them.
SHIPPED_VIEWS = {"mijn dossiers": _l("mijn dossiers"), "te laat": _l("te laat"),
                 "wacht op klager": _l("wacht op klager")}
DEADLINE_FILTERS = dict(zip(DEADLINES, (_l("Te laat"), _l("Vervalt binnen … dagen")),
                            strict=True))
FILTER_LABELS = {"zoek": _l("Zoeken"), "status": _l("Status"), "stap": _l("Stap"),
                 "categorie": _l("Categorie"), "eigenaar": _l("Behandelaar"),
                 "kanaal": _l("Kanaal"), "van": _l("Ontvangen vanaf"),
                 "tot": _l("Ontvangen tot en met"), "termijn": _l("Termijn"),
                 "dagen": _l("Aantal dagen"), "sorteer": _l("Sorteren op"),
                 "richting": _l("Richting"), "pagina": _l("Pagina"), "naam": _l("Naam")}
PROBLEMS = {"enum": _l("%(label)s: onbekende waarde; kies er een uit de lijst."),
            "format": _l("%(label)s: vul een datum in als JJJJ-MM-DD."),
            "minimum": _l("%(label)s: deze datum ligt vóór de begindatum."),
            "type": _l("%(label)s: geef een geheel getal (dagen: 1 tot 365)."),
            "maxLength": _l("%(label)s: deze tekst is te lang."),
            "pattern": _l("%(label)s: bevat een ongeldig teken."),
            "required": _l("%(label)s: dit veld is verplicht."),
            "not": _l("%(label)s: dit is de naam van een vaste weergave; kies een andere."),
            "maxItems": _l("%(label)s: u hebt al het maximum aantal weergaven."),
            "additionalProperties": _l("%(label)s: deze filter bestaat niet.")}


def problems(error: ValidationFailed) -> list[FieldError]:
    """The list's errors in the page's language, each linked to its field."""
    return [FieldError(name, field_id(name), str(PROBLEMS.get(
        error.codes.get(name, ""), PROBLEMS["enum"]) % {
            "label": FILTER_LABELS.get(name, name[:40])}))
            for name in error.codes or error.reasons]


@bp.get("/dossiers")
@requires(READ_DOSSIERS)
def dossiers() -> ResponseReturnValue:
    account = signed_in()
    listing = runner().dossier_list
    given = {name: value for name, value in request.args.items() if name != LANGUAGE}
    try:
        page = listing.page(account, listing.parse(given))
    except ValidationFailed as error:
        return _render(None, given, problems(error)), 400
    return _render(page, page.query.as_fields(), [])


def _render(page: DossierPage | None, values: dict[str, str], errors: list[FieldError],
            view_name: str = "") -> str:
    account = signed_in()
    return render_template(
        "dossiers.html", listing=page, values=values, errors=errors, view_name=view_name,
        page_url=page_url,
        choices=runner().dossier_list.choices(), views=runner().saved_views.list(account),
        current=urlencode({k: v for k, v in values.items() if k != "pagina"}),
        state_labels=STATE_LABELS, shipped_views=SHIPPED_VIEWS, deadline_labels=DEADLINE_LABELS,
        deadline_filters=DEADLINE_FILTERS, max_name=MAX_NAME)


@bp.post("/dossiers/weergaven")
@requires(READ_DOSSIERS)
def save_view() -> ResponseReturnValue:
    """Save the filter the page shows (``filter``: its query string) under ``naam``."""
    account = signed_in()
    given = {name: value for name, value in parse_qsl(request.form.get("filter", "")[:4000])
             if name in PARAMETERS}
    name = request.form.get("naam", "")
    try:
        query = runner().dossier_list.parse(given)
    except ValidationFailed as error:
        return _render(None, given, problems(error)), 400
    try:
        view = runner().saved_views.save(account, name, query)
    except ValidationFailed as error:  # the list stays as it was, the name typed too
        return _render(runner().dossier_list.page(account, query),
                       query.as_fields(), problems(error), name[:200]), 400
    flash(str(_l("Weergave '%(name)s' bewaard.", name=view.name)))
    return redirect(url_for(".dossiers") + ("?" + view.query if view.query else ""))


@bp.post("/dossiers/weergaven/<int:view_id>/verwijderen")
@requires(READ_DOSSIERS)
def delete_view(view_id: int) -> ResponseReturnValue:
    runner().saved_views.delete(signed_in(), view_id)
    flash(str(_l("Weergave verwijderd.")))
    return redirect(url_for(".dossiers"))


def page_url(query: DossierQuery, **changed: str | int) -> str:
    """The list's address with ``changed`` parameters (a page, a sort)."""
    parameters = {**query.as_fields(), **{name: str(value) for name, value in changed.items()}}
    return f"{url_for('dossiers.dossiers')}?{urlencode(parameters)}"
