"""Tests for the Alembic migrations: they build exactly the schema of ``runner.store``.

Runs on a temporary SQLite file, and also on PostgreSQL when ``KLACHTEN_TEST_DATABASE_URL``
is set (for example ``postgresql+psycopg://postgres@127.0.0.1:5432/test``): there every test
gets a fresh schema of its own, selected through ``search_path`` and dropped afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import runner.migrations
from runner.bpmn.store import Base
from runner.migrations import alembic_config, current_revision, head_revision, upgrade
from runner.search import SEARCH_TABLE, TRIGRAM_INDEXES, is_managed

PG_URL_VARIABLE = "KLACHTEN_TEST_DATABASE_URL"
MODEL_TABLES = set(Base.metadata.tables)
# SQLite's search index: the FTS5 table and the shadow tables it keeps its index in.
SEARCH_TABLES = {SEARCH_TABLE, *(f"{SEARCH_TABLE}_{part}"
                                 for part in ("config", "data", "docsize", "idx"))}


def _postgres_url(tmp_name: str) -> Iterator[str]:
    base_url = os.environ[PG_URL_VARIABLE]
    schema = f"klachten_test_{tmp_name}"
    admin = create_engine(base_url, poolclass=NullPool)
    with admin.begin() as connection:
        # As a database administrator would: pg_trgm in public, not in a test's own schema
        # (dropping that schema would take the extension along from under other tests).
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", *(["postgresql"] if os.environ.get(PG_URL_VARIABLE) else [])])
def database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """The URL of an empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'klachten.db'}"
    else:
        yield from _postgres_url(uuid.uuid4().hex[:12])


def _inspect(url: str):
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            inspector = inspect(connection)
            tables = set(inspector.get_table_names())
            details = {
                name: {
                    # Type objects compare by identity: keep their rendering instead.
                    "columns": {
                        c["name"]: {**c, "type": repr(c["type"])}
                        for c in inspector.get_columns(name)
                    },
                    "indexes": {i["name"]: i for i in inspector.get_indexes(name)},
                    "uniques": [
                        tuple(u["column_names"]) for u in inspector.get_unique_constraints(name)
                    ],
                }
                for name in tables
            }
            return tables, details
    finally:
        engine.dispose()


def _differences(url: str) -> list:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={
                "compare_type": True,
                "include_name": lambda name, type_, _parents: not is_managed(name, type_)})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_head_is_the_newest_revision() -> None:
    """One head, and it is the highest-numbered file (revisions are numbered in order)."""
    versions = Path(runner.migrations.__file__).parent / "versions"
    newest = max(path.name.partition("_")[0] for path in versions.glob("0*.py"))
    assert head_revision() == newest


def test_fresh_database_has_no_revision(database_url: str) -> None:
    assert current_revision(database_url) is None


def test_upgrade_creates_every_table(database_url: str) -> None:
    upgrade(database_url)

    tables, details = _inspect(database_url)
    search = SEARCH_TABLES if database_url.startswith("sqlite") else set()
    assert tables == MODEL_TABLES | search | {"alembic_version"}
    assert current_revision(database_url) == head_revision()
    # A few things the application relies on, checked by name:
    assert details["instances"]["columns"]["version"]["nullable"] is False
    assert ("content_hash",) in details["definitions"]["uniques"]
    assert ("number",) in details["dossiers"]["uniques"]
    assert ("dossier_id",) in details["instances"]["uniques"]
    assert details["open_tasks"]["indexes"]["ix_open_tasks_lane_due"]["column_names"] == [
        "lane",
        "due_at",
    ]
    assert "ix_instances_next_timer_at" in details["instances"]["indexes"]


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    upgrade(database_url)

    assert _differences(database_url) == []


def test_upgrade_twice_is_a_no_op(database_url: str) -> None:
    upgrade(database_url)
    before = _inspect(database_url)

    upgrade(database_url)

    assert _inspect(database_url) == before
    assert current_revision(database_url) == head_revision()
    assert _differences(database_url) == []
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    finally:
        engine.dispose()
    assert [row[0] for row in rows] == [head_revision()]


def test_downgrade_to_base_and_up_again(database_url: str) -> None:
    upgrade(database_url)

    # Through the URL (no connection handed over): env.py makes its own engine.
    command.downgrade(alembic_config(database_url), "base")
    tables, _ = _inspect(database_url)
    assert tables == {"alembic_version"}
    assert current_revision(database_url) is None

    upgrade(database_url)
    assert _differences(database_url) == []


def _insert_dossier(connection, name: str, category: str) -> None:
    """Dossier 1 as an older schema stores it, written before the upgrade under test."""
    connection.execute(text(
        "INSERT INTO dossiers (id, number, complainant_name, category, channel, language,"
        " received_at) VALUES (1, 'KL-2026-00001', :name, :category, 'web', 'nl',"
        " '2026-03-02 09:00:00')"), {"name": name, "category": category})


def test_0003_keeps_existing_recommendations_open_without_owner(database_url: str) -> None:
    upgrade(database_url, "0002")
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            _insert_dossier(connection, "An", "terugbetaling")
            connection.execute(text(
                "INSERT INTO recommendations (dossier_id, text, service, status, created_at)"
                " VALUES (1, 'Beter uitleggen.', 'Kine', 'open', '2026-04-16 09:00:00')"))
        upgrade(database_url)
        with engine.connect() as connection:
            row = connection.execute(text(
                "SELECT status, owner, rejection_reason, version, updated_at"
                " FROM recommendations")).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("open", "", "", 1, None)
    assert _differences(database_url) == []


def test_0010_builds_the_search_index_from_existing_dossiers_and_drops_it(
        database_url: str) -> None:
    upgrade(database_url, "0009")
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            _insert_dossier(connection, "Griet Vandevelde", "andere")
        upgrade(database_url)
        sqlite = engine.dialect.name == "sqlite"
        with engine.connect() as connection:
            if sqlite:
                found = connection.scalars(text(
                    "SELECT rowid FROM dossier_search WHERE dossier_search MATCH '\"devel\"'"))
                assert list(found) == [1]
            else:
                indexes = {i["name"] for i in inspect(connection).get_indexes("dossiers")}
                assert set(TRIGRAM_INDEXES) <= indexes
        command.downgrade(alembic_config(database_url), "0009")
        tables, details = _inspect(database_url)
        assert not tables & SEARCH_TABLES
        assert not set(TRIGRAM_INDEXES) & set(details["dossiers"]["indexes"])
        if sqlite:
            with engine.connect() as connection:
                assert connection.scalar(text(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")) == 0
    finally:
        engine.dispose()
    upgrade(database_url)
    assert _differences(database_url) == []


def test_0013_moves_each_users_api_token_with_an_expiry(database_url: str) -> None:
    from datetime import UTC, datetime

    from runner.accounts.tokens import digest

    upgrade(database_url, "0012")
    engine = create_engine(database_url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text(
                "INSERT INTO users (name, roles, password_hash, disabled, token_hash, "
                "created_at) VALUES ('mia', '[]', 'x', false, :digest, :at)"),
                {"digest": digest("oud-token"), "at": datetime(2026, 1, 1, tzinfo=UTC)})
            connection.execute(text(  # a signed-in session points to the user
                "INSERT INTO web_sessions (token_hash, user_id, created_at) "
                "SELECT 'sessie', id, :at FROM users"), {"at": datetime(2026, 1, 1, tzinfo=UTC)})
        upgrade(database_url)
        with engine.connect() as connection:
            label, days = connection.execute(text(
                "SELECT label, expires_at FROM api_tokens WHERE token_hash = :digest"),
                {"digest": digest("oud-token")}).one()
        assert label == "token" and days is not None
        command.downgrade(alembic_config(database_url), "0012")
        assert "api_tokens" not in _inspect(database_url)[0]
    finally:
        engine.dispose()
    upgrade(database_url)
    assert _differences(database_url) == []
