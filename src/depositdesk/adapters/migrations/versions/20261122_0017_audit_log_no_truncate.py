"""audit_log refuses TRUNCATE too (AUD-1) on PostgreSQL

Revision ID: 20261122_0017
Revises: 20261122_0016
Create Date: 2026-11-23 03:00:00.000000

0011's row triggers refuse UPDATE and DELETE, but `TRUNCATE audit_log` fires no row
trigger and would empty the chain in one statement. A statement-level trigger refuses
it. SQLite has no TRUNCATE: its `DELETE FROM audit_log` is refused by 0011's trigger.
"""

from __future__ import annotations

from alembic import op

revision = "20261122_0017"
down_revision = "20261122_0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # 0011's function raises "audit_log is append-only (AUD-1): TRUNCATE refused".
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
