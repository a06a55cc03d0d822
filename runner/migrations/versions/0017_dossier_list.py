"""The dossier list (issue 21, item 1): what it filters on, its saved views, and the search
index widened to the e-mail address, the member number and the complaint's words.

``dossiers`` gains ``complaint_text`` (filled from the stored state of existing dossiers)
and the derived ``state``, ``step`` and ``due_at`` (filled from their open tasks and
waiting messages), with an index per filter beside ``received_at``. ``saved_views`` holds
the filters users saved under a name.

The search index of 0010 is widened, not doubled: on SQLite the FTS5 table
``dossier_search`` is made again over five columns with its three triggers; on PostgreSQL
three more GIN trigram indexes join the two of 0010.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = ("number", "complainant_name")
_NEW = (*_OLD, "complainant_email", "member_number", "complaint_text")
_TRIGRAM_INDEXES = {"ix_dossiers_complainant_email_trgm": "complainant_email",
                    "ix_dossiers_member_number_trgm": "member_number",
                    "ix_dossiers_complaint_text_trgm": "complaint_text"}
_FILTERS = ("state", "step", "category", "channel")
NATIONAL_LANE, DISAGREE = "Nationale klachtenbemiddelaar", "klager_niet_akkoord"


def _fts(columns: Sequence[str]) -> list[str]:
    """The FTS5 table over ``columns`` of ``dossiers``, filled, with its triggers."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    delete = (f"INSERT INTO dossier_search(dossier_search, rowid, {names})"
              f" VALUES ('delete', old.id, {old});")
    insert = f"INSERT INTO dossier_search(rowid, {names}) VALUES (new.id, {new});"
    return [
        f"CREATE VIRTUAL TABLE dossier_search USING fts5({names},"
        " content='dossiers', content_rowid='id', tokenize='trigram')",
        f"INSERT INTO dossier_search(rowid, {names}) SELECT id, {names} FROM dossiers",
        f"CREATE TRIGGER dossier_search_insert AFTER INSERT ON dossiers BEGIN {insert} END",
        f"CREATE TRIGGER dossier_search_delete AFTER DELETE ON dossiers BEGIN {delete} END",
        f"CREATE TRIGGER dossier_search_update AFTER UPDATE OF {names} ON dossiers"
        f" BEGIN {delete} {insert} END",
    ]


_DROP_FTS = ("DROP TRIGGER dossier_search_update", "DROP TRIGGER dossier_search_delete",
             "DROP TRIGGER dossier_search_insert", "DROP TABLE dossier_search")


def upgrade() -> None:
    new_columns: tuple[sa.Column, ...] = (
        sa.Column("complaint_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("state", sa.String(20), nullable=False, server_default="open"),
        sa.Column("step", sa.String(10), nullable=False, server_default=""),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
    for new_column in new_columns:
        op.add_column("dossiers", new_column)
    _fill()
    op.create_index("ix_dossiers_received_at", "dossiers", ["received_at"])
    for name in _FILTERS:
        op.create_index(f"ix_dossiers_{name}_received_at", "dossiers", [name, "received_at"])
    op.create_index("ix_dossiers_due_at", "dossiers", ["due_at"])
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(100), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user", "name", name="uq_saved_views_user_name"),
    )
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        for statement in (*_DROP_FTS, *_fts(_NEW)):
            op.execute(statement)
        return
    schema = connection.scalar(sa.text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
        " ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"))
    quoted = '"' + schema.replace('"', '""') + '"'
    for index, indexed in _TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX {index} ON dossiers"
                   f" USING gin (lower({indexed}) {quoted}.gin_trgm_ops)")


def _fill() -> None:
    """The new columns of the existing dossiers: the complaint from the stored state (or the
    closed dossier's archive), the state from the dossier, its open tasks and its waiting
    messages, as ``runner.work.dossier_state`` derives them from now on."""
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT d.id, d.outcome, d.closed_at, d.erased_at, i.state, i.archive, i.id"
        " FROM dossiers d JOIN instances i ON i.dossier_id = d.id")).all()
    for dossier_id, outcome, closed_at, erased_at, state, archive, instance_id in rows:
        tasks = connection.execute(sa.text(
            "SELECT lane, step, due_at FROM open_tasks WHERE dossier_id = :id"),
            {"id": dossier_id}).all()
        waiting = connection.scalar(sa.text(
            "SELECT count(*) FROM waiting_messages WHERE instance_id = :id AND name = :name"),
            {"id": instance_id, "name": DISAGREE})
        if outcome == "ingetrokken":
            derived = "ingetrokken"
        elif closed_at is not None:
            derived = "afgesloten"
        elif any(lane == NATIONAL_LANE for lane, _, _ in tasks):
            derived = "nationaal"
        else:
            derived = "wacht_op_klager" if waiting else "open"
        steps = sorted(step for _, step, _ in tasks if step)
        dues = [due for _, _, due in tasks if due is not None]
        connection.execute(sa.text(
            "UPDATE dossiers SET complaint_text = :text, state = :state, step = :step,"
            " due_at = :due WHERE id = :id"),
            {"text": "" if erased_at else _complaint(state, archive),
             "state": derived, "step": steps[0] if steps else ("6" if waiting else ""),
             "due": min(dues) if dues else None, "id": dossier_id})


def _complaint(state: str | None, archive: bytes | None) -> str:
    try:
        if state:
            return _find_text(json.loads(state))
        if archive:
            return _find_text(json.loads(zlib.decompress(archive)))
    except (ValueError, zlib.error):
        pass
    return ""


def _find_text(value: Any) -> str:
    """The first ``omschrijving`` text anywhere in a serialized workflow or record."""
    if isinstance(value, dict):
        if isinstance(value.get("omschrijving"), str):
            return value["omschrijving"][:10000]
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _find_text(item)
            if found:
                return found
    return ""


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in _DROP_FTS if sqlite else (f"DROP INDEX {n}" for n in _TRIGRAM_INDEXES):
        op.execute(statement)
    op.drop_table("saved_views")
    op.drop_index("ix_dossiers_due_at", table_name="dossiers")
    for name in _FILTERS:
        op.drop_index(f"ix_dossiers_{name}_received_at", table_name="dossiers")
    op.drop_index("ix_dossiers_received_at", table_name="dossiers")
    # Batch mode recreates ``dossiers`` on SQLite: the index of 0010 comes after it.
    with op.batch_alter_table("dossiers") as batch:
        for column in ("due_at", "step", "state", "complaint_text"):
            batch.drop_column(column)
    if sqlite:
        for statement in _fts(_OLD):
            op.execute(statement)
