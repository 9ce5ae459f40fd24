"""Refund applications and their timeline on SQLAlchemy Core (REF-3..8)."""

from __future__ import annotations

import json

from sqlalchemy import (
    Connection,
    RowMapping,
    and_,
    bindparam,
    insert,
    literal_column,
    or_,
    select,
    update,
)

from depositdesk.adapters.db.prepared import Prepared
from depositdesk.adapters.db.tables import refund_steps, refunds
from depositdesk.domain.eligibility import RefundKind
from depositdesk.domain.money import Money
from depositdesk.domain.policy import PolicyRef
from depositdesk.domain.refunds import (
    Destination,
    Refund,
    RefundStatus,
    RefundStep,
    RejectionCode,
)
from depositdesk.services.paging import CreatedCursor

OPEN = [s.value for s in RefundStatus if s.is_open]
_OPEN_IDS = Prepared(
    select(refunds.c.id)
    .where(
        refunds.c.shop_id == bindparam("shop_id"),
        refunds.c.kind == bindparam("kind"),
        refunds.c.status.in_([literal_column(f"'{s}'") for s in OPEN]),
    )
    .order_by(refunds.c.submitted_at)
)


def _refund(row: RowMapping) -> Refund:
    destination = json.loads(row["destination"])
    return Refund(
        id=row["id"],
        shop_id=row["shop_id"],
        kind=RefundKind(row["kind"]),
        category=row["category"],
        amount=Money(row["currency"], row["amount_minor"]),
        reason=row["reason"],
        destination=Destination(
            destination["route"], destination["currency"], destination.get("change_reason")
        ),
        attachment_ids=tuple(json.loads(row["attachment_ids"])),
        status=RefundStatus(row["status"]),
        submitted_at=row["submitted_at"],
        submitted_by=row["submitted_by"],
        review_due_at=row["review_due_at"],
        policy=PolicyRef(row["policy_pack"], row["policy_version"]),
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
        reason_code=RejectionCode(row["reason_code"]) if row["reason_code"] else None,
        message=row["message"],
        payout_due_at=row["payout_due_at"],
    )


class RefundRepository:
    def __init__(self, conn: Connection, postgres: bool) -> None:
        self.conn = conn
        self.postgres = postgres

    def add(self, refund: Refund) -> None:
        d = refund.destination
        self.conn.execute(
            insert(refunds).values(
                id=refund.id,
                shop_id=refund.shop_id,
                kind=refund.kind.value,
                category=refund.category,
                amount_minor=refund.amount.minor,
                currency=refund.amount.currency,
                reason=refund.reason,
                destination=json.dumps(
                    {"route": d.route, "currency": d.currency, "change_reason": d.change_reason}
                ),
                attachment_ids=json.dumps(list(refund.attachment_ids)),
                submitted_at=refund.submitted_at,
                submitted_by=refund.submitted_by,
                review_due_at=refund.review_due_at,
                policy_pack=refund.policy.pack,
                policy_version=refund.policy.version,
                **self._decision(refund),
            )
        )

    @staticmethod
    def _decision(refund: Refund) -> dict[str, object]:
        return {
            "status": refund.status.value,
            "decided_at": refund.decided_at,
            "decided_by": refund.decided_by,
            "reason_code": refund.reason_code.value if refund.reason_code else None,
            "message": refund.message,
            "payout_due_at": refund.payout_due_at,
        }

    def save(self, refund: Refund) -> None:
        """Store a changed status and decision (nothing else of an application changes)."""
        self.conn.execute(
            update(refunds).where(refunds.c.id == refund.id).values(**self._decision(refund))
        )

    def get(self, refund_id: str, lock: bool = False) -> Refund | None:
        q = select(refunds).where(refunds.c.id == refund_id)
        if lock and self.postgres:
            q = q.with_for_update()
        row = self.conn.execute(q).mappings().first()
        return None if row is None else _refund(row)

    def open_ids(self, shop_id: str, kind: RefundKind) -> list[str]:
        return _OPEN_IDS.scalars(self.conn, shop_id=shop_id, kind=kind.value)

    def for_shop(self, shop_id: str, after: CreatedCursor | None, limit: int) -> list[Refund]:
        """Newest first, keyset-paginated on (submitted_at, id)."""
        q = (
            select(refunds)
            .where(refunds.c.shop_id == shop_id)
            .order_by(refunds.c.submitted_at.desc(), refunds.c.id.desc())
            .limit(limit)
        )
        if after is not None:
            q = q.where(
                or_(
                    refunds.c.submitted_at < after.created_at,
                    and_(refunds.c.submitted_at == after.created_at, refunds.c.id < after.id),
                )
            )
        return [_refund(r) for r in self.conn.execute(q).mappings()]

    def pending_review(self, after: CreatedCursor | None, limit: int) -> list[Refund]:
        """REF-5: submitted applications, the one due first at the top; `after` (its
        `created_at` the review due time) continues after that one."""
        c = refunds.c
        q = select(refunds).where(c.status == RefundStatus.SUBMITTED.value)
        if after is not None:
            q = q.where(
                or_(
                    c.review_due_at > after.created_at,
                    and_(c.review_due_at == after.created_at, c.id > after.id),
                )
            )
        q = q.order_by(c.review_due_at, c.id).limit(limit)
        return [_refund(r) for r in self.conn.execute(q).mappings()]

    def add_step(self, refund_id: str, step: RefundStep) -> None:
        self.conn.execute(
            insert(refund_steps).values(
                refund_id=refund_id,
                at=step.at,
                status=step.status.value,
                note=step.note,
                by=step.by,
            )
        )

    def steps(self, refund_id: str) -> list[RefundStep]:
        q = (
            select(refund_steps)
            .where(refund_steps.c.refund_id == refund_id)
            .order_by(refund_steps.c.id)
        )
        return [
            RefundStep(r["at"], RefundStatus(r["status"]), r["note"], r["by"])
            for r in self.conn.execute(q).mappings()
        ]
