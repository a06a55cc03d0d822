"""The improvement register: owner, rejection reason, edit version and follow-up notes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Existing recommendations get no owner, no reason and version 1 (server defaults).
    op.add_column("recommendations", sa.Column("owner", sa.String(length=200),
                                               server_default="", nullable=False))
    op.add_column("recommendations", sa.Column("rejection_reason", sa.Text(),
                                               server_default="", nullable=False))
    op.add_column("recommendations", sa.Column("updated_at", sa.DateTime(timezone=True),
                                               nullable=True))
    op.add_column("recommendations", sa.Column("version", sa.Integer(), server_default="1",
                                               nullable=False))
    op.create_table(
        "recommendation_notes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("recommendation_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["recommendation_id"], ["recommendations.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recommendation_notes_recommendation_id", "recommendation_notes",
                    ["recommendation_id"])


def downgrade() -> None:
    op.drop_index("ix_recommendation_notes_recommendation_id",
                  table_name="recommendation_notes")
    op.drop_table("recommendation_notes")
    with op.batch_alter_table("recommendations") as batch:
        for column in ("version", "updated_at", "rejection_reason", "owner"):
            batch.drop_column(column)
