"""timers: the due index also orders by id, so a claim among many timers due at the
same instant (a policy version's notices, all issued at once) reads one row, not all

Revision ID: 20261122_0007
Revises: 20261122_0006
Create Date: 2026-11-22 23:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261122_0007"
down_revision = "20261122_0006"
branch_labels = None
depends_on = None

NOT_DONE = "done_at IS NULL"


def _index(columns: list[str]) -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_timers_due", sqlite_where=sa.text(NOT_DONE), postgresql_where=sa.text(NOT_DONE)
        )
        batch_op.create_index(
            "ix_timers_due",
            columns,
            unique=False,
            sqlite_where=sa.text(NOT_DONE),
            postgresql_where=sa.text(NOT_DONE),
        )


def upgrade() -> None:
    _index(["due_at", "id"])


def downgrade() -> None:
    _index(["due_at"])
