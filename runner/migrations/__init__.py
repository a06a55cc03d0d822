"""Database migrations (Alembic), shipped inside the package and configured in code.

There is no ``alembic.ini``: :func:`alembic_config` points Alembic at this folder. Use
:func:`upgrade` to create or bring a database up to date, :func:`current_revision` and
:func:`head_revision` to see whether that is needed. A new revision is written with
``alembic.command.revision(alembic_config(url), message, autogenerate=True)`` against a
database at head; it lands in ``versions/``.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from runner.bpmn.store import make_engine

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]

MIGRATIONS_DIR = Path(__file__).resolve().parent
# Any constant will do: it only has to be the same for every process that upgrades.
_PG_ADVISORY_LOCK = 0x6B6C6163  # "klac"


def alembic_config(database_url: str | None = None) -> Config:
    """An Alembic configuration for this package's scripts (no ini file involved)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("path_separator", "os")
    if database_url is not None:
        # ConfigParser interpolation: a literal "%" (e.g. in a password) must be doubled.
        cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    """Create or upgrade the schema of ``database_url`` to ``revision`` in one transaction.

    On PostgreSQL a transaction-level advisory lock makes processes that start at the same
    time take turns; on SQLite the write lock taken by ``BEGIN IMMEDIATE`` does the same.
    Upgrading a database that is already at ``revision`` changes nothing.
    """
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_ADVISORY_LOCK}
                )
            cfg = alembic_config(database_url)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or None for a database that was never migrated."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str:
    """The newest revision shipped in ``versions/``."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:  # pragma: no cover - the package always ships 0001_initial
        raise RuntimeError("no migrations found")
    return head
