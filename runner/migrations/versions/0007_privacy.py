"""Privacy: the complainant's e-mail address and member number on the dossier (to answer an
access request), the legal hold, the erasure instant, and the compact archive of a closed
dossier's instance.

Existing dossiers get their e-mail address and member number from their stored state.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for column in (
        sa.Column("complainant_email", sa.String(254), nullable=False, server_default=""),
        sa.Column("member_number", sa.String(20), nullable=False, server_default=""),
        sa.Column("legal_hold", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("legal_hold_reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    ):
        op.add_column("dossiers", column)
    op.create_index("ix_dossiers_complainant_email", "dossiers", ["complainant_email"])
    op.create_index("ix_dossiers_member_number", "dossiers", ["member_number"])
    op.create_index("ix_dossiers_erased_at_closed_at", "dossiers", ["erased_at", "closed_at"])
    op.add_column("instances", sa.Column("archive", sa.LargeBinary(), nullable=True))
    _fill_contact_columns()


def _fill_contact_columns() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT dossier_id, state FROM instances")).all()
    for dossier_id, state in rows:
        complainant = _find_complainant(json.loads(state)) if state else None
        if complainant:
            connection.execute(
                sa.text("UPDATE dossiers SET complainant_email = :email, member_number = :member"
                        " WHERE id = :id"),
                {"email": str(complainant.get("email") or "").lower()[:254],
                 "member": str(complainant.get("lidnummer") or "")[:20], "id": dossier_id})


def _find_complainant(value) -> dict | None:
    """The first ``klager`` object anywhere in a serialized workflow."""
    if isinstance(value, dict):
        if isinstance(value.get("klager"), dict):
            return value["klager"]
        value = list(value.values())
    if isinstance(value, list):
        for item in value:
            found = _find_complainant(item)
            if found:
                return found
    return None


def downgrade() -> None:
    op.drop_column("instances", "archive")
    op.drop_index("ix_dossiers_erased_at_closed_at", table_name="dossiers")
    op.drop_index("ix_dossiers_member_number", table_name="dossiers")
    op.drop_index("ix_dossiers_complainant_email", table_name="dossiers")
    for column in ("erased_at", "legal_hold_reason", "legal_hold", "member_number",
                   "complainant_email"):
        op.drop_column("dossiers", column)
