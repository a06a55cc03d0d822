"""The runner's tables and the database engine: definitions, instances and what is derived
from their state (open tasks, waiting messages), the audit trail, incidents, migrations and
the virtual clock.

The schema is created and upgraded by Alembic (``runner/migrations``); these models and the
application's own (``runner.store``) share one :class:`Base` and are its single description.
An instance belongs to one row of the application's ``dossiers`` table (its case file), which
the application defines. Every action runs in one transaction (see ``runner.bpmn.instances``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from .errors import DatabaseUnavailable


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware datetime stored as UTC on every backend.

    SQLite keeps no offset: without this, 09:00+01:00 would come back as 09:00 UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every stored instant carries a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UtcDateTime}  # noqa: RUF012 - SQLAlchemy's own idiom


class Definition(Base):
    """A deployed version of ``processes/``: its files and the serialized spec, stored once."""

    __tablename__ = "definitions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), unique=True)
    deployed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    files: Mapped[dict[str, Any]] = mapped_column(JSON)
    spec: Mapped[str] = mapped_column(Text)


class Instance(Base):
    """A process instance; ``state`` is the serialized workflow without its spec. A closed
    dossier's instance keeps only ``archive`` (``runner.bpmn.closed_record``: the process data and
    the completed path, zlib-compressed JSON) and an empty ``state``."""

    __tablename__ = "instances"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"), index=True)
    state: Mapped[str] = mapped_column(Text)
    archive: Mapped[bytes | None] = mapped_column(LargeBinary)
    serializer_version: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    step: Mapped[str] = mapped_column(String(200), default="")
    completed: Mapped[bool] = mapped_column(default=False)
    has_incident: Mapped[bool] = mapped_column(default=False)
    next_timer_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own idiom
    __table_args__ = (
        Index("ix_instances_next_timer_at", "next_timer_at"),
        # Covers the open instances per step (the procedure's metrics) without reading the state.
        Index("ix_instances_completed_step", "completed", "step"),
    )


class OpenTask(Base):
    """A READY user task, derived from the engine state after every action (the inbox reads it)."""

    __tablename__ = "open_tasks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), index=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    spec_name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    lane: Mapped[str] = mapped_column(String(100))
    step: Mapped[str] = mapped_column(String(10), default="")
    form: Mapped[str | None] = mapped_column(String(200))
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    # Since when ``claimed_by`` holds the task (a claim is a lock: ``runner.bpmn.claims``).
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_open_tasks_lane_due", "lane", "due_at"),
        # Covers the inbox count: lane and the separation-of-duties check without the table.
        Index("ix_open_tasks_lane_spec", "lane", "spec_name", "dossier_id"),
    )


class EndedTask(Base):
    """Who completed a user task, and when: whoever still had it open is told by whom
    (``runner.bpmn.claims``). Names of staff only, no data of the case."""

    __tablename__ = "ended_tasks"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    spec_name: Mapped[str] = mapped_column(String(100))
    form: Mapped[str | None] = mapped_column(String(200))
    ended_by: Mapped[str] = mapped_column(String(100))
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime())


class WaitingMessage(Base):
    __tablename__ = "waiting_messages"
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)


class AuditEntry(Base):
    """Append-only trail: who did what, when, in which step."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(60))
    element: Mapped[str] = mapped_column(String(100), default="")
    step: Mapped[str] = mapped_column(String(200), default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class InstanceMigration(Base):
    """A move of an instance to another definition version, with the state it had before
    (so it can be reverted exactly) and what the move changed."""

    __tablename__ = "instance_migrations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id"))
    from_definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    to_definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    previous_state: Mapped[str] = mapped_column(Text)
    previous_serializer_version: Mapped[str] = mapped_column(String(20))
    # The instance's row version right after the move: a revert requires it unchanged.
    version_after: Mapped[int] = mapped_column(Integer)
    new_rules: Mapped[bool] = mapped_column(default=False)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reverted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reverted_by: Mapped[str | None] = mapped_column(String(100))


class Incident(Base):
    """An operator or engine error on a dossier; open until a retry succeeds."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    element: Mapped[str] = mapped_column(String(100))
    step: Mapped[str] = mapped_column(String(200), default="")
    error: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ClockSetting(Base):
    """The shared virtual clock (one row), used when the runner runs on virtual time."""

    __tablename__ = "clock"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    now: Mapped[datetime] = mapped_column(UtcDateTime())


def make_engine(url: str, idle_timeout: float | None = None) -> Engine:
    """Create the engine; SQLite gets WAL, durable commits, foreign keys and a busy timeout.

    Error messages leave out the statement's parameters: they can hold personal data and
    end up in a log. On PostgreSQL, ``idle_timeout`` (seconds) ends a session that sits in
    an open transaction that long (``idle_in_transaction_session_timeout``): a worker that
    hangs while it holds a dossier's row lock releases it after that time.
    """
    if url.startswith("sqlite"):
        _private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: object) -> None:  # pragma: no cover
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Connection) -> None:  # pragma: no cover - trivial
            # BEGIN IMMEDIATE: take the write lock at the start, so two writers queue up
            # instead of failing halfway with "database is locked".
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, hide_parameters=True)
    _ping_after_rest(engine)
    if idle_timeout:
        milliseconds = int(idle_timeout * 1000)

        @event.listens_for(engine, "connect")
        def _idle_timeout(dbapi_conn: Any, _record: object) -> None:
            with dbapi_conn.cursor() as cur:
                cur.execute(f"SET idle_in_transaction_session_timeout = {milliseconds}")
            dbapi_conn.commit()  # a SET in a rolled-back transaction would not last

    return engine


# A pooled connection that rested longer than this is pinged before it is handed out.
PING_AFTER_REST = 1.0  # seconds
_RESTED_SINCE = "runner_rested_since"


def _ping_after_rest(engine: Engine) -> None:
    """Ping a pooled connection on checkout when it rested over ``PING_AFTER_REST``: after a
    server restart or a dropped session the pool hands out a new one instead. A connection
    checked in moments ago was alive then; pinging it too (``pool_pre_ping``) would cost a
    round trip per transaction. Should the server go away in between, the statement fails,
    the pool drops every connection made before (SQLAlchemy invalidates them on a
    disconnect) and the action is rolled back as a lost database."""

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def _rested(_dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry | None) -> None:
        if record is not None:
            record.info[_RESTED_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: DBAPIConnection, record: ConnectionPoolEntry,
              _proxy: PoolProxiedConnection) -> None:
        if time.monotonic() - record.info.get(_RESTED_SINCE, 0.0) <= PING_AFTER_REST:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:  # the pool tries a new connection
            raise DisconnectionError(str(error)) from error


PRIVATE_FILE = 0o600


def _private_sqlite_file(url: str) -> None:
    """The database file readable and writable by its owner only, whatever the umask: it
    holds the instances' data and whatever personal data the application keeps beside them.
    Created here before SQLite opens it; SQLite gives its ``-wal`` and ``-shm`` files the
    same mode as the database file."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    if not path.parent.is_dir():
        return  # SQLite itself reports the missing folder (a lost database, not a crash)
    # Never open (and close) a database file that exists: closing any descriptor of it drops
    # every POSIX lock this process's SQLite connections hold on it.
    with suppress(FileExistsError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE))
    for name in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
        if name.exists():
            name.chmod(PRIVATE_FILE)


def lost_database(error: BaseException) -> bool:
    """Whether ``error`` means that the database failed, not the data: the server cannot be
    reached, or it ended the session (a restart, the idle timeout), or the connection broke.
    Trying again later helps; blaming the dossier at hand would not."""
    return isinstance(error, DatabaseUnavailable | OperationalError) or (
        isinstance(error, DBAPIError) and error.connection_invalidated)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One action, one transaction: commit on success, roll back on any error. A lost
    database is raised as :class:`DatabaseUnavailable`, which callers (the web's 503, the
    worker's back-off) know without knowing SQLAlchemy."""
    try:
        with factory() as session, session.begin():
            yield session
    except DBAPIError as error:
        if lost_database(error):
            reason = str(error.orig if error.orig is not None else error).strip()
            raise DatabaseUnavailable(reason.splitlines()[0] if reason else "") from error
        raise
