"""account_balances: each shop account's running balance (DEP-3), kept in the
transaction of every journal entry, so a balance read no longer sums the shop's
history; backfilled from the postings

Revision ID: 20261122_0009
Revises: 20261122_0008
Create Date: 2026-11-22 23:45:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261122_0009"
down_revision = "20261122_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_balances",
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("account", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("balance_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_account_balances_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("shop_id", "account", "currency", name=op.f("pk_account_balances")),
    )
    op.execute(
        "INSERT INTO account_balances (shop_id, account, currency, balance_minor) "
        "SELECT shop_id, account, currency, SUM(amount_minor) FROM postings "
        "GROUP BY shop_id, account, currency"
    )


def downgrade() -> None:
    op.drop_table("account_balances")
