"""Report facts: one derived row per dossier (``runner.reports.facts``) that the reports aggregate.

Dossiers that exist before this revision get their row at their next action; what happened
to them before is not reconstructed (see "Reports" in docs/mediators.md).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The report's breakdowns: one covering index each, on the column and received_at.
BREAKDOWNS = ("received_month", "category", "channel", "inadmissible_reason", "answer_outcome",
              "national_outcome")
_INSTANTS = ("ack_due_at", "ack_at", "answer_due_at", "answer_at", "national_due_at",
             "national_at")


def upgrade() -> None:
    op.create_table(
        "dossier_facts",
        sa.Column("dossier_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("definition_id", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_month", sa.String(length=7), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("admissible", sa.Boolean(), nullable=True),
        sa.Column("inadmissible_reason", sa.String(length=40), nullable=True),
        sa.Column("answer_outcome", sa.String(length=40), nullable=True),
        sa.Column("escalated", sa.Boolean(), nullable=False),
        sa.Column("national_outcome", sa.String(length=40), nullable=True),
        *(sa.Column(name, sa.DateTime(timezone=True), nullable=True) for name in _INSTANTS),
        sa.Column("status_interval_days", sa.Integer(), nullable=True),
        sa.Column("status_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_met", sa.Integer(), nullable=False),
        sa.Column("status_missed", sa.Integer(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("lead_days", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["dossier_id"], ["dossiers.id"]),
        sa.PrimaryKeyConstraint("dossier_id"),
    )
    for column in BREAKDOWNS:
        op.create_index(f"ix_dossier_facts_{column}", "dossier_facts", [column, "received_at"])
    op.create_index("ix_dossier_facts_lead_days", "dossier_facts", ["lead_days", "closed_at"])


def downgrade() -> None:
    op.drop_index("ix_dossier_facts_lead_days", table_name="dossier_facts")
    for column in BREAKDOWNS:
        op.drop_index(f"ix_dossier_facts_{column}", table_name="dossier_facts")
    op.drop_table("dossier_facts")
