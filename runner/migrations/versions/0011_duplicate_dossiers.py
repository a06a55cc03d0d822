"""A dossier closed as a duplicate points to the dossier that handles the complaint.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A plain column, no foreign key: dossiers are never deleted (erasure empties them), and a
# foreign key would make SQLite rebuild the table, dropping the search index's triggers.
def upgrade() -> None:
    op.add_column("dossiers", sa.Column("duplicate_of_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("dossiers", "duplicate_of_id")
