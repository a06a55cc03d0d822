"""The access log says what was seen (a page, a letter, the API, a CSV export), and an
entry need not name one dossier (the CSV export covers a period).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_log") as batch:
        batch.add_column(sa.Column("what", sa.String(length=200), nullable=False,
                                   server_default="dossierpagina"))
        batch.alter_column("dossier_id", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM access_log WHERE dossier_id IS NULL")
    with op.batch_alter_table("access_log") as batch:
        batch.alter_column("dossier_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("what")
