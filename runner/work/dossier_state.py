"""What the dossier list filters on, derived after every action: the dossier's state, its
step and the earliest due date of its open tasks (``dossiers.state``, ``step``, ``due_at``).

A save hook the procedure hands the runner (``runner.procedure``), like the report facts:
the list then filters and sorts on indexed columns of one table, with 100 000 dossiers as
with 10 000, and never loads engine state. The state comes from the engine's derived rows:

* ``ingetrokken``: the dossier closed with the outcome ``ingetrokken`` (a withdrawal);
* ``afgesloten``: the dossier closed otherwise (step 8 may still be open);
* ``nationaal``: a task is open in a lane of the national mediator's role (``rollen.json``);
* ``wacht_op_klager``: the dossier waits for the member's "niet akkoord";
* ``open``: anything else.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from runner.accounts.users import NATIONAL, ROLES_FILE
from runner.bpmn.instances import LoadedCase
from runner.bpmn.store import OpenTask
from runner.definition.model import as_model
from runner.members.status_page import DISAGREE, WITHDRAWN
from runner.store import Dossier, as_dossier

OPEN, WAITING, NATIONAL_STATE, CLOSED = "open", "wacht_op_klager", "nationaal", "afgesloten"
STATES = (OPEN, WAITING, NATIONAL_STATE, CLOSED, WITHDRAWN)

_DOSSIERS = cast(Table, Dossier.__table__)
_OPEN = cast(Table, OpenTask.__table__)
_TASKS = select(_OPEN.c.lane, _OPEN.c.step, _OPEN.c.due_at).where(
    _OPEN.c.dossier_id == bindparam("key"))
_UPDATE = update(_DOSSIERS).where(_DOSSIERS.c.id == bindparam("key"))


def after_save(loaded: LoadedCase) -> None:
    """The save hook: bring the dossier's state, step and next due date up to date (written
    only when one changed)."""
    dossier = as_dossier(loaded.dossier)
    connection = loaded.session.connection()
    tasks = connection.execute(_TASKS, {"key": dossier.id}).all()
    lanes = as_model(loaded.case.model).json_file(ROLES_FILE).get("lanes", {})
    national = {lane for lane, role in lanes.items() if role == NATIONAL}
    state = derive_state(dossier, {lane for lane, _, _ in tasks} & national != set(),
                         DISAGREE in loaded.case.waiting_messages())
    steps = sorted(step for _, step, _ in tasks if step) or [
        step for step, _ in loaded.case.open_steps() if step]
    dues = [due for _, _, due in tasks if due is not None]
    values = {"state": state, "step": steps[0][:10] if steps else "",
              "due_at": min(dues) if dues else None}
    if _changed(dossier, values):
        connection.execute(_UPDATE, {"key": dossier.id, **values})


def derive_state(dossier: Dossier, at_national: bool, waiting_for_member: bool) -> str:
    if dossier.outcome == WITHDRAWN:
        return WITHDRAWN
    if dossier.closed_at is not None:
        return CLOSED
    if at_national:
        return NATIONAL_STATE
    return WAITING if waiting_for_member else OPEN


def _changed(dossier: Dossier, values: dict[str, str | datetime | None]) -> bool:
    """Whether ``values`` differ from the row's (a new dossier's row was just inserted with
    the defaults). The ORM object then holds them as committed: the UPDATE bypasses it."""
    changed = any(getattr(dossier, key) != value for key, value in values.items())
    for key, value in values.items():
        set_committed_value(dossier, key, value)
    return changed
