"""The deposit: what is held and required, pay-ins, the ledger (DEP-2..5)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from depositdesk.domain.bank_route import PayoutRoute
from depositdesk.domain.enforcement import Case, next_step, restrictions, step_time
from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.funding import Cause, CauseKind, FundingStatus, funding_status, owed
from depositdesk.domain.ledger import Account, DepositPosition, RecordedEntry, payin_entry
from depositdesk.domain.money import Money
from depositdesk.domain.notices import Notice
from depositdesk.domain.policy import PolicyPack, PolicyRef
from depositdesk.domain.shop import ShopStatus
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.funding import position, review_funding
from depositdesk.services.money_moves import (
    check_balance_limit,
    check_idempotency_key,
    key_scope,
    market_amount,
    reads_key_ahead,
    replay,
    request_hash,
)
from depositdesk.services.paging import EntryCursor
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView, load_shop

RECENT_NOTICES = 20


@dataclass(frozen=True, slots=True)
class Enforcement:
    """DEP-5/6: the open under-funding case as the seller should see it."""

    opened_at: datetime
    due_at: datetime  # the top-up due date: the ladder counts from it
    step: str | None
    step_at: datetime | None
    restrictions: tuple[str, ...]  # every step in force
    next_step: str | None
    next_step_at: datetime | None


@dataclass(frozen=True, slots=True)
class DepositView:
    shop_id: str
    position: DepositPosition
    status: FundingStatus
    shop_status: ShopStatus
    enforcement: Enforcement | None  # None: no open case
    notices: tuple[Notice, ...]  # the latest ones
    policy: PolicyRef

    @property
    def enforcement_step(self) -> str | None:
        return self.enforcement.step if self.enforcement is not None else None

    @property
    def owed(self) -> Money:
        """What paying now takes to be funded again: shortfall plus receivable."""
        return owed(self.position)


@dataclass(frozen=True, slots=True)
class PayIn:
    """A recorded pay-in, with the deposit as it stood right after it."""

    entry_id: int
    shop_id: str
    amount: Money
    reference: str
    at: datetime
    deposit: DepositView


@dataclass(frozen=True, slots=True)
class LedgerPage:
    shop_id: str
    currency: str
    entries: tuple[RecordedEntry, ...]  # newest first
    balances: dict[Account, Money]
    next_cursor: EntryCursor | None


def deposit(uow: UnitOfWork, who: Principal | None, now: datetime, shop_id: str) -> DepositView:
    """Held, required, shortfall and the latest notices (`who` None: no visibility check)."""
    return _deposit_view(uow, load_shop(uow, who, now, shop_id))


def _deposit_view(uow: UnitOfWork, view: ShopView) -> DepositView:
    shop_id = view.shop.id
    pos = position(uow, view)
    return DepositView(
        shop_id=shop_id,
        position=pos,
        status=funding_status(pos),
        shop_status=view.shop.status,
        enforcement=_enforcement(view.shop.case, view.pack),
        notices=tuple(uow.notices.for_shops([shop_id], RECENT_NOTICES)),
        policy=view.policy,
    )


def _enforcement(case: Case | None, pack: PolicyPack) -> Enforcement | None:
    if case is None:
        return None
    upcoming = next_step(pack.ladder, case.step)
    return Enforcement(
        opened_at=case.opened_at,
        due_at=case.due_at,
        step=case.step,
        step_at=case.step_at,
        restrictions=restrictions(pack.ladder, case.step),
        next_step=upcoming.step if upcoming else None,
        next_step_at=step_time(case.due_at, upcoming) if upcoming else None,
    )


@reads_key_ahead("payins")
def pay_in(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    shop_id: str,
    *,
    amount: str,
    currency: str | None,
    reference: str,
    idempotency_key: str | None,
    payer: str | None = None,
) -> PayIn:
    """DEP-4: record a pay-in once per idempotency key (DEP-3).

    `currency` None takes the shop's. `payer` is the account the money came from
    (route text, `domain/bank_route`): it becomes the shop's original route, where a
    refund is paid unless the seller names another account (REF-4, REF-6).

    The shop row is locked first, so concurrent retries of one key queue behind
    each other and all but the first find the stored result and replay it.
    """
    require(who, Role.INTEGRATION, Role.PLATFORM_ADMIN)
    key = check_idempotency_key(idempotency_key)
    view = load_shop(uow, who, now, shop_id, lock=True)
    fingerprint = request_hash("payin", shop_id, amount, currency, reference, payer)
    scope = key_scope(who, "payins")
    stored = replay(uow, scope, key, fingerprint, PayIn)
    if stored is not None:
        return stored
    money = market_amount(view.pack, amount, currency, what="a pay-in")
    if not reference.strip() or len(reference) > 200:
        raise ValidationProblem(
            "reference",
            "required",
            "reference (the bank transfer reference) must be 1-200 characters",
        )
    route = PayoutRoute.parse(payer, "payer").format() if payer is not None else None
    balances = uow.ledger.balances(shop_id)
    before = DepositPosition.from_balances(view.required, balances)
    entry = payin_entry(money, before.receivable, reference.strip())
    check_balance_limit(balances, entry, "pay-in")
    entry_id = uow.ledger.post(shop_id, entry, now, f"payin:{key}")
    if route is not None and route != view.shop.payin_route:
        view = replace(view, shop=replace(view.shop, payin_route=route))
        uow.shops.save(view.shop)
    # The deposit as the pay-in leaves it, from the shop review_funding leaves (its
    # categories and policy unchanged): no second read of the shop.
    view = replace(view, shop=review_funding(uow, view, now, Cause(CauseKind.PAY_IN)))
    result = PayIn(entry_id, shop_id, money, reference.strip(), now, _deposit_view(uow, view))
    uow.idempotency.put(scope, key, fingerprint, result, now)
    return result


def ledger(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    shop_id: str,
    *,
    cursor: EntryCursor | None,
    limit: int,
) -> LedgerPage:
    """Journal entries, newest first, and every account's balance (DEP-3)."""
    view = load_shop(uow, who, now, shop_id)
    entries = uow.ledger.entries(shop_id, limit + 1, cursor.before_id if cursor else None)
    balances = {
        account: Money(currency, minor)
        for (account, currency), minor in sorted(uow.ledger.balances(shop_id).items())
    }
    return LedgerPage(
        shop_id=shop_id,
        currency=view.pack.currency,
        entries=tuple(entries[:limit]),
        balances=balances,
        next_cursor=EntryCursor(entries[limit - 1].id) if len(entries) > limit else None,
    )
