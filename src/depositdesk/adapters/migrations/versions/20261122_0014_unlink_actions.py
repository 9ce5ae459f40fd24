"""unlink actions (UNL-2, UNL-3, UNL-6, UNL-9): what each action did, the customer
emails and auto-replies (one per customer / ticket), escalations; unlinks gain
cancelled_at/by, escalated_at and refund_id

Revision ID: 20261122_0014
Revises: 20261122_0013
Create Date: 2026-11-23 02:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import depositdesk.adapters.db.types

revision = "20261122_0014"
down_revision = "20261122_0013"
branch_labels = None
depends_on = None

UTC = depositdesk.adapters.db.types.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("unlinks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", UTC(), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", UTC(), nullable=True))
        batch_op.add_column(sa.Column("refund_id", sa.String(length=32), nullable=True))
        batch_op.create_index("ix_unlinks_escalated", ["escalated_at"], unique=False)
    op.create_table(
        "unlink_actions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("unlink_id", sa.String(length=32), nullable=False),
        sa.Column("shop_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("done_at", UTC(), nullable=False),
        sa.Column("done_by", sa.String(length=200), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unlink_id"], ["unlinks.id"], name=op.f("fk_unlink_actions_unlink_id_unlinks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unlink_actions")),
        sa.UniqueConstraint("unlink_id", "action", "seq", name=op.f("uq_unlink_actions_unlink_id")),
    )
    with op.batch_alter_table("unlink_actions", schema=None) as batch_op:
        batch_op.create_index("ix_unlink_actions_shop", ["shop_id", "action"], unique=False)
    op.create_table(
        "customer_notices",
        sa.Column("unlink_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("customer_key", sa.String(length=128), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("sent_at", UTC(), nullable=False),
        sa.Column("outbox_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["unlink_id"], ["unlinks.id"], name=op.f("fk_customer_notices_unlink_id_unlinks")
        ),
        sa.PrimaryKeyConstraint(
            "unlink_id", "kind", "customer_key", name=op.f("pk_customer_notices")
        ),
    )
    op.create_table(
        "unlink_escalations",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("unlink_id", sa.String(length=32), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("bundle", sa.Text(), nullable=False),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["unlink_id"], ["unlinks.id"], name=op.f("fk_unlink_escalations_unlink_id_unlinks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unlink_escalations")),
    )
    with op.batch_alter_table("unlink_escalations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unlink_escalations_unlink_id"), ["unlink_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("unlink_escalations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_unlink_escalations_unlink_id"))
    op.drop_table("unlink_escalations")
    op.drop_table("customer_notices")
    with op.batch_alter_table("unlink_actions", schema=None) as batch_op:
        batch_op.drop_index("ix_unlink_actions_shop")
    op.drop_table("unlink_actions")
    with op.batch_alter_table("unlinks", schema=None) as batch_op:
        batch_op.drop_index("ix_unlinks_escalated")
        batch_op.drop_column("refund_id")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("cancelled_by")
        batch_op.drop_column("cancelled_at")
