"""Accounts as an organisation runs them (issue 25, item 7): several API tokens per user with
an expiry, single-use password reset links, an e-mail address and a single sign-on subject.

The one token each user had moves to ``api_tokens`` with 90 days to live from this upgrade.
On SQLite the staff sign in again after it (see :func:`upgrade`).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MIGRATED_TOKEN_DAYS = 90


def upgrade() -> None:
    moved = _tokens_to_move()
    if op.get_bind().dialect.name == "sqlite":
        # Batch mode recreates ``users``; with foreign keys on, SQLite refuses to drop a
        # table that rows still point to. Staff sessions are the only such rows: the staff
        # sign in again after this upgrade (members' status sessions stay).
        op.execute("DELETE FROM web_sessions WHERE user_id IS NOT NULL")
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("sso_subject", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("password_changed_at", sa.DateTime(timezone=True),
                                   nullable=True))
        batch.create_unique_constraint("uq_users_sso_subject", ["sso_subject"])
        batch.drop_column("token_hash")
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_api_tokens_user_id", "api_tokens", ["user_id"])
    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_password_resets_user_id", "password_resets", ["user_id"])
    _insert_tokens(moved)


def _tokens_to_move() -> list[tuple[int, str]]:
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column("token_hash", sa.String()))
    return [tuple(row) for row in op.get_bind().execute(
        sa.select(users.c.id, users.c.token_hash).where(users.c.token_hash.is_not(None)))]


def _insert_tokens(moved: list[tuple[int, str]]) -> None:
    tokens = sa.table("api_tokens", *(sa.column(name) for name in (
        "user_id", "label", "token_hash", "created_at", "expires_at")))
    now = datetime.now(UTC)
    if moved:
        op.get_bind().execute(tokens.insert(), [
            {"user_id": user_id, "label": "token", "token_hash": digest, "created_at": now,
             "expires_at": now + timedelta(days=MIGRATED_TOKEN_DAYS)}
            for user_id, digest in moved])


def downgrade() -> None:
    op.drop_table("password_resets")
    op.drop_table("api_tokens")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DELETE FROM web_sessions WHERE user_id IS NOT NULL")  # as in upgrade()
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(length=64), nullable=True))
        batch.drop_constraint("uq_users_sso_subject", type_="unique")
        batch.drop_column("password_changed_at")
        batch.drop_column("sso_subject")
        batch.drop_column("email")
