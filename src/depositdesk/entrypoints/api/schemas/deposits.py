"""The deposit, pay-ins, the ledger and notices."""

from __future__ import annotations

from typing import TypedDict

import orjson

from depositdesk.domain.clock import rfc3339
from depositdesk.domain.funding import FundingStatus
from depositdesk.domain.ledger import CREDIT_NORMAL, Account, EntryKind, RecordedEntry
from depositdesk.domain.money import Money
from depositdesk.domain.notices import Notice, NoticeKind
from depositdesk.domain.shop import ShopStatus
from depositdesk.entrypoints.api.schemas.common import MoneyOut, Out, PolicyRefOut, Time
from depositdesk.services.deposits import DepositView, Enforcement, LedgerPage, PayIn
from depositdesk.services.paging import Page

SIGN_CONVENTION = (
    "debit positive, credit negative; "
    + ", ".join(a.value for a in Account if a in CREDIT_NORMAL)
    + " hold what the platform owes the seller (normally negative)"
)


class NoticeOut(Out):
    id: str
    shop_id: str
    kind: NoticeKind
    subject: str
    body: str
    data: dict[str, str | int]
    created_at: Time
    due_at: Time | None
    policy: PolicyRefOut | None

    @classmethod
    def of(cls, notice: Notice) -> NoticeOut:
        return cls(
            id=notice.id,
            shop_id=notice.shop_id,
            kind=notice.kind,
            subject=notice.subject,
            body=notice.body,
            data=notice.data,
            created_at=notice.created_at,
            due_at=notice.due_at,
            policy=PolicyRefOut.of(notice.policy) if notice.policy else None,
        )


class NoticePageOut(Out):
    items: list[NoticeOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[Notice], next_cursor: str | None) -> NoticePageOut:
        return cls(items=[NoticeOut.of(n) for n in page.items], next_cursor=next_cursor)


class EnforcementOut(Out):
    """DEP-5/6: the open under-funding case."""

    opened_at: Time
    due_at: Time
    step: str | None
    step_at: Time | None
    restrictions: list[str]
    next_step: str | None
    next_step_at: Time | None

    @classmethod
    def of(cls, e: Enforcement) -> EnforcementOut:
        return cls(
            opened_at=e.opened_at,
            due_at=e.due_at,
            step=e.step,
            step_at=e.step_at,
            restrictions=list(e.restrictions),
            next_step=e.next_step,
            next_step_at=e.next_step_at,
        )


class DepositOut(Out):
    shop_id: str
    required: MoneyOut
    held: MoneyOut
    shortfall: MoneyOut
    receivable: MoneyOut
    owed: MoneyOut
    proceeds: MoneyOut
    status: FundingStatus
    shop_status: ShopStatus
    enforcement_step: str | None
    enforcement: EnforcementOut | None
    notices: list[NoticeOut]
    policy: PolicyRefOut

    @classmethod
    def of(cls, view: DepositView) -> DepositOut:
        pos = view.position
        return cls(
            shop_id=view.shop_id,
            required=MoneyOut.of(pos.required),
            held=MoneyOut.of(pos.held),
            shortfall=MoneyOut.of(pos.shortfall),
            receivable=MoneyOut.of(pos.receivable),
            owed=MoneyOut.of(view.owed),
            proceeds=MoneyOut.of(pos.proceeds),
            status=view.status,
            shop_status=view.shop_status,
            enforcement_step=view.enforcement_step,
            enforcement=EnforcementOut.of(view.enforcement) if view.enforcement else None,
            notices=[NoticeOut.of(n) for n in view.notices],
            policy=PolicyRefOut.of(view.policy),
        )


class PayInOut(Out):
    entry_id: int
    shop_id: str
    amount: MoneyOut
    reference: str
    at: Time
    deposit: DepositOut

    @classmethod
    def of(cls, payin: PayIn) -> PayInOut:
        return cls(
            entry_id=payin.entry_id,
            shop_id=payin.shop_id,
            amount=MoneyOut.of(payin.amount),
            reference=payin.reference,
            at=payin.at,
            deposit=DepositOut.of(payin.deposit),
        )


class PostingOut(Out):
    account: Account
    amount: MoneyOut


class EntryOut(Out):
    id: int
    at: Time
    kind: EntryKind
    memo: str
    source: str
    postings: list[PostingOut]


class _MoneyJson(TypedDict):
    amount: str
    currency: str


class _PostingJson(TypedDict):
    account: str
    amount: _MoneyJson


class _EntryJson(TypedDict):
    """EntryOut as JSON values (LedgerOut.json_of)."""

    id: int
    at: str | None
    kind: str
    memo: str
    source: str
    postings: list[_PostingJson]


def _money(money: Money) -> _MoneyJson:
    return {"amount": money.format(), "currency": money.currency}


def _entry(entry: RecordedEntry) -> _EntryJson:
    return {
        "id": entry.id,
        "at": rfc3339(entry.at),
        "kind": entry.kind.value,
        "memo": entry.memo,
        "source": entry.source,
        "postings": [
            {"account": p.account.value, "amount": _money(p.amount)} for p in entry.postings
        ],
    }


class LedgerOut(Out):
    shop_id: str
    currency: str
    sign_convention: str
    entries: list[EntryOut]
    balances: dict[Account, MoneyOut]
    next_cursor: str | None

    @staticmethod
    def json_of(page: LedgerPage, next_cursor: str | None) -> bytes:
        """The page's JSON, written by orjson from plain values: a page of 50 entries
        is some 250 objects, which pydantic took about 0.6 ms to build and encode.
        Its shape is LedgerOut's (tests/unit/test_ledger_json.py holds them equal)."""
        return orjson.dumps(
            {
                "shop_id": page.shop_id,
                "currency": page.currency,
                "sign_convention": SIGN_CONVENTION,
                "entries": [_entry(e) for e in page.entries],
                "balances": {a.value: _money(m) for a, m in page.balances.items()},
                "next_cursor": next_cursor,
            }
        )
