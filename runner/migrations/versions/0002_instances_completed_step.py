"""Index on instances (completed, step): the open dossiers per step without the state.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_instances_completed_step", "instances", ["completed", "step"])


def downgrade() -> None:
    op.drop_index("ix_instances_completed_step", table_name="instances")
