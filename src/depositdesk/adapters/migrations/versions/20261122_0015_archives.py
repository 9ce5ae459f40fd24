"""shop data archives (UNL-4)

Revision ID: 20261122_0015
Revises: 20261122_0014
Create Date: 2026-11-23 02:00:00.000000

Reserved so that work landing in parallel keeps one head; filled in by the change
that needs it.
"""

from __future__ import annotations

revision = "20261122_0015"
down_revision = "20261122_0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
