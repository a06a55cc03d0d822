"""Drafts of the long text fields of a task's form (``"x-widget": "textarea"``), saved while
the mediator types, so that a closed page, a crash or an expired session loses nothing.

A draft belongs to one user, one open task and one field; it is shown to that user only
(two mediators typing on the same task each keep their own). Drafts end with the task: the
save hook :func:`after_save`, run in the transaction of every action on a dossier, deletes
the drafts of the tasks that are no longer open (completed, cancelled by a timer, withdrawn),
and erasure deletes whatever a dossier still has. A draft can hold the member's personal
data: it is listed in the register of processing and exported on an access request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, not_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from runner.accounts.users import Account
from runner.bpmn.errors import ValidationFailed
from runner.bpmn.instances import LoadedCase
from runner.bpmn.store import OpenTask, transaction
from runner.service import Klachten
from runner.store import TaskDraft
from runner.work.inbox import Inbox

TEXTAREA = "textarea"
MAX_TEXT = 10_000  # for a textarea whose form sets no maxLength


@dataclass(frozen=True)
class Draft:
    """A user's drafts of one task: the text per field, and when it was last saved."""

    texts: dict[str, str]
    saved_at: datetime | None = None


class Drafts:
    def __init__(self, klachten: Klachten, inbox: Inbox):
        self.klachten = klachten
        self.inbox = inbox

    def save(self, account: Account, task_id: str, field: str, text: str) -> datetime:
        """Keep ``text`` as ``account``'s draft of ``field`` of an open task it may work
        (an empty text removes the draft). Returns when it was saved."""
        self.inbox.check_may_work(account, task_id)
        _check(self.klachten.task_schema(task_id).schema, field, text)
        try:
            return self._write(account.name, task_id, field, text)
        except IntegrityError:  # the same user's other tab inserted it first: update that
            return self._write(account.name, task_id, field, text)

    def _write(self, user: str, task_id: str, field: str, text: str) -> datetime:
        with transaction(self.klachten.factory) as session:
            now = self.klachten.clock.now(session)
            task = session.get(OpenTask, task_id)
            if task is None:  # completed meanwhile: nothing to keep
                return now
            row = session.scalar(select(TaskDraft).where(
                TaskDraft.task_id == task_id, TaskDraft.user == user, TaskDraft.field == field))
            if not text.strip():
                if row is not None:
                    session.delete(row)
                return now
            if row is None:
                session.add(TaskDraft(task_id=task_id, dossier_id=task.dossier_id, user=user,
                                      field=field, text=text, updated_at=now))
            else:
                row.text, row.updated_at = text, now
            return now

    def of(self, account: Account, task_id: str) -> Draft:
        """``account``'s own drafts of a task it may work (nobody else's)."""
        self.inbox.check_may_work(account, task_id)
        with transaction(self.klachten.factory) as session:
            rows = session.scalars(select(TaskDraft).where(
                TaskDraft.task_id == task_id, TaskDraft.user == account.name)).all()
            return Draft({row.field: row.text for row in rows},
                         max((row.updated_at for row in rows), default=None))


def text_fields(schema: dict[str, Any]) -> dict[str, int]:
    """The long text fields of a form, with their maximum length."""
    return {name: int(spec.get("maxLength") or MAX_TEXT)
            for name, spec in (schema.get("properties") or {}).items()
            if isinstance(spec, dict) and spec.get("x-widget") == TEXTAREA}


def _check(schema: dict[str, Any], field: str, text: str) -> None:
    limit = text_fields(schema).get(field)
    if limit is None:
        raise ValidationFailed({"veld": f"{field!r} is geen lang tekstveld van deze taak"},
                               {"veld": "enum"})
    if "\x00" in text:
        raise ValidationFailed({field: "de tekst bevat een ongeldig teken (NUL)"},
                               {field: "nul"})
    if len(text) > limit:
        raise ValidationFailed({field: f"hoogstens {limit} tekens (nu {len(text)})"},
                               {field: "maxLength"})


_DRAFTS, _OPEN_TASKS = cast(Table, TaskDraft.__table__), cast(Table, OpenTask.__table__)


def after_save(loaded: LoadedCase) -> None:
    """The save hook the procedure hands the runner: the drafts of the dossier's tasks that
    are no longer open are deleted in the action's transaction."""
    delete_ended(loaded.session, loaded.dossier.id)


def delete_ended(session: Session, dossier_id: int) -> None:
    """Delete the drafts of ``dossier_id``'s tasks that are no longer open."""
    still_open = select(_OPEN_TASKS.c.id).where(_OPEN_TASKS.c.dossier_id == dossier_id)
    session.connection().execute(delete(_DRAFTS).where(
        _DRAFTS.c.dossier_id == dossier_id, not_(_DRAFTS.c.task_id.in_(still_open))))
