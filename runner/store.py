"""SQLAlchemy 2 models and the database engine.

The schema is created and upgraded by Alembic (``runner/migrations``); these models are the
single description of it. Every action runs in one transaction (see ``runner.instances``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

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
    false,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from .errors import DatabaseUnavailable


class UtcDateTime(TypeDecorator):
    """A timezone-aware datetime stored as UTC on every backend.

    SQLite keeps no offset: without this, 09:00+01:00 would come back as 09:00 UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: every instant in klachten carries a timezone")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
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
    files: Mapped[dict] = mapped_column(JSON)
    spec: Mapped[str] = mapped_column(Text)


class Dossier(Base):
    """A complaint file. The complainant's name, e-mail address and member number are kept
    here too, so a beheerder can find every dossier of a person (``runner.subject_access``);
    ``runner.retention`` empties them when the dossier is erased (``erased_at``). A legal
    hold keeps a dossier from being erased."""

    __tablename__ = "dossiers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    year: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int | None] = mapped_column(Integer)
    access_code_hash: Mapped[str | None] = mapped_column(String(200))
    complainant_name: Mapped[str] = mapped_column(String(220), default="")
    category: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(2))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(40))
    complainant_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    member_number: Mapped[str] = mapped_column(String(20), default="", server_default="")
    legal_hold: Mapped[bool] = mapped_column(default=False, server_default=false())
    legal_hold_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    erased_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (
        Index("ix_dossiers_complainant_email", "complainant_email"),
        Index("ix_dossiers_member_number", "member_number"),
        # The retention job's search: closed, not erased yet.
        Index("ix_dossiers_erased_at_closed_at", "erased_at", "closed_at"),
    )


class DossierSequence(Base):
    """Last sequence number per year, incremented under a row lock by the registration."""

    __tablename__ = "dossier_sequences"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Instance(Base):
    """A process instance; ``state`` is the serialized workflow without its spec. A closed
    dossier's instance keeps only ``archive`` (``runner.closed_record``: the process data and
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
        # Covers the open dossiers per step (runner.metrics) without reading the state.
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

    __table_args__ = (
        Index("ix_open_tasks_lane_due", "lane", "due_at"),
        # Covers the inbox count: lane and the separation-of-duties check without the table.
        Index("ix_open_tasks_lane_spec", "lane", "spec_name", "dossier_id"),
    )


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
    details: Mapped[dict] = mapped_column(JSON, default=dict)


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
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    reverted_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    reverted_by: Mapped[str | None] = mapped_column(String(100))


class Notice(Base):
    """The outbox: a rendered notice, written in the transaction of the step that caused it."""

    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(10))
    code: Mapped[str] = mapped_column(String(12))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(20), default="queued")
    # E-mail address or postal address block, fixed when the notice is produced.
    recipient: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A delivery worker's claim; a claim past this instant is stale and may be taken over.
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    # Where it went: the SMTP server that accepted it, or the .eml file it was written to.
    delivery: Mapped[str | None] = mapped_column(Text)
    # The access code of an acknowledgement until it leaves, encrypted with a key derived
    # from the secret key (runner.sealing); the body holds a placeholder (ADR 8).
    sealed_code: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),)


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


class Recommendation(Base):
    """The improvement register (step 8), followed up by the mediators (``runner.register``).

    ``version`` guards edits (two mediators never silently overwrite each other); the owner is
    free text: the service or person responsible, not necessarily a user of klachten.
    """

    __tablename__ = "recommendations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    service: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    owner: Mapped[str] = mapped_column(String(200), default="", server_default="")
    rejection_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    version: Mapped[int] = mapped_column(Integer, nullable=False, server_default="1")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's own idiom


class RecommendationNote(Base):
    """A follow-up note on a recommendation: append-only, shown in order."""

    __tablename__ = "recommendation_notes"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(ForeignKey("recommendations.id"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    text: Mapped[str] = mapped_column(Text)


class DossierFacts(Base):
    """What the reports need of one dossier, derived by ``runner.facts`` in the transaction of
    each action (like ``open_tasks``): classification, and each deadline as the dossier's own
    version computed it with the instant it was met. Reports aggregate this table in SQL and
    never load engine state."""

    __tablename__ = "dossier_facts"
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), primary_key=True,
                                            autoincrement=False)
    definition_id: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Local (Europe/Brussels) month of receipt, "2026-03": the same on every backend.
    received_month: Mapped[str] = mapped_column(String(7))
    category: Mapped[str] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(20))
    admissible: Mapped[bool | None] = mapped_column()
    inadmissible_reason: Mapped[str | None] = mapped_column(String(40))
    answer_outcome: Mapped[str | None] = mapped_column(String(40))
    escalated: Mapped[bool] = mapped_column(default=False)
    national_outcome: Mapped[str | None] = mapped_column(String(40))
    ack_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ack_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answer_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    answer_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    national_due_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    national_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status_interval_days: Mapped[int | None] = mapped_column(Integer)
    # Start of the running status-update interval (investigation start or last update).
    status_since: Mapped[datetime | None] = mapped_column(UtcDateTime())
    status_met: Mapped[int] = mapped_column(Integer, default=0)
    status_missed: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    outcome: Mapped[str | None] = mapped_column(String(40))
    lead_days: Mapped[int | None] = mapped_column(Integer)

    # One covering index per breakdown, with received_at for the period: a GROUP BY reads
    # only its index, in order (a lone received_at index made SQLite fetch every row).
    __table_args__ = (
        *(Index(f"ix_dossier_facts_{column}", column, "received_at")
          for column in ("received_month", "category", "channel", "inadmissible_reason",
                         "answer_outcome", "national_outcome")),
        Index("ix_dossier_facts_lead_days", "lead_days", "closed_at"),
    )


class ClockSetting(Base):
    """The shared virtual clock (one row), used when ``KLACHTEN_CLOCK=virtual``."""

    __tablename__ = "clock"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    now: Mapped[datetime] = mapped_column(UtcDateTime())


class RateLimitEvent(Base):
    """One counted attempt (status page look-ups, logins) for a key such as an address."""

    __tablename__ = "rate_limit_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_rate_limit_events_key_at", "key", "at"),)


class AccessEntry(Base):
    """Who viewed or downloaded personal data, what and when (the beheerder reads it): one
    dossier (its page, a letter, the API), or no single dossier (the CSV export)."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    user: Mapped[str] = mapped_column(String(100))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    what: Mapped[str] = mapped_column(String(200), default="dossierpagina",
                                      server_default="dossierpagina")


class FormSubmission(Base):
    """One posted complaint form (``runner.confirmations``): the hash of its one-time form
    token, the dossier it made, and for a short while the access code sealed with a key
    only the member's browser holds, until the confirmation page has shown it once."""

    __tablename__ = "form_submissions"
    form_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sealed_code: Mapped[str | None] = mapped_column(Text)


class WebSession(Base):
    """A signed-in session (a mediator's login, a member's status pass): the cookie holds a
    random token, the server its SHA-256; ended at sign-out or when the user is disabled."""

    __tablename__ = "web_sessions"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    __table_args__ = (Index("ix_web_sessions_created_at", "created_at"),)


class User(Base):
    """A mediator's account: roles, argon2 password hash, API token hash (SHA-256)."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    roles: Mapped[list] = mapped_column(JSON, default=list)
    password_hash: Mapped[str] = mapped_column(String(200))
    disabled: Mapped[bool] = mapped_column(default=False)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


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
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - trivial
            # BEGIN IMMEDIATE: take the write lock at the start, so two writers queue up
            # instead of failing halfway with "database is locked".
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if idle_timeout:
        milliseconds = int(idle_timeout * 1000)

        @event.listens_for(engine, "connect")
        def _idle_timeout(dbapi_conn, _record):
            with dbapi_conn.cursor() as cur:
                cur.execute(f"SET idle_in_transaction_session_timeout = {milliseconds}")
            dbapi_conn.commit()  # a SET in a rolled-back transaction would not last

    return engine


PRIVATE_FILE = 0o600


def _private_sqlite_file(url: str) -> None:
    """The database file readable and writable by its owner only, whatever the umask: it
    holds password hashes, complainants' names and notices. Created here before SQLite opens
    it; SQLite gives its ``-wal`` and ``-shm`` files the same mode as the database file."""
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
