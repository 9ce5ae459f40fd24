"""Seller Center and console pages: each user's page language (English or 简体中文),
remembered across browsers (users.language; NULL: not chosen yet)

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


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=5), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("language")
