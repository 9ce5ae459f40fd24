"""Shapes of the audit log (AUD-1)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from depositdesk.domain.audit import AuditRecord
from depositdesk.entrypoints.api.schemas.common import Out, Time
from depositdesk.services.audit_trail import ChainReport


class AuditRecordOut(Out):
    """One record of the chain: who (actor, role, party), when, what (action, target),
    the shop before and after, the request, and the hashes that link it."""

    seq: int
    at: Time
    actor: str = Field(examples=["integration:3f2a9c1b7d4e"])
    role: str
    party: str = Field(examples=["platform", "seller:s1"])
    action: str = Field(examples=["deposits.pay_in"])
    target: str | None = Field(examples=["shop:acme-uk-01"])
    shop_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str | None
    prev_hash: str
    hash: str

    @classmethod
    def of(cls, r: AuditRecord) -> AuditRecordOut:
        return cls(
            seq=r.seq,
            at=r.at,
            actor=r.actor,
            role=r.role,
            party=r.party,
            action=r.action,
            target=r.target,
            shop_id=r.shop_id,
            before=r.before,
            after=r.after,
            request_id=r.request_id,
            prev_hash=r.prev_hash,
            hash=r.hash,
        )


class AuditPageOut(Out):
    items: list[AuditRecordOut]
    next_cursor: str | None


class ChainBreakOut(Out):
    seq: int
    reason: str = Field(
        examples=["altered"],
        description="altered, missing, out_of_order, anchor_mismatch or truncated",
    )


class AuditVerifyOut(Out):
    """`ok`: the chain holds from its first record to `head`, and matches every
    anchor written at a day's end."""

    ok: bool
    records: int
    first_bad: ChainBreakOut | None
    head: str

    @classmethod
    def of(cls, report: ChainReport) -> AuditVerifyOut:
        bad = report.first_bad
        return cls(
            ok=report.ok,
            records=report.records,
            first_bad=None if bad is None else ChainBreakOut(seq=bad.seq, reason=bad.reason.value),
            head=report.head,
        )
