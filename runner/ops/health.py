"""Readiness of a runner: is its database reachable, and is its schema at the migrations' head?

Liveness needs nothing from here (a process that answers is alive). Readiness is what a
load balancer asks before sending traffic: a process whose database is down, or still at an
older schema (``klachten init`` not run after an upgrade of the code), must not take
requests. The answer carries reason codes and revision ids only: no error text, which could
name hosts or users.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from runner.migrations import head_revision

DATABASE_UNREACHABLE = "database_unreachable"
SCHEMA_NOT_AT_HEAD = "schema_not_at_head"


@dataclass(frozen=True)
class Readiness:
    ready: bool
    reason: str | None
    current_revision: str | None
    head_revision: str

    def as_dict(self) -> dict[str, str | None]:
        return {"status": "ready" if self.ready else "unavailable", "reason": self.reason,
                "revision": self.current_revision, "head": self.head_revision}


@cache
def _head() -> str:
    """The shipped head, read once per process: the scripts change only with the code."""
    return head_revision()


def readiness(engine: Engine) -> Readiness:
    head = _head()
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError:
        return Readiness(False, DATABASE_UNREACHABLE, None, head)
    if current != head:
        return Readiness(False, SCHEMA_NOT_AT_HEAD, current, head)
    return Readiness(True, None, current, head)
