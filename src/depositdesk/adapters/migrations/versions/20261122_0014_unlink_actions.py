"""unlink actions (UNL-2, UNL-3, UNL-6): cancelled orders, proceeds withdrawals, customer notices, escalations

Revision ID: 20261122_0014
Revises: 20261122_0013
Create Date: 2026-11-23 02:00:00.000000

Reserved so that work landing in parallel keeps one head; filled in by the change
that needs it.
"""

from __future__ import annotations

revision = "20261122_0014"
down_revision = "20261122_0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
