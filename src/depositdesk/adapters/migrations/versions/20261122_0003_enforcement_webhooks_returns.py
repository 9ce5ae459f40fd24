"""enforcement case on shops, webhook endpoints (and outbox.endpoint_id), violation returns

Revision ID: 20261122_0003
Revises: 20261122_0002
Create Date: 2026-11-22 20:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import depositdesk.adapters.db.types

revision = "20261122_0003"
down_revision = "20261122_0002"
branch_labels = None
depends_on = None

UTC = depositdesk.adapters.db.types.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("shops", schema=None) as batch_op:
        batch_op.add_column(sa.Column("case_opened_at", UTC(), nullable=True))
        batch_op.add_column(sa.Column("case_due_at", UTC(), nullable=True))
        batch_op.add_column(sa.Column("case_noticed_owed_minor", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("enforcement_step", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("enforcement_step_at", UTC(), nullable=True))
        batch_op.add_column(sa.Column("closure_violation_id", sa.String(length=128), nullable=True))
        batch_op.add_column(
            sa.Column("closure_violation_type", sa.String(length=128), nullable=True)
        )
        batch_op.add_column(sa.Column("closure_flagged_at", UTC(), nullable=True))

    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("endpoint_id", sa.String(length=32), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_endpoint_id"), ["endpoint_id"], unique=False)

    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=80), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("disabled_at", UTC(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_table(
        "violation_returns",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("violation_id", sa.String(length=128), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("at", UTC(), nullable=False),
        sa.Column("by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_violation_returns_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_violation_returns")),
    )
    op.create_index(
        "ix_violation_returns_violation", "violation_returns", ["shop_id", "violation_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_violation_returns_violation", table_name="violation_returns")
    op.drop_table("violation_returns")
    op.drop_table("webhook_endpoints")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_endpoint_id"))
        batch_op.drop_column("endpoint_id")
    with op.batch_alter_table("shops", schema=None) as batch_op:
        for column in (
            "closure_flagged_at",
            "closure_violation_type",
            "closure_violation_id",
            "enforcement_step_at",
            "enforcement_step",
            "case_noticed_owed_minor",
            "case_due_at",
            "case_opened_at",
        ):
            batch_op.drop_column(column)
