"""A claim is a lock: who holds an open user task, taking it over, and who completed it.

A task claimed by one user can be completed by another only after an explicit take-over
with a reason; the check runs in the completing action's transaction with the task's row
locked, so a take-over and a completion at the same moment queue up instead of both
winning. When a task is gone, :func:`not_open` says who completed it (``ended_tasks``), so
whoever lost the race is told by whom. Instants in messages are written in the zone given
(the model's).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import NotFound, RunnerError, TaskEnded, TaskHeld, ValidationFailed
from .store import EndedTask, OpenTask

MAX_REASON = 1000


def moment(instant: datetime, zone: ZoneInfo) -> str:
    """An instant as a message names it: ``6-12-2026 14:05``."""
    local = instant.astimezone(zone)
    return f"{local.day}-{local.month}-{local.year} {local:%H:%M}"


def reason_of(reason: str | None) -> str:
    """A take-over's or assignment's reason, stripped; refused when empty or too long."""
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed({"reden": "geef een reden"}, {"reden": "required"})
    if len(text) > MAX_REASON:
        raise ValidationFailed({"reden": f"hoogstens {MAX_REASON} tekens"},
                               {"reden": "maxLength"})
    return text


def locked(session: Session, task_id: str, zone: ZoneInfo) -> OpenTask:
    """The open task, its row locked for the rest of the transaction; gone: :func:`not_open`."""
    task = session.scalar(select(OpenTask).where(OpenTask.id == task_id).with_for_update())
    if task is None:
        raise not_open(session, task_id, zone)
    return task


def hold(task: OpenTask, user: str, now: datetime, zone: ZoneInfo,
         take_over: bool = False) -> str | None:
    """Let ``user`` hold ``task``: free, or theirs already, or taken over (``take_over``).
    Returns the previous holder when it was taken from someone; raises :class:`TaskHeld`
    when someone else holds it and it is not taken over."""
    previous = task.claimed_by
    if previous == user:
        return None
    if previous and not take_over:
        raise TaskHeld(task.id, previous, moment(task.claimed_at or now, zone))
    task.claimed_by, task.claimed_at = user, now
    return previous


def ended(session: Session, task: OpenTask, user: str, now: datetime) -> None:
    """Record that ``user`` completed ``task`` (in the completing transaction)."""
    session.add(EndedTask(id=task.id, dossier_id=task.dossier_id, spec_name=task.spec_name,
                          form=task.form, ended_by=user, ended_at=now))


def not_open(session: Session, task_id: str, zone: ZoneInfo) -> RunnerError:
    """Why a task is not open: completed by someone (:class:`TaskEnded`), or not found."""
    done = session.get(EndedTask, task_id)
    if done is not None:
        return TaskEnded(task_id, done.ended_by, moment(done.ended_at, zone))
    return NotFound(f"taak {task_id} is niet open of bestaat niet")
