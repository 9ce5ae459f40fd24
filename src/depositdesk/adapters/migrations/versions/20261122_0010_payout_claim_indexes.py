"""payouts: the worker's claim reads one row: the oldest pending payout by
(status, created_at, id), an expired `sending` lease by (status, sent_at); the
single-column status index had it sort every pending payout

Revision ID: 20261122_0010
Revises: 20261122_0009
Create Date: 2026-11-22 23:50:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "20261122_0010"
down_revision = "20261122_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index("ix_payouts_status")
        batch_op.create_index("ix_payouts_due", ["status", "created_at", "id"], unique=False)
        batch_op.create_index("ix_payouts_lease", ["status", "sent_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("payouts", schema=None) as batch_op:
        batch_op.drop_index("ix_payouts_lease")
        batch_op.drop_index("ix_payouts_due")
        batch_op.create_index("ix_payouts_status", ["status"], unique=False)
