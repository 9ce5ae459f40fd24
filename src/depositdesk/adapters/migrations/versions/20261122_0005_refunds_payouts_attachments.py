"""refunds with their timeline, payouts, proof attachments (issue 8)

Revision ID: 20261122_0005
Revises: 20261122_0004
Create Date: 2026-11-22 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import depositdesk.adapters.db.types

revision = "20261122_0005"
down_revision = "20261122_0004"
branch_labels = None
depends_on = None

UTC = depositdesk.adapters.db.types.UTCDateTime
SERIAL = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "attachments",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=True),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_attachments_seller_id_sellers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("category", sa.String(length=128), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("attachment_ids", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("submitted_at", UTC(), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("review_due_at", UTC(), nullable=False),
        sa.Column("decided_at", UTC(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("reason_code", sa.String(length=40), nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("payout_due_at", UTC(), nullable=True),
        sa.Column("policy_pack", sa.String(length=40), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_refunds_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
    )
    op.create_index("ix_refunds_shop", "refunds", ["shop_id", "kind", "status"])
    op.create_index("ix_refunds_queue", "refunds", ["status", "review_due_at"])
    op.create_table(
        "refund_steps",
        sa.Column("id", SERIAL, autoincrement=True, nullable=False),
        sa.Column("refund_id", sa.String(length=32), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_refund_steps_refund_id_refunds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refund_steps")),
    )
    op.create_index(op.f("ix_refund_steps_refund_id"), "refund_steps", ["refund_id"])
    op.create_table(
        "payouts",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("refund_id", sa.String(length=32), nullable=False),
        sa.Column("payout_key", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("dest_currency", sa.String(length=3), nullable=False),
        sa.Column("dest_amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("fx_rate", sa.String(length=40), nullable=True),
        sa.Column("fx_source", sa.String(length=80), nullable=True),
        sa.Column("fx_at", UTC(), nullable=True),
        sa.Column("fee_minor", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("sent_at", UTC(), nullable=True),
        sa.Column("settled_at", UTC(), nullable=True),
        sa.Column("bank_reference", sa.String(length=200), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_payouts_refund_id_refunds")
        ),
        sa.ForeignKeyConstraint(["shop_id"], ["shops.id"], name=op.f("fk_payouts_shop_id_shops")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payouts")),
        sa.UniqueConstraint("payout_key", name=op.f("uq_payouts_payout_key")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_payouts_refund_id")),
    )
    op.create_index("ix_payouts_status", "payouts", ["status"])


def downgrade() -> None:
    op.drop_index("ix_payouts_status", table_name="payouts")
    op.drop_table("payouts")
    op.drop_index(op.f("ix_refund_steps_refund_id"), table_name="refund_steps")
    op.drop_table("refund_steps")
    op.drop_index("ix_refunds_queue", table_name="refunds")
    op.drop_index("ix_refunds_shop", table_name="refunds")
    op.drop_table("refunds")
    op.drop_table("attachments")
