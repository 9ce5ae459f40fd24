"""Unlink requests, their checklist and closure preconditions (UNL-1..7)."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from depositdesk.domain.eligibility import Area
from depositdesk.domain.unlinks import CheckCode, CheckStatus, UnlinkStatus
from depositdesk.entrypoints.api.schemas.common import Out, Time
from depositdesk.entrypoints.api.schemas.requests import Body, Text
from depositdesk.services.unlinks import ClosureNotice, UnlinkView


class UnlinkIn(Body):
    unlink_date: date = Field(
        description="the day the shop leaves Seller Center (the market's calendar); new "
        "orders stop the policy's unlink_cutoff_days before it starts",
        examples=["2026-12-31"],
    )
    support_contact: Text = Field(
        description="where customers go for returns and refunds after unlinking"
    )


class UnlinkReviewIn(Body):
    """UNL-1: clear a held request, or refuse it with a message the seller reads."""

    decision: str = Field(max_length=10, description="`clear` or `refuse`")
    message: Text | None = None


class AgreementIn(Body):
    """UNL-6a: the closure agreement's version the seller accepts."""

    version: str = Field(min_length=1, max_length=40, examples=["2026-01"])


class CheckOut(Out):
    code: CheckCode
    status: CheckStatus
    message: str  # in the seller's language
    records: list[str]  # the first 100
    count: int
    action: str | None  # what clears it
    clears_at: Time | None  # where time alone clears it


class AreaOut(Out):
    status: CheckStatus
    checks: list[CheckOut]


class UnlinkOut(Out):
    id: str
    shop_id: str
    status: UnlinkStatus
    unlink_date: date
    cutoff_at: Time
    support_contact: str
    held_reasons: list[str]  # UNL-1: the signals that hold it for review
    review_message: str | None
    agreement_version: str | None
    requested_at: Time
    confirmed_at: Time | None
    unlinked_at: Time | None
    all_ok: bool
    checklist: dict[Area, AreaOut]
    as_of: Time

    @classmethod
    def of(cls, v: UnlinkView) -> UnlinkOut:
        u = v.unlink
        return cls(
            id=u.id,
            shop_id=u.shop_id,
            status=u.status,
            unlink_date=u.unlink_date,
            cutoff_at=u.cutoff_at,
            support_contact=u.support_contact,
            held_reasons=list(u.held_reasons),
            review_message=u.review_message,
            agreement_version=u.agreement_version,
            requested_at=u.requested_at,
            confirmed_at=u.confirmed_at,
            unlinked_at=u.unlinked_at,
            all_ok=v.checklist.all_ok,
            checklist={
                a.area: AreaOut(
                    status=a.status,
                    checks=[
                        CheckOut(
                            code=c.code,
                            status=c.status,
                            message=c.message,
                            records=list(c.records),
                            count=c.count,
                            action=c.action,
                            clears_at=c.clears_at,
                        )
                        for c in a.checks
                    ],
                )
                for a in v.checklist.areas
            },
            as_of=v.as_of,
        )


class ClosureNoticeOut(Out):
    shop_id: str
    started_at: Time
    ends_at: Time  # the notice period ends (closure_notice_period clears)

    @classmethod
    def of(cls, n: ClosureNotice) -> ClosureNoticeOut:
        return cls(shop_id=n.shop_id, started_at=n.started_at, ends_at=n.ends_at)
