"""the account a shop's deposit came from (pay-in `payer`), the account each payout
pays (resolved when it is approved), and security signals (a changed payout account)

Revision ID: 20261122_0008
Revises: 20261122_0007
Create Date: 2026-11-22 23:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import depositdesk.adapters.db.types

revision = "20261122_0008"
down_revision = "20261122_0007"
branch_labels = None
depends_on = None

UTC = depositdesk.adapters.db.types.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payin_route", sa.Text(), nullable=True))
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("route", sa.Text(), nullable=True))
    op.create_table(
        "security_signals",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("seller_id", sa.String(length=64), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id"], ["sellers.id"], name=op.f("fk_security_signals_seller_id_sellers")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_security_signals_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_signals")),
        sa.UniqueConstraint("kind", "source", name=op.f("uq_security_signals_kind")),
    )
    with op.batch_alter_table("security_signals", schema=None) as batch_op:
        batch_op.create_index("ix_security_signals_seller", ["seller_id", "at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("security_signals", schema=None) as batch_op:
        batch_op.drop_index("ix_security_signals_seller")
    op.drop_table("security_signals")
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_column("route")
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.drop_column("payin_route")
