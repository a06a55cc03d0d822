"""The werkbak's search index on the dossier number and the complainant's name (issue 16,
item 3).

SQLite: an FTS5 table ``dossier_search`` with the trigram tokenizer over the ``dossiers``
rows (external content: the index holds no copy of the names), filled from the existing
rows and kept in step by three triggers on ``dossiers``. A later migration that recreates
``dossiers`` in batch mode drops these triggers with the old table: it must create them
again (``tests/test_dossier_search.py`` checks them at head).

PostgreSQL: the ``pg_trgm`` extension (created when missing: trusted since PostgreSQL 13,
so the owner of the database may create it) and a GIN trigram index on ``lower(number)`` and
on ``lower(complainant_name)``. The downgrade drops the indexes and leaves the extension,
which other objects may use.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "number, complainant_name"
_SQLITE_UPGRADE = (
    "CREATE VIRTUAL TABLE dossier_search USING fts5(number, complainant_name,"
    " content='dossiers', content_rowid='id', tokenize='trigram')",
    f"INSERT INTO dossier_search(rowid, {_COLUMNS}) SELECT id, {_COLUMNS} FROM dossiers",
    "CREATE TRIGGER dossier_search_insert AFTER INSERT ON dossiers BEGIN"
    f" INSERT INTO dossier_search(rowid, {_COLUMNS})"
    " VALUES (new.id, new.number, new.complainant_name); END",
    "CREATE TRIGGER dossier_search_delete AFTER DELETE ON dossiers BEGIN"
    f" INSERT INTO dossier_search(dossier_search, rowid, {_COLUMNS})"
    " VALUES ('delete', old.id, old.number, old.complainant_name); END",
    "CREATE TRIGGER dossier_search_update AFTER UPDATE OF number, complainant_name ON dossiers"
    f" BEGIN INSERT INTO dossier_search(dossier_search, rowid, {_COLUMNS})"
    " VALUES ('delete', old.id, old.number, old.complainant_name);"
    f" INSERT INTO dossier_search(rowid, {_COLUMNS})"
    " VALUES (new.id, new.number, new.complainant_name); END",
)
_SQLITE_DOWNGRADE = (
    "DROP TRIGGER dossier_search_update",
    "DROP TRIGGER dossier_search_delete",
    "DROP TRIGGER dossier_search_insert",
    "DROP TABLE dossier_search",
)
_TRIGRAM_INDEXES = {"ix_dossiers_number_trgm": "number",
                    "ix_dossiers_complainant_name_trgm": "complainant_name"}


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for statement in _SQLITE_UPGRADE:
            op.execute(statement)
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        # The operator class lives in the extension's schema, which need not be on the
        # search path of every session.
        schema = connection.scalar(sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
            " ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"))
        quoted = '"' + schema.replace('"', '""') + '"'
        for name, column in _TRIGRAM_INDEXES.items():
            op.execute(f"CREATE INDEX {name} ON dossiers"
                       f" USING gin (lower({column}) {quoted}.gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for statement in _SQLITE_DOWNGRADE:
            op.execute(statement)
    else:
        for name in _TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX {name}")
