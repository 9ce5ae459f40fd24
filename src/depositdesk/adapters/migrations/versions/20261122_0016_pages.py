"""Seller Center and console pages: user language and web sessions

Revision ID: 20261122_0016
Revises: 20261122_0015
Create Date: 2026-11-23 02:00:00.000000

Reserved so that work landing in parallel keeps one head; filled in by the change
that needs it.
"""

from __future__ import annotations

revision = "20261122_0016"
down_revision = "20261122_0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
