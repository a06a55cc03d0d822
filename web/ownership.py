"""Taking over a task another mediator holds, and assigning a dossier to a mediator: each
with a reason, audited (``runner.work.ownership``). A refused form comes back with what was
typed and the reason why."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l

from runner.accounts.users import ASSIGN, WORK_TASKS
from runner.bpmn.errors import ValidationFailed

from .auth import requires, signed_in
from .extension import runner
from .mediator import dossier_page, task_page
from .messages import field_errors

bp = Blueprint("ownership", __name__, url_prefix="/bemiddeling")
REASON = "reden"


@bp.post("/taken/<task_id>/overnemen")
@requires(WORK_TASKS)
def take_over(task_id: str) -> ResponseReturnValue:
    holder = runner().inbox.ownership.holder(task_id).holder
    try:
        runner().inbox.claim(signed_in(), task_id, take_over=request.form.get(REASON, ""))
    except ValidationFailed as error:
        return task_page(task_id, take_over_errors=field_errors(error)), 400
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
        return dossier_page(number, assign_errors=field_errors(error),
                            assign_values=request.form), 400
    flash(str(_l("Dossier %(number)s is toegewezen aan %(name)s.", number=number, name=to)))
    return redirect(url_for("mediator.dossier", number=number))
