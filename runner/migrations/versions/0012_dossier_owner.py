"""An owner per dossier and a claim that is a lock (issue 21, items 2 and 3).

``dossiers.owner`` (indexed: the werkbak's "mijn dossiers" and the dossier list's owner
filter), ``open_tasks.claimed_at`` (since when the holder holds the task) and
``ended_tasks`` (who completed a task, so whoever still had it open is told by whom).
Plain ``ADD COLUMN`` on SQLite: no batch copy of ``dossiers``, so the search index's
triggers of 0010 stay.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("dossiers", sa.Column("owner", sa.String(100), nullable=True))
    op.create_index("ix_dossiers_owner", "dossiers", ["owner"])
    op.add_column("open_tasks", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "ended_tasks",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dossiers.id"), nullable=False),
        sa.Column("spec_name", sa.String(100), nullable=False),
        sa.Column("form", sa.String(200), nullable=True),
        sa.Column("ended_by", sa.String(100), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ended_tasks_dossier_id", "ended_tasks", ["dossier_id"])


def downgrade() -> None:
    op.drop_index("ix_ended_tasks_dossier_id", table_name="ended_tasks")
    op.drop_table("ended_tasks")
    op.drop_column("open_tasks", "claimed_at")
    op.drop_index("ix_dossiers_owner", table_name="dossiers")
    op.drop_column("dossiers", "owner")
