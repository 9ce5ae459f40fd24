"""A shop's full record as one document (AUD-2): its deposit history (every ledger
entry, with the held deposit running after each), the notices it was sent, its refund
applications with their decisions and timelines, their payouts, its unlink requests
with their six-area checklists as of now, and the audit records about it. The
document itself (HTML, PDF) is made by the entrypoint from this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from depositdesk.domain.audit import AuditRecord
from depositdesk.domain.ledger import CREDIT_NORMAL, Account, RecordedEntry
from depositdesk.domain.money import Money
from depositdesk.domain.notices import Notice
from depositdesk.domain.payouts import Payout
from depositdesk.domain.refunds import Refund, RefundStep
from depositdesk.services.access import Principal, Role, require_shop_role
from depositdesk.services.funding import position
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView, load_shop
from depositdesk.services.unlinks import UnlinkView, view_of

# AUD-2: the seller's owner and admins export their own shop's record; platform staff
# who audit (auditor) or run the platform (platform_admin) any shop's.
SELLER_READERS = (Role.OWNER, Role.ADMIN)
PLATFORM_READERS = (Role.AUDITOR, Role.PLATFORM_ADMIN)
PAGE = 500


@dataclass(frozen=True, slots=True)
class LedgerLine:
    """An entry with what the deposit held right after it (DEP-3)."""

    entry: RecordedEntry
    held_change: Money
    held_after: Money


@dataclass(frozen=True, slots=True)
class RefundRecord:
    refund: Refund
    steps: tuple[RefundStep, ...]
    payout: Payout | None


@dataclass(frozen=True, slots=True)
class ShopRecord:
    view: ShopView
    made_at: datetime
    made_by: str
    held: Money
    required: Money
    receivable: Money
    ledger: tuple[LedgerLine, ...]  # oldest first
    notices: tuple[Notice, ...]  # oldest first
    refunds: tuple[RefundRecord, ...]  # oldest first
    audit: tuple[AuditRecord, ...]  # oldest first
    unlinks: tuple[UnlinkView, ...] = ()  # oldest first, each checklist as of `made_at`


def _held_change(entry: RecordedEntry, currency: str) -> Money:
    total = sum(
        p.amount.minor
        for p in entry.postings
        if p.account is Account.DEPOSIT_HELD and p.amount.currency == currency
    )
    # deposit_held is credit-normal: a credit (negative posting) raises what is held
    return Money(currency, -total if Account.DEPOSIT_HELD in CREDIT_NORMAL else total)


def _entries(uow: UnitOfWork, shop_id: str) -> list[RecordedEntry]:
    found: list[RecordedEntry] = []
    before: int | None = None
    while True:
        page = uow.ledger.entries(shop_id, PAGE, before)
        found += page
        if len(page) < PAGE:
            return found[::-1]
        before = page[-1].id


def shop_record(uow: UnitOfWork, who: Principal, now: datetime, shop_id: str) -> ShopRecord:
    """AUD-2: everything about the shop's deposit, in one answer."""
    view = load_shop(uow, who, now, shop_id)
    require_shop_role(who, view.shop.seller_id, shop_id, SELLER_READERS, PLATFORM_READERS)
    pos = position(uow, view)
    currency = view.pack.currency
    running = Money.zero(currency)
    lines: list[LedgerLine] = []
    for entry in _entries(uow, shop_id):
        change = _held_change(entry, currency)
        running = running + change
        lines.append(LedgerLine(entry, change, running))
    notices = sorted(uow.notices.for_shops([shop_id], 100_000), key=lambda n: n.created_at)
    refunds: list[RefundRecord] = []
    for refund in sorted(uow.refunds.for_shop(shop_id, None, 100_000), key=_submitted):
        steps = tuple(uow.refunds.steps(refund.id))
        refunds.append(RefundRecord(refund, steps, uow.payouts.for_refund(refund.id)))
    return ShopRecord(
        view=view,
        made_at=now,
        made_by=who.actor,
        held=pos.held,
        required=pos.required,
        receivable=pos.receivable,
        ledger=tuple(lines),
        notices=tuple(notices),
        refunds=tuple(refunds),
        audit=tuple(uow.audit.of_shop(shop_id)),
        unlinks=tuple(view_of(uow, view, u, now) for u in uow.unlinks.for_shop(shop_id)),
    )


def _submitted(refund: Refund) -> datetime:
    return refund.submitted_at
