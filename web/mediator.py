"""The mediators' pages: the inbox (werkbak), claiming a task, a task's form, a dossier, the
print queue, the intake.

Each view calls one runner function (``runner.work.inbox``) and renders.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from runner.accounts.users import ADMINISTER, ASSIGN, INTAKE, READ_DOSSIERS, WORK_TASKS
from runner.bpmn.errors import (
    Conflict,
    NotFound,
    RunnerError,
    TaskEnded,
    TaskHeld,
    ValidationFailed,
)
from runner.work.inbox import ALL, DEFAULT_SORT, DUE_SOON, MINE, ON_TIME, OVERDUE, InboxQuery
from runner.work.intake import CHANNELS
from runner.work.task_form import row_count

from .auth import RESTORE, requires, restores_kept_form, signed_in
from .extension import runner
from .i18n import language
from .messages import field_errors
from .redirects import same_site_path
from .register import STATUS_LABELS

bp = Blueprint("mediator", __name__, url_prefix="/bemiddeling")
DEADLINE_LABELS = {ON_TIME: _l("op tijd"), DUE_SOON: _l("binnen 2 dagen"),
                   OVERDUE: _l("te laat")}
COMPLAINANT_LABELS = {"voornaam": _l("Voornaam"), "achternaam": _l("Achternaam"),
                      "email": _l("E-mailadres"), "adres": _l("Postadres"),
                      "telefoon": _l("Telefoonnummer"), "lidnummer": _l("Lidnummer")}


@bp.get("/")
@requires(WORK_TASKS)
def home() -> ResponseReturnValue:
    return redirect(url_for(".inbox"))


@bp.get("/taken")
@requires(WORK_TASKS)
def inbox() -> str:
    args = request.args
    query = InboxQuery(step=args.get("stap", "")[:10], category=args.get("categorie", "")[:100],
                       overdue=args.get("te_laat") == "ja", search=args.get("zoek", "")[:100],
                       page=args.get("pagina", 1, type=int) or 1,
                       sort=args.get("sorteer", DEFAULT_SORT)[:20],
                       descending=args.get("richting") == "af",
                       view=ALL if args.get("weergave") == ALL else MINE,
                       user=signed_in().name)
    return render_template("werkbak.html", inbox=runner().inbox.page(signed_in(), query),
                           deadline_labels=DEADLINE_LABELS)


@bp.post("/taken/<task_id>/claimen")
@requires(WORK_TASKS)
def claim(task_id: str) -> ResponseReturnValue:
    runner().inbox.claim(signed_in(), task_id)
    return redirect(same_site_path(request.form.get("terug"), url_for(".inbox")))


# ----- a task's form
ADD_ROW = "rij_toevoegen"
LANGUAGE_CONFIRMED = "taal_bevestigd"  # "send it anyway" after the language warning
TEMPLATE = "sjabloon"  # fill in an answer template (runner.work.answer_forms), nothing sent
CONFLICT = _l("Deze taak kan niet meer voltooid worden: ze werd intussen voltooid of "
              "geannuleerd, of het dossier veranderde. Hieronder ziet u de actuele toestand.")


@bp.route("/taken/<task_id>", methods=["GET", "POST"])
@requires(WORK_TASKS)
@restores_kept_form
def task(task_id: str) -> ResponseReturnValue:
    if request.method == "GET":
        return task_page(task_id)
    action = request.form.get("actie")
    if action in (ADD_ROW, RESTORE):  # draw the form again, nothing sent
        return task_page(task_id, add_row=action == ADD_ROW)
    if action == TEMPLATE:
        return _with_template(task_id)
    try:
        if not request.form.get(LANGUAGE_CONFIRMED) and (warnings := runner().inbox
                .language_warnings(signed_in(), task_id, request.form)):
            return task_page(task_id, language_warnings=warnings)
        number = runner().inbox.submit_form(signed_in(), task_id, request.form,
                                            request.form.get("versie", type=int))
    except ValidationFailed as error:
        return task_page(task_id, error=error), 400
    except TaskHeld as held:  # taken over meanwhile: the form again, with what was typed
        return task_page(task_id, held=held), 409
    except TaskEnded:  # completed by someone else: what was typed, and by whom
        return lost_task_page(task_id), 409
    except Conflict:
        flash(str(CONFLICT))
        return redirect(url_for(".task", task_id=task_id)
                        if _still_open(task_id) else url_for(".inbox"))
    flash(str(_l("De taak is voltooid.")))
    # On to the dossier's next task when it is this mediator's, else to the dossier.
    following = runner().inbox.next_task(signed_in(), number)
    return redirect(url_for(".task", task_id=following) if following
                    else url_for(".dossier", number=number))


def lost_task_page(task_id: str) -> str:
    """Someone else completed the task: the texts typed here, and who completed it when."""
    lost = runner().inbox.ownership.lost(task_id, language())
    if lost is None:
        raise NotFound(f"taak {task_id} is niet open of bestaat niet")
    return render_template("taak_verloren.html", lost=lost, values=request.form)


def _with_template(task_id: str) -> ResponseReturnValue:
    """The form again with the chosen answer template filled in (before what the field
    already held: nothing typed is lost) and its choices set; kept as a draft."""
    try:
        filled = runner().answers.fill(signed_in(), task_id, request.form.get("sjabloon", ""))
    except ValidationFailed as error:
        return task_page(task_id, error=error), 400
    typed = request.form.get(filled.field, "").strip()
    text = f"{filled.text}\n{typed}" if typed else filled.text
    values = {**request.form.to_dict(), filled.field: text, **filled.choices}
    runner().drafts.save(signed_in(), task_id, filled.field, text)
    flash(str(_l("Sjabloon \u201c%(title)s\u201d ingevuld. Pas de tekst aan voor u de taak "
                 "voltooit.", title=filled.title)))
    return task_page(task_id, values=values)


def _still_open(task_id: str) -> bool:
    try:
        runner().inbox.form(signed_in(), task_id)
    except RunnerError:
        return False
    return True


def task_page(task_id: str, error: ValidationFailed | None = None,
               add_row: bool = False, language_warnings: list | None = None,
               values: Mapping[str, str] | None = None, held: TaskHeld | None = None,
               take_over_errors: list | None = None) -> str:
    form = runner().inbox.form(signed_in(), task_id, language())
    holder = runner().inbox.ownership.holder(task_id)
    draft = None
    if values is None and request.method == "POST":
        values = request.form
    elif values is None:  # back at the task: the user's own drafts
        draft = runner().drafts.of(signed_in(), task_id)
        values = draft.texts
    rows = {f.name: row_count(values, f.name, add_row) for f in form.fields if f.columns}
    errors = field_errors(error, form.limits, labels=form.labels) if error else []
    summary = runner().dossiers.summary(signed_in(), form.dossier_number, language())
    return render_template("taak.html", form=form, errors=errors, values=values, rows=rows,
                           add_row=ADD_ROW, summary=summary,
                           complainant_labels=COMPLAINANT_LABELS,
                           language_warnings=language_warnings or [],
                           language_confirmed=LANGUAGE_CONFIRMED, draft=draft,
                           templates=runner().answers.offered(signed_in(), task_id, language()),
                           use_template=TEMPLATE, holder=holder, held=held,
                           take_over_errors=take_over_errors or [])


# ----- a dossier
@bp.get("/dossiers/<number>")
@requires(READ_DOSSIERS)
def dossier(number: str) -> str:
    return dossier_page(number)


def dossier_page(number: str, **extra: object) -> str:
    """The dossier page; ``extra``: what a form on it posted (the notes' of
    ``web.casework``, the assignment's of ``web.ownership``), with its errors."""
    view = runner().dossiers.view(signed_in(), number, language=language())
    mediators = (runner().inbox.ownership.mediators() if signed_in().may(ASSIGN)
                 and not view.info.closed else [])
    return render_template("dossier.html", view=view, complainant_labels=COMPLAINANT_LABELS,
                           status_labels=STATUS_LABELS, mediators=mediators,
                           **{"note_errors": [], "note_values": {}, "assign_errors": [],
                              "assign_values": {}, **extra})


@bp.get("/dossiers/<number>/diagram.bpmn")
@requires(READ_DOSSIERS)
def diagram_xml(number: str) -> Response:
    """The BPMN the dossier runs on, for the diagram viewer of the dossier page."""
    return Response(runner().dossiers.diagram_xml(signed_in(), number, language()),
                    mimetype="application/xml")


@bp.get("/dossiers/<number>/brieven/<code>.pdf")
@requires(WORK_TASKS)
def letter(number: str, code: str) -> Response:
    made = runner().dossiers.letter(signed_in(), number, code)
    return Response(made.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{made.filename}"'})


# ----- the print queue: letters to print and post
@bp.get("/brieven")
@requires(WORK_TASKS)
def print_queue() -> str:
    return render_template("brieven.html", letters=runner().klachten.post.letters_to_print())


@bp.post("/dossiers/<number>/brieven/<code>/gepost")
@requires(WORK_TASKS)
def posted(number: str, code: str) -> ResponseReturnValue:
    runner().klachten.post.mark_posted(number, code, signed_in().name)
    flash(str(_l("Brief %(code)s van dossier %(number)s staat als gepost genoteerd.",
                 code=code, number=number)))
    return redirect(url_for(".print_queue"))


@bp.post("/dossiers/<number>/opnieuw")
@requires(ADMINISTER)
def retry(number: str) -> ResponseReturnValue:
    runner().klachten.retry(number, signed_in().name)
    flash(str(_l("De mislukte stap werd opnieuw uitgevoerd.")))
    return redirect(url_for(".dossier", number=number))


# ----- intake of a complaint received by letter, phone, e-mail or at the counter
@bp.route("/intake", methods=["GET", "POST"])
@requires(INTAKE)
def intake() -> ResponseReturnValue:
    if request.method == "GET":
        return _intake_page()
    try:
        submitted = runner().intake.submit(signed_in(), request.form)
    except ValidationFailed as error:
        return _intake_page(error), 400
    flash(str(_l("Dossier %(number)s is geregistreerd. Toegangscode voor de klager: %(code)s",
                 number=submitted.dossier_number, code=submitted.access_code or "-")))
    return redirect(url_for(".dossier", number=submitted.dossier_number))


def _intake_page(error: ValidationFailed | None = None) -> str:
    return render_template("intake.html", errors=field_errors(error) if error else [],
                           values=request.form if error else {}, channels=CHANNELS,
                           categories=runner().intake.categories())
