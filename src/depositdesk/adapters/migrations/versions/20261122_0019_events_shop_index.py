"""events by shop and time (UNL-4)

Revision ID: 20261122_0019
Revises: 20261122_0018
Create Date: 2026-11-23 05:00:00.000000

A shop's archive reads its sales history (every event of the shop, in time order);
without this index that read scanned and sorted every event of every shop.
"""

from __future__ import annotations

from alembic import op

revision = "20261122_0019"
down_revision = "20261122_0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_events_shop_time", "events", ["shop_id", "occurred_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_events_shop_time", table_name="events")
