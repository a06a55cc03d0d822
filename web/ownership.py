"""Taking over a task another mediator holds, and assigning a dossier to a mediator: each
with a reason, audited (``runner.work.ownership``). A refused form comes back with what was
typed and the reason why."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from runner.accounts.users import ASSIGN, WORK_TASKS
from runner.bpmn.claims import MAX_REASON
from runner.bpmn.errors import ValidationFailed

from .auth import requires, signed_in
from .extension import runner
from .mediator import dossier_page, task_page
from .messages import field_errors

bp = Blueprint("ownership", __name__, url_prefix="/bemiddeling")
REASON = "reden"
TAKE_OVER_REASON = "overname_reden"


@bp.post("/taken/<task_id>/overnemen")
@requires(WORK_TASKS)
def take_over(task_id: str) -> ResponseReturnValue:
    holder = runner().inbox.ownership.holder(task_id).holder
    try:
        runner().inbox.claim(signed_in(), task_id,
                             take_over=request.form.get(TAKE_OVER_REASON, ""))
    except ValidationFailed as error:  # its own field name: the task's form may have a "reden"
        renamed = ValidationFailed({TAKE_OVER_REASON: error.reasons.get(REASON, str(error))},
                                   {TAKE_OVER_REASON: error.codes.get(REASON, "")})
        return task_page(task_id, take_over_errors=field_errors(
            renamed, {TAKE_OVER_REASON: MAX_REASON}, labels={TAKE_OVER_REASON: str(_l("Reden"))})
            ), 400
    flash(str(_l("U hebt de taak overgenomen van %(holder)s.", holder=holder))
          if holder and holder != signed_in().name else str(_l("De taak is aan u toegewezen.")))
    return redirect(url_for("mediator.task", task_id=task_id))


@bp.post("/dossiers/<number>/toewijzen")
@requires(ASSIGN)
def assign(number: str) -> ResponseReturnValue:
    to = request.form.get("aan", "")[:100]
    try:
        runner().inbox.ownership.assign(signed_in(), number, to, request.form.get(REASON, ""))
    except ValidationFailed as error:
        errors = field_errors(error, {REASON: MAX_REASON}, labels={
            REASON: str(_l("Reden")), "aan": str(_l("Bemiddelaar"))})
        return dossier_page(number, assign_errors=errors, assign_values=request.form), 400
    flash(str(_l("Dossier %(number)s is toegewezen aan %(name)s.", number=number, name=to)))
    return redirect(url_for("mediator.dossier", number=number))
