"""The mediators' case notes and contact log (``dossier_notes``) and the drafts of long text
fields of open tasks (``task_drafts``) (issue 21, items 5 and 6).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "dossier_notes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contact", sa.String(length=10), server_default="", nullable=False),
        sa.Column("direction", sa.String(length=3), server_default="", nullable=False),
        sa.Column("contact_on", sa.Date(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("corrects_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"]),
        sa.ForeignKeyConstraint(["corrects_id"], ["dossier_notes.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dossier_notes_dossier_id", "dossier_notes", ["dossier_id"])
    op.create_table(
        "task_drafts",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=100), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("task_id", "user", "field", name="uq_task_drafts_task_user_field"),
    )
    op.create_index("ix_task_drafts_dossier_id", "task_drafts", ["dossier_id"])


def downgrade() -> None:
    op.drop_index("ix_task_drafts_dossier_id", table_name="task_drafts")
    op.drop_table("task_drafts")
    op.drop_index("ix_dossier_notes_dossier_id", table_name="dossier_notes")
    op.drop_table("dossier_notes")
