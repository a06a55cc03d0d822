"""The runner over one database and one clock: versions, actions, timers.

An action is one transaction: find the instance, load it with its case file and the model
version it runs on, let the caller guard and run engine steps, save state and derived rows.
The application says what it runs (:class:`Application`: how its files parse, which row an
instance belongs to, what its operators may touch, and its plug-ins: operators, save hooks,
lint checks and model run, :class:`runner.bpmn.plugins.Plugins`); the runner knows nothing
else of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import clock as clocks
from .definitions import ProcessModel, content_hash
from .engine import StoredSpecs, operator_context, restore_specs, serialize_spec
from .errors import Conflict, NotFound, Problem, RunnerError
from .instances import CaseFile, LoadedCase, open_case, record_incidents, save_case
from .plugins import Plugins
from .store import (
    Definition,
    Incident,
    Instance,
    lost_database,
    make_engine,
    make_session_factory,
    transaction,
)

SWEEP_BATCH = 100
# A timer's instance if still due, built once; on PostgreSQL claimed (SKIP LOCKED).
_DUE_INSTANCE = select(Instance).where(Instance.id == bindparam("instance_id"),
                                       Instance.next_timer_at <= bindparam("now"))
_DUE_INSTANCE_LOCKED = _DUE_INSTANCE.with_for_update(skip_locked=True)
log = logging.getLogger(__name__)

# Selects an action's instance; it may bring its case file along (one query instead of two).
Find = Callable[[Session], "Instance | tuple[Instance, CaseFile]"]
Step = Callable[[LoadedCase], None]


M = TypeVar("M", bound=ProcessModel)


class Application(Protocol[M]):
    """What the runner needs to know of the procedure it runs (``M``: its model type)."""

    @property
    def plugins(self) -> Plugins:
        """Its operators, save hooks, lint checks and model run."""

    def parse(self, files: dict[str, str]) -> M:
        """A stored version's files as the application's model."""

    def case_file(self, session: Session, case_file_id: int) -> CaseFile:
        """The row an instance belongs to (``instances.dossier_id``)."""

    def operator_context(self, loaded: LoadedCase, model: M) -> Any:
        """What the service tasks' operators receive during one action's engine steps."""


class ProcessRunner(Generic[M]):
    """Process instances of an application on one database and one clock."""

    def __init__(self, application: Application[M], database_url: str, clock: str = "real",
                 idle_timeout: float | None = None):
        self.application = application
        self.engine = make_engine(database_url, idle_timeout=idle_timeout)
        self.factory = make_session_factory(self.engine)
        self.clock: clocks.Clock = (
            clocks.VirtualClock(self.factory) if clock == "virtual" else clocks.RealClock()
        )
        self._models: dict[int, tuple[M, StoredSpecs]] = {}

    def close(self) -> None:
        """Close the database connections (a command or a test is done with the runner)."""
        self.engine.dispose()

    # ----- versions
    def check(self, files: dict[str, str], run: bool = True) -> list[Problem]:
        """A model's problems by the application's lint checks and, when ``run`` and they
        found no error, its model run (:meth:`Plugins.check`)."""
        return self.application.plugins.check(files, self.application.parse, run)

    def known_version(self, files: dict[str, str]) -> int | None:
        """The version that holds exactly ``files``, if one was stored."""
        with transaction(self.factory) as session:
            return session.scalar(select(Definition.id).where(
                Definition.content_hash == content_hash(files)))

    def store_version(self, files: dict[str, str]) -> tuple[int, bool]:
        """Store a model's files as a version (once: the same files are the same version);
        returns the version and whether it is new. Checking the model is the caller's."""
        digest = content_hash(files)
        with transaction(self.factory) as session:
            now = self.clock.now(session)
            existing = session.scalar(select(Definition).where(Definition.content_hash == digest))
            if existing is not None:
                return existing.id, False
            model = self.application.parse(files)
            row = Definition(content_hash=digest, deployed_at=now, files=files,
                             spec=serialize_spec(model))
            session.add(row)
            session.flush()
            return row.id, True

    def model(self, session: Session, definition_id: int) -> tuple[M, StoredSpecs]:
        """A version's model (its files parsed) and its stored specs, built once per process."""
        if definition_id not in self._models:
            row = session.get(Definition, definition_id)
            if row is None:
                raise NotFound(f"procesversie {definition_id} bestaat niet")
            self._models[definition_id] = (self.application.parse(row.files),
                                           restore_specs(row.spec))
        return self._models[definition_id]

    def models(self) -> dict[int, M]:
        """Every stored version's model, by version."""
        with transaction(self.factory) as session:
            versions = session.scalars(select(Definition.id).order_by(Definition.id)).all()
            return {version: self.model(session, version)[0] for version in versions}

    @staticmethod
    def latest_version(session: Session) -> int:
        latest: int | None = session.scalar(select(func.max(Definition.id)))
        if latest is None:
            raise NotFound("er is nog geen procesmodel gedeployed")
        return latest

    # ----- actions
    def load(self, session: Session, instance: Instance, now: datetime,
             case_file: CaseFile | None = None) -> tuple[LoadedCase, M]:
        if case_file is None:
            case_file = self.application.case_file(session, instance.dossier_id)
        model, specs = self.model(session, instance.definition_id)
        return open_case(session, instance, case_file, model, specs, now), model

    @contextmanager
    def action(self, find: Find, expected_version: int | None = None
               ) -> Iterator[tuple[LoadedCase, M]]:
        """One action on the instance ``find`` selects: loaded, handed over, saved, in one
        transaction. ``expected_version``: the instance's row version the caller saw."""
        with transaction(self.factory) as session:
            now = self.clock.now(session)
            found = find(session)
            instance, case_file = found if isinstance(found, tuple) else (found, None)
            if expected_version is not None and instance.version != expected_version:
                raise Conflict("het dossier werd intussen gewijzigd; laad het opnieuw")
            loaded, model = self.load(session, instance, now, case_file)
            yield loaded, model
            self.save(loaded, model)

    def save(self, loaded: LoadedCase, model: ProcessModel, state: str | None = None) -> None:
        """Save an action's case (:func:`save_case`) with the application's save hooks."""
        save_case(loaded, model, state, self.application.plugins.save_hooks)

    def run(self, loaded: LoadedCase, model: M, step: Step) -> Any:
        """Run engine steps at the action's instant; an error of the model (an operator, an
        expression) becomes an incident on the failing task. Returns the operator context."""
        context = self.application.operator_context(loaded, model)
        operators = self.application.plugins.operators
        with clocks.frozen_at(loaded.now), operator_context(context, operators):
            try:
                step(loaded)
            except Exception as err:
                if _not_the_models(err) or not loaded.case.mark_failed(err):
                    raise
                record_incidents(loaded, err)
        return context

    # ----- timers
    def sweep_timers(self, limit: int = 500) -> int:
        """Fire the due timers of at most ``limit`` instances; returns how many were ticked.

        Only instances whose ``next_timer_at`` has come (now included) are read (an index
        range scan), in batches; each is then claimed and ticked in its own transaction. On
        PostgreSQL the claim uses SKIP LOCKED and re-checks the due time, so several workers
        never tick the same instance. An instance that cannot be ticked is taken out of the
        sweep with an incident, so one broken instance cannot stall the rest; a lost database
        (connection broken, server restarting, session ended) is no fault of the instance and
        ends the sweep instead, leaving the timer due for the next one.
        """
        ticked, seen = 0, set()
        while ticked < limit:
            with transaction(self.factory) as session:
                now = self.clock.now(session)
                due = [i for i in session.scalars(
                    select(Instance.id).where(Instance.next_timer_at <= now)
                    .order_by(Instance.next_timer_at).limit(SWEEP_BATCH)) if i not in seen]
            for instance_id in due[: limit - ticked]:
                seen.add(instance_id)
                ticked += self._tick(instance_id, now)
            if len(due) < SWEEP_BATCH:  # that was all; what falls due now waits for the next
                break
        return ticked

    def _tick(self, instance_id: int, now: datetime) -> bool:
        """Fire one instance's due timers, unless another worker has it or did it already."""
        try:
            with transaction(self.factory) as session:
                postgresql = session.get_bind().dialect.name == "postgresql"
                instance = session.scalar(_DUE_INSTANCE_LOCKED if postgresql else _DUE_INSTANCE,
                                          {"instance_id": instance_id, "now": now})
                if instance is None:
                    return False
                loaded, model = self.load(session, instance, now)
                self.run(loaded, model, lambda lc: lc.case.tick(now, lc.engine_completed))
                self.save(loaded, model)
                return True
        except Exception as err:  # a worker must survive one broken instance
            if lost_database(err):  # not the instance's fault: the timer stays due
                raise
            log.exception("timer van instantie %s mislukt", instance_id)
            self._quarantine(instance_id, now, err)
            return True

    def _quarantine(self, instance_id: int, now: datetime, error: Exception) -> None:
        with transaction(self.factory) as session:
            instance = session.get_one(Instance, instance_id)
            instance.next_timer_at = None
            instance.has_incident = True
            session.add(Incident(dossier_id=instance.dossier_id, element="timer",
                                 step=instance.step, error=str(error)[:4000], created_at=now))


def _not_the_models(error: Exception) -> bool:
    """Errors an action reports as they are: our own (a conflict, bad input) and the
    database's. Anything else the engine raised is the model's, and becomes an incident."""
    return isinstance(error, RunnerError | SQLAlchemyError) or lost_database(error)
