"""journal_entries.source holds `payin:` plus a 200-character Idempotency-Key

Revision ID: 20261122_0004
Revises: 20261122_0003
Create Date: 2026-11-22 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "20261122_0004"
down_revision = "20261122_0003"
branch_labels = None
depends_on = None


# SQLite does not enforce VARCHAR lengths, and rebuilding journal_entries there (batch
# mode) would drop its append-only triggers: the change is for PostgreSQL only.


def _alter(length_from: int, length_to: int) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column(
        "journal_entries",
        "source",
        existing_type=sa.String(length=length_from),
        type_=sa.String(length=length_to),
        existing_nullable=False,
    )


def upgrade() -> None:
    _alter(200, 300)


def downgrade() -> None:
    _alter(300, 200)
