"""A shop's violations, and returning a deduction after rectification (DEP-8, DEP-9).

A violation comes from the marketplace's events: `violation.recorded` deducts the
consumer's loss (services/ingestion.py), `violation.rectified` closes it. Staff may
then give back part or all of the deduction while the *policy* period runs; each
return is a balanced entry (DEP-3), a `violation_returns` row, a look at the funding
(a return may fund the shop again) and a `deposit.returned` webhook.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from depositdesk.domain.errors import NotFound
from depositdesk.domain.funding import Cause, CauseKind
from depositdesk.domain.ids import new_id
from depositdesk.domain.ledger import DepositPosition, violation_return_entry
from depositdesk.domain.money import Money
from depositdesk.domain.notices import NoticeKind
from depositdesk.domain.policy import PolicyBook
from depositdesk.domain.returns import (
    Violation,
    ViolationReturn,
    check_amount,
    check_returnable,
    returnable_until,
)
from depositdesk.domain.shop_state import RecordKind, RecordState
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.deposits import DepositView, deposit
from depositdesk.services.funding import review_funding
from depositdesk.services.money_moves import (
    check_balance_limit,
    check_idempotency_key,
    key_scope,
    market_amount,
    reads_key_ahead,
    replay,
    request_hash,
)
from depositdesk.services.notices import issue_notice
from depositdesk.services.paging import CreatedCursor, Page
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView, load_shop
from depositdesk.services.webhooks import money_data, publish

# Who may return a deduction (DEP-9: "staff may return").
RETURNERS = (Role.REVIEWER, Role.PLATFORM_ADMIN)


@dataclass(frozen=True, slots=True)
class ViolationReturned:
    """A recorded return, with the violation's totals and the deposit right after it."""

    id: str
    shop_id: str
    violation_id: str
    amount: Money
    returned_total: Money  # every return of the violation, this one included
    remaining: Money  # what may still be returned
    at: datetime
    entry_id: int
    deposit: DepositView


def _violation(
    record: RecordState, returned: Money | None, view: ShopView, book: PolicyBook
) -> Violation:
    """A projected violation record as a reviewer sees it. Its period is the one of
    the policy version in force when it was recorded (POL-1)."""
    assert record.opened_at is not None
    currency = record.currency or view.pack.currency
    loss = Money(currency, record.amount_minor or 0)
    days = book.in_force(view.shop.market, record.opened_at).rectification_days
    return Violation(
        id=record.record_id,
        type=str(record.attrs.get("type", "")),
        recorded_at=record.opened_at,
        consumer_loss=loss,
        rectified_at=record.closed_at,
        returned=returned or Money.zero(currency),
        returnable_until=returnable_until(record.opened_at, days),
    )


def list_violations(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    shop_id: str,
    *,
    cursor: CreatedCursor | None,
    limit: int,
) -> Page[Violation]:
    """The shop's violations, newest first: what each deducted, what came back, and
    until when a return is possible (DEP-8, DEP-9)."""
    book = PolicyBook(uow.policies.versions())
    view = load_shop(uow, who, now, shop_id, book=book)
    records = uow.projection.violations(shop_id, cursor, limit + 1)
    page = records[:limit]
    returned = uow.violation_returns.returned(shop_id, [r.record_id for r in page])
    items = [_violation(r, returned.get(r.record_id), view, book) for r in page]
    last = page[-1] if len(records) > limit else None
    next_cursor = None
    if last is not None:
        assert last.opened_at is not None
        next_cursor = CreatedCursor(last.opened_at, last.record_id)
    return Page.of(items, next_cursor)


@reads_key_ahead("returns")
def return_deduction(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    shop_id: str,
    violation_id: str,
    *,
    amount: str,
    currency: str | None,
    note: str | None,
    idempotency_key: str | None,
) -> ViolationReturned:
    """DEP-9: give back part or all of a violation's deduction once the seller has
    rectified, within the policy period; once per idempotency key (DEP-3).

    The money first cancels what the seller still owes (the receivable), then goes
    back to the held deposit (domain/ledger.py `violation_return_entry`)."""
    if not who.is_seller:
        require(who, *RETURNERS)
    key = check_idempotency_key(idempotency_key)
    book = PolicyBook(uow.policies.versions())
    view = load_shop(uow, who, now, shop_id, lock=True, book=book)  # other sellers: 404
    require(who, *RETURNERS)  # the shop's own seller: 403
    note = (note or "").strip()
    fingerprint = request_hash("return", shop_id, violation_id, amount, currency, note)
    scope = key_scope(who, "returns")
    stored = replay(uow, scope, key, fingerprint, ViolationReturned)
    if stored is not None:
        return stored
    record = uow.projection.load_records([(shop_id, RecordKind.VIOLATION, violation_id)]).get(
        (shop_id, RecordKind.VIOLATION, violation_id)
    )
    if record is None or record.opened_at is None:
        raise NotFound(f"violation {violation_id} of shop {shop_id} not found")
    already = uow.violation_returns.returned(shop_id, [violation_id]).get(violation_id)
    violation = _violation(record, already, view, book)
    check_returnable(violation, now)
    money = market_amount(view.pack, amount, currency, what="a return")
    check_amount(violation, money)

    balances = uow.ledger.balances(shop_id)
    before = DepositPosition.from_balances(view.required, balances)
    entry = violation_return_entry(money, before.receivable, violation_id)
    check_balance_limit(balances, entry, "return")
    return_id = new_id("ret")
    entry_id = uow.ledger.post(shop_id, entry, now, f"return:{violation_id}:{return_id}")
    uow.violation_returns.add(
        ViolationReturn(return_id, shop_id, violation_id, money, entry_id, now, who.actor, note)
    )
    total = violation.returned + money
    held = DepositPosition.from_balances(view.required, uow.ledger.balances(shop_id)).held
    data: dict[str, str | int] = {
        "violation_id": violation_id,
        "amount_minor": money.minor,
        "returned_total_minor": total.minor,
        "held_minor": held.minor,
        "currency": money.currency,
    }
    issue_notice(
        uow,
        view,
        NoticeKind.RETURNED,
        now,
        data,
        None,
        amount=money,
        violation_id=violation_id,
        total=total,
        held=held,
    )
    review_funding(
        uow, view, now, Cause(CauseKind.VIOLATION_RETURNED, after=money, ref=violation_id)
    )
    after = deposit(uow, None, now, shop_id)
    publish(
        uow,
        "deposit.returned",
        return_id,
        {
            "shop_id": shop_id,
            "violation_id": violation_id,
            "return_id": return_id,
            "amount": money_data(money),
            "returned_total": money_data(total),
            "held": money_data(after.position.held),
        },
        now,
    )
    result = ViolationReturned(
        id=return_id,
        shop_id=shop_id,
        violation_id=violation_id,
        amount=money,
        returned_total=total,
        remaining=(violation.consumer_loss - total).max0(),
        at=now,
        entry_id=entry_id,
        deposit=after,
    )
    uow.idempotency.put(scope, key, fingerprint, result, now)
    return result
