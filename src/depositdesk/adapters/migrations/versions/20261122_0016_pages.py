"""Seller Center and console pages: each user's page language (English or 简体中文),
remembered across browsers (users.language; NULL: not chosen yet); platform users
(reviewers, platform admins, auditors who sign in to the operations console) have
no seller (users.seller_id becomes nullable)

Revision ID: 20261122_0016
Revises: 20261122_0015
Create Date: 2026-11-23 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261122_0016"
down_revision = "20261122_0015"
branch_labels = None
depends_on = None

_STRICT = "seller_id VARCHAR(64) NOT NULL"
_LOOSE = "seller_id VARCHAR(64)"


def _sqlite_seller_id(before: str, after: str) -> None:
    """SQLite cannot drop a NOT NULL constraint with ALTER TABLE, and rebuilding
    `users` (copy, drop, rename) trips the foreign keys of the tables that refer to
    it inside the migration's transaction. SQLite's documented procedure for removing
    a NOT NULL constraint edits the stored CREATE TABLE instead (no data changes):
    https://www.sqlite.org/lang_altertable.html#otheralter"""
    bind = op.get_bind()
    sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'")
    ).scalar_one()
    if before not in sql:
        raise RuntimeError(f"users.seller_id is not declared as {before!r}: {sql}")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'users'"),
        {"sql": sql.replace(before, after)},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.String(length=5), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_seller_id(_STRICT, _LOOSE)
    else:
        op.alter_column("users", "seller_id", existing_type=sa.String(length=64), nullable=True)


def downgrade() -> None:
    bind = op.get_bind()
    platform_users = bind.execute(
        sa.text("SELECT count(*) FROM users WHERE seller_id IS NULL")
    ).scalar_one()
    if platform_users:
        raise RuntimeError(
            f"{platform_users} platform user(s) have no seller: remove them before downgrading"
        )
    if bind.dialect.name == "sqlite":
        _sqlite_seller_id(_LOOSE, _STRICT)
    else:
        op.alter_column("users", "seller_id", existing_type=sa.String(length=64), nullable=False)
    op.drop_column("users", "language")
