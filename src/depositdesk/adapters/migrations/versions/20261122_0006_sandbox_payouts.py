"""the sandbox bank's record of payouts by payout key (issue 8, REF-6)

Revision ID: 20261122_0006
Revises: 20261122_0005
Create Date: 2026-11-22 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import depositdesk.adapters.db.types

revision = "20261122_0006"
down_revision = "20261122_0005"
branch_labels = None
depends_on = None

UTC = depositdesk.adapters.db.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "sandbox_payouts",
        sa.Column("payout_key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("gateway_reference", sa.String(length=40), nullable=False),
        sa.Column("accepted_at", UTC(), nullable=False),
        sa.Column("settles_at", UTC(), nullable=False),
        sa.Column("settles_as", sa.String(length=12), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("payout_key", name=op.f("pk_sandbox_payouts")),
    )
    op.create_index(
        op.f("ix_sandbox_payouts_shop_id"), "sandbox_payouts", ["shop_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sandbox_payouts_shop_id"), table_name="sandbox_payouts")
    op.drop_table("sandbox_payouts")
