"""shop data archives (UNL-4): one row per archive, claimed by the worker with a lease

Revision ID: 20261122_0015
Revises: 20261122_0014
Create Date: 2026-11-23 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import depositdesk.adapters.db.types

revision = "20261122_0015"
down_revision = "20261122_0014"
branch_labels = None
depends_on = None

UTC = depositdesk.adapters.db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "archives",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("anonymize_customers", sa.Boolean(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_at", UTC(), nullable=True),
        sa.Column("finished_at", UTC(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("files", sa.Text(), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_archives_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_archives")),
    )
    with op.batch_alter_table("archives", schema=None) as batch_op:
        batch_op.create_index("ix_archives_shop", ["shop_id", "status"], unique=False)
        batch_op.create_index("ix_archives_due", ["status", "created_at", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("archives", schema=None) as batch_op:
        batch_op.drop_index("ix_archives_due")
        batch_op.drop_index("ix_archives_shop")
    op.drop_table("archives")
