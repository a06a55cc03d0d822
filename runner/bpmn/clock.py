"""The one clock. Every "now" in the runner and in the engine comes from here.

SpiffWorkflow's timers read the time only through the module name ``datetime`` in
``SpiffWorkflow.bpmn.specs.event_definitions.timer``; :func:`install` replaces that name with a
subclass whose ``now()`` returns the instant of the current action (:func:`frozen_at`). An
action reads its clock once and runs all its engine steps at that instant.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, tzinfo
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from .errors import RunnerError
from .store import ClockSetting, transaction

_current: contextvars.ContextVar[datetime | None] = contextvars.ContextVar(
    "virtual_now", default=None
)


_READ = select(ClockSetting.now).where(ClockSetting.id == 1)


class Clock(Protocol):
    def now(self, session: Session | None = None) -> datetime:
        """The current instant; ``session``: read it inside that transaction."""


class RealClock:
    """Wall-clock time, timezone-aware UTC."""

    def now(self, session: Session | None = None) -> datetime:
        return datetime.now(UTC)


class VirtualClock:
    """A clock stored in the database, so every process (web, workers, CLI) shares it."""

    def __init__(self, factory: sessionmaker[Session], start: Callable[[], datetime] | None = None):
        self._factory = factory
        self._start = start or RealClock().now

    def now(self, session: Session | None = None) -> datetime:
        if session is not None:
            return self._read(session)
        with transaction(self._factory) as own:
            return self._read(own)

    def _read(self, session: Session) -> datetime:
        stored = session.connection().scalar(_READ)  # Core: no ORM object for one value
        if stored is not None:
            return as_utc(stored)
        row = session.get(ClockSetting, 1)
        if row is None:
            row = ClockSetting(id=1, now=self._start())
            session.add(row)
        return as_utc(row.now)

    def set(self, instant: datetime) -> datetime:
        if instant.tzinfo is None:
            raise RunnerError("geef een tijdstip met tijdzone, bv. 2026-03-02T09:00:00+01:00")
        with transaction(self._factory) as session:
            row = session.get(ClockSetting, 1)
            if row is None:
                session.add(ClockSetting(id=1, now=instant))
            else:
                row.now = instant
        return as_utc(instant)


def as_utc(value: datetime) -> datetime:
    """Stored datetimes come back naive from SQLite; they are UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def engine_now() -> datetime:
    """The instant of the running action (real time when none is running)."""
    return _current.get() or datetime.now(UTC)


@contextmanager
def frozen_at(instant: datetime) -> Iterator[None]:
    """Run engine steps at ``instant``: timers compare against it."""
    token = _current.set(as_utc(instant))
    try:
        yield
    finally:
        _current.reset(token)


class _EngineDatetime(datetime):
    """``datetime`` as SpiffWorkflow's timer module sees it: ``now()`` is the action's instant."""

    # The override returns a plain datetime, not cls: the timer module only compares it.
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
        instant = engine_now()
        return instant.astimezone(tz) if tz is not None else instant.replace(tzinfo=None)


def install() -> None:
    """Plug the clock into SpiffWorkflow's timer module (idempotent)."""
    from SpiffWorkflow.bpmn.specs.event_definitions import timer

    timer.datetime = _EngineDatetime
