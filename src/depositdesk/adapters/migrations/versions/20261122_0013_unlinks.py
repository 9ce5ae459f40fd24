"""unlink requests (UNL-1..7) and closure notices (UNL-6a)

Revision ID: 20261122_0013
Revises: 20261122_0012
Create Date: 2026-11-23 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import depositdesk.adapters.db.types

revision = "20261122_0013"
down_revision = "20261122_0012"
branch_labels = None
depends_on = None

UTC = depositdesk.adapters.db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "unlinks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("unlink_date", sa.Date(), nullable=False),
        sa.Column("unlink_at", UTC(), nullable=False),
        sa.Column("cutoff_at", UTC(), nullable=False),
        sa.Column("support_contact", sa.Text(), nullable=False),
        sa.Column("requested_at", UTC(), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_role", sa.String(length=20), nullable=False),
        sa.Column("requested_user_id", sa.String(length=32), nullable=True),
        sa.Column("held_reasons", sa.Text(), nullable=False),
        sa.Column("agreement_version", sa.String(length=40), nullable=True),
        sa.Column("agreement_at", UTC(), nullable=True),
        sa.Column("review_message", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("reviewed_at", UTC(), nullable=True),
        sa.Column("confirmed_at", UTC(), nullable=True),
        sa.Column("confirmed_by", sa.String(length=200), nullable=True),
        sa.Column("unlinked_at", UTC(), nullable=True),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_unlinks_seller_id_sellers")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_unlinks_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unlinks")),
    )
    with op.batch_alter_table("unlinks", schema=None) as batch_op:
        batch_op.create_index("ix_unlinks_shop", ["shop_id", "status"], unique=False)
    op.create_table(
        "closure_notices",
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", UTC(), nullable=False),
        sa.Column("started_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_closure_notices_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_closure_notices")),
    )


def downgrade() -> None:
    op.drop_table("closure_notices")
    with op.batch_alter_table("unlinks", schema=None) as batch_op:
        batch_op.drop_index("ix_unlinks_shop")
    op.drop_table("unlinks")
