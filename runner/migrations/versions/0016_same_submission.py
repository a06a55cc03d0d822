"""A posted complaint form keeps, for a short while, the hash of its e-mail address, name and
text, so that "back and send again" (a new form token) finds the dossier the first post made.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("form_submissions", sa.Column("content_key", sa.String(length=64),
                                                nullable=True))
    op.create_index("ix_form_submissions_content_key", "form_submissions", ["content_key"],
                    unique=True)


def downgrade() -> None:
    op.drop_index("ix_form_submissions_content_key", table_name="form_submissions")
    op.drop_column("form_submissions", "content_key")
