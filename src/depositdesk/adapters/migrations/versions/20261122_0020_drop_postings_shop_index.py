"""postings: drop the (shop, account, currency) index (DEP-3)

Revision ID: 20261122_0020
Revises: 20261122_0019
Create Date: 2026-11-23 07:00:00.000000

The index served balances summed from postings. Balances are running sums in
`account_balances` since 20261122_0009; no query reads postings by shop and account
any more (a ledger page and an archive reach them through their entry). Each posting
written paid for it: about a third of the cost of inserting a posting on SQLite.
"""

from __future__ import annotations

from alembic import op

revision = "20261122_0020"
down_revision = "20261122_0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_postings_shop_account", table_name="postings")


def downgrade() -> None:
    op.create_index(
        "ix_postings_shop_account", "postings", ["shop_id", "account", "currency"], unique=False
    )
