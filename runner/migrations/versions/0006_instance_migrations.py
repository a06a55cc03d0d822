"""Instance migrations: a dossier moved to another process version, revertible.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance_migrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("from_definition_id", sa.Integer(), nullable=False),
        sa.Column("to_definition_id", sa.Integer(), nullable=False),
        sa.Column("previous_state", sa.Text(), nullable=False),
        sa.Column("previous_serializer_version", sa.String(length=20), nullable=False),
        sa.Column("version_after", sa.Integer(), nullable=False),
        sa.Column("new_rules", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reverted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reverted_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"]),
        sa.ForeignKeyConstraint(["instance_id"], ["instances.id"]),
        sa.ForeignKeyConstraint(["from_definition_id"], ["definitions.id"]),
        sa.ForeignKeyConstraint(["to_definition_id"], ["definitions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_instance_migrations_dossier_id", "instance_migrations", ["dossier_id"])


def downgrade() -> None:
    op.drop_index("ix_instance_migrations_dossier_id", table_name="instance_migrations")
    op.drop_table("instance_migrations")
