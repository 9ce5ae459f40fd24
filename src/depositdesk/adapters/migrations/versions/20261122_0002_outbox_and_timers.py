"""outbox and timers: messages sent after their cause commits; deadlines as rows

Revision ID: 20261122_0002
Revises: 20261122_0001
Create Date: 2026-11-22 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import depositdesk.adapters.db.types

revision = "20261122_0002"
down_revision = "20261122_0001"
branch_labels = None
depends_on = None

PENDING = "sent_at IS NULL AND failed_at IS NULL"
NOT_DONE = "done_at IS NULL"


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=12), nullable=False),
        sa.Column("topic", sa.String(length=80), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", depositdesk.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("available_at", depositdesk.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", depositdesk.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("failed_at", depositdesk.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_dedupe_key"), ["dedupe_key"], unique=True)
        batch_op.create_index(
            "ix_outbox_pending",
            ["available_at"],
            unique=False,
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )

    op.create_table(
        "timers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("due_at", depositdesk.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", depositdesk.adapters.db.types.UTCDateTime(), nullable=False),
        sa.Column("done_at", depositdesk.adapters.db.types.UTCDateTime(), nullable=True),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_timers")),
    )
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.create_index(
            "ix_timers_due",
            ["due_at"],
            unique=False,
            sqlite_where=sa.text(NOT_DONE),
            postgresql_where=sa.text(NOT_DONE),
        )
        batch_op.create_index(
            "ix_timers_subject",
            ["kind", "subject"],
            unique=False,
            sqlite_where=sa.text(NOT_DONE),
            postgresql_where=sa.text(NOT_DONE),
        )


def downgrade() -> None:
    with op.batch_alter_table("timers", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_timers_subject",
            sqlite_where=sa.text(NOT_DONE),
            postgresql_where=sa.text(NOT_DONE),
        )
        batch_op.drop_index(
            "ix_timers_due",
            sqlite_where=sa.text(NOT_DONE),
            postgresql_where=sa.text(NOT_DONE),
        )

    op.drop_table("timers")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_outbox_pending",
            sqlite_where=sa.text(PENDING),
            postgresql_where=sa.text(PENDING),
        )
        batch_op.drop_index(batch_op.f("ix_outbox_dedupe_key"))

    op.drop_table("outbox")
