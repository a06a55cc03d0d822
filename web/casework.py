"""The mediators' case work beside the procedure: notes and contacts on the dossier page,
and the drafts that a task page saves while the mediator types (``static/concept.js``).

Each view calls one runner function (``runner.work.case_notes``, ``runner.work.drafts``).
"""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from runner.accounts.users import WORK_TASKS
from runner.bpmn.errors import ValidationFailed
from runner.work.case_notes import MAX_TEXT, NewNote

from .auth import requires, signed_in
from .extension import runner
from .mediator import dossier_page
from .messages import FieldError, field_id

bp = Blueprint("casework", __name__, url_prefix="/bemiddeling")

CONTACT_LABELS = {"": _l("Interne notitie"), "phone": _l("Telefoon"), "email": _l("E-mail"),
                  "letter": _l("Brief"), "visit": _l("Bezoek")}
DIRECTION_LABELS = {"in": _l("Inkomend (van de klager)"), "out": _l("Uitgaand (naar de klager)")}
NOTE_MESSAGES = {
    ("tekst", "required"): _l("Schrijf de notitie of een samenvatting van het contact."),
    ("tekst", "maxLength"): _l("De notitie is te lang: maximaal %(max)s tekens. Uw tekst staat "
                               "hieronder nog; kort hem in of verdeel hem over meer notities."),
    ("tekst", "nul"): _l("De notitie bevat een ongeldig teken (NUL). Verwijder het."),
    ("contact", "required"): _l("Kies de soort contact, of laat richting en datum leeg voor "
                                "een interne notitie."),
    ("contact", "enum"): _l("Kies de soort contact: telefoon, e-mail, brief of bezoek."),
    ("richting", "required"): _l("Kies of het contact inkomend of uitgaand was."),
    ("richting", "enum"): _l("Kies of het contact inkomend of uitgaand was."),
    ("datum", "format"): _l("Datum van het contact: vul een datum in als JJJJ-MM-DD."),
    ("datum", "range"): _l("Datum van het contact: kies een dag tussen de ontvangst van de "
                           "klacht en vandaag."),
    ("verbetert", "enum"): _l("De notitie die u verbetert, bestaat niet in dit dossier."),
}
NOTE_INVALID = _l("Deze waarde is niet geldig.")


@bp.app_context_processor
def labels() -> dict[str, object]:
    """The words of the note form and the timeline's notes, on every page."""
    return {"contact_labels": CONTACT_LABELS, "direction_labels": DIRECTION_LABELS}


@bp.post("/dossiers/<number>/notities")
@requires(WORK_TASKS)
def add_note(number: str) -> ResponseReturnValue:
    try:
        note = runner().notes.add(signed_in(), number, NewNote.from_fields(request.form))
    except ValidationFailed as error:
        return dossier_page(number, note_errors=note_errors(error),
                            note_values=request.form), 400
    flash(str(_l("Notitie %(id)s is toegevoegd aan de tijdlijn.", id=note.id)))
    return redirect(url_for("mediator.dossier", number=number, _anchor=f"notitie-{note.id}"))


def note_errors(error: ValidationFailed) -> list[FieldError]:
    """The note form's errors, in the page's language, each linked to its field."""
    return [FieldError(name, field_id(f"notitie.{name}"),
                       str(NOTE_MESSAGES.get((name, error.codes.get(name, "")), NOTE_INVALID))
                       % {"max": f"{MAX_TEXT:,}".replace(",", "\u202f")})
            for name in error.codes or error.reasons]


@bp.post("/taken/<task_id>/concept")
@requires(WORK_TASKS)
def save_draft(task_id: str) -> ResponseReturnValue:
    """One field's draft, posted by ``static/concept.js`` while the mediator types."""
    try:
        saved = runner().drafts.save(signed_in(), task_id, request.form.get("veld", ""),
                                     request.form.get("tekst", ""))
    except ValidationFailed as error:
        return jsonify(bewaard=False, fouten=error.reasons), 400
    return jsonify(bewaard=True, bewaard_op=saved.isoformat())
