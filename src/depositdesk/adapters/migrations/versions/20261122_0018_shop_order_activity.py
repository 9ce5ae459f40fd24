"""shop_order_activity: when a shop's last order was finished (UNL-6a)

Revision ID: 20261122_0018
Revises: 20261122_0017
Create Date: 2026-11-23 04:00:00.000000

The closure waiting period runs from the last order delivered. Ingestion
keeps the latest such time per shop in one row (so the unlink checklist reads it in
time independent of the shop's history); this migration fills it from the orders
already projected.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import depositdesk.adapters.db.types

revision = "20261122_0018"
down_revision = "20261122_0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shop_order_activity",
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("last_finished_at", depositdesk.adapters.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("shop_id", name=op.f("pk_shop_order_activity")),
    )
    op.execute(
        """
        INSERT INTO shop_order_activity (shop_id, last_finished_at)
        SELECT shop_id, MAX(delivered_at) FROM orders
        WHERE delivered_at IS NOT NULL
        GROUP BY shop_id
        """
    )


def downgrade() -> None:
    op.drop_table("shop_order_activity")
