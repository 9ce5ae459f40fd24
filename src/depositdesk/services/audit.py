"""The audit log (AUD-1): every state-changing call leaves one record, in its own
transaction, on a hash chain (domain/audit.py).

Most records come from one hook: `services/usecase.run`, through which every write
use case of the API, the CLI and the demo goes, calls `begin` before the use case
and `finish` after it (action = the use case's name, target = its id argument or
its result, before/after = a small snapshot of the shop, `shop_snapshot`). The
worker's timers (`services/timers.run_due`), payouts (`services/payouts`), notices
and ingestion's money-moving events record explicitly with `record`. A refusal whose
own transaction rolled back (a failed sign-in, a 403) records with `record_alone`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import structlog

from depositdesk.domain.audit import SYSTEM_ACTOR, AuditEntry, JsonDict
from depositdesk.domain.clock import rfc3339
from depositdesk.domain.errors import NotFound
from depositdesk.domain.ledger import CREDIT_NORMAL, Account, DepositPosition
from depositdesk.domain.money import Money
from depositdesk.domain.policy import PolicyBook, PolicyPack
from depositdesk.domain.shop import Seller, ShopStatus
from depositdesk.services.access import Principal
from depositdesk.services.ports.uow import UnitOfWork, UowFactory
from depositdesk.services.shop_view import ShopView

# A use case's id argument, by name, and the kind of target it names (first wins).
_TARGET_ARGS = (
    ("refund_id", "refund"),
    ("payout_id", "payout"),
    ("violation_id", "violation"),
    ("token_id", "token"),
    ("endpoint_id", "webhook_endpoint"),
    ("attachment_id", "attachment"),
    ("unlink_id", "unlink"),
    ("shop_id", "shop"),
    ("seller_id", "seller"),
    ("user_id", "user"),
)


_current: ContextVar[Call | None] = ContextVar("depositdesk_audit_call", default=None)
_acting: ContextVar[Principal | None] = ContextVar("depositdesk_audit_acting", default=None)


def actor_of(who: Principal | None) -> tuple[str, str, str]:
    """(actor, role, party); None is depositdesk itself (the worker's timers)."""
    if who is None:
        return SYSTEM_ACTOR, SYSTEM_ACTOR, "platform"
    return who.actor, who.role.value, who.party


def request_id() -> str | None:
    """The request being served, when there is one (bound by the API's middleware)."""
    value = structlog.contextvars.get_contextvars().get("request_id")
    return str(value) if value is not None else None


def entry(
    who: Principal | None,
    now: datetime,
    action: str,
    *,
    target: str | None = None,
    shop_id: str | None = None,
    before: JsonDict | None = None,
    after: JsonDict | None = None,
) -> AuditEntry:
    actor, role, party = actor_of(who)
    return AuditEntry(
        at=now,
        actor=actor,
        role=role,
        party=party,
        action=action,
        target=target,
        shop_id=shop_id,
        before=before,
        after=after,
        request_id=request_id(),
    )


def record(
    uow: UnitOfWork,
    who: Principal | None,
    now: datetime,
    action: str,
    *,
    target: str | None = None,
    shop_id: str | None = None,
    before: JsonDict | None = None,
    after: JsonDict | None = None,
) -> None:
    """Append a record in the caller's transaction: it is written when that commits,
    and never if it rolls back. `who` None means depositdesk itself."""
    uow.audit.append(
        entry(who, now, action, target=target, shop_id=shop_id, before=before, after=after)
    )


def record_alone(
    uow_factory: UowFactory,
    who: Principal | None,
    now: datetime,
    action: str,
    *,
    target: str | None = None,
    shop_id: str | None = None,
    before: JsonDict | None = None,
    after: JsonDict | None = None,
) -> None:
    """Append a record in a transaction of its own: for a refusal whose own
    transaction rolled back (a failed sign-in, a 403)."""
    with uow_factory() as uow:
        record(uow, who, now, action, target=target, shop_id=shop_id, before=before, after=after)
        uow.commit()


# -- what a shop looked like ---------------------------------------------------------


def _amount(balances: Mapping[tuple[Account, str], int], account: Account, cur: str) -> int:
    raw = balances.get((account, cur), 0)
    return -raw if account in CREDIT_NORMAL else raw


def shop_snapshot(
    uow: UnitOfWork,
    shop_id: str,
    now: datetime,
    *,
    lock: bool = False,
    book: PolicyBook | None = None,
) -> JsonDict | None:
    """What an auditor compares before and after a change: the shop's status, its
    enforcement step, and held, required, receivable and reserved (minor units of
    the market's currency). None when there is no such shop. `lock` takes the shop's
    row lock (the one every money write takes first), so the balances read here are
    those the use case then works on. Two reads: the shop with its categories, and
    its balances, both remembered for the unit of work, so the use case that locks
    the shop next reads them free. Unlocked (the record's after), one read of the
    shop's facts and the balances."""
    if lock:
        shop = uow.shops.get(shop_id, lock=True)
        if shop is None:
            return None
        case = shop.case
        status, step, market = shop.status.value, case.step if case else None, shop.market
        categories = tuple(c.category for c in uow.shops.categories(shop_id) if c.active)
    else:
        facts = uow.audit.shop_facts(shop_id)
        if facts is None:
            return None
        status, step, market = facts.status, facts.enforcement_step, facts.market
        categories = facts.categories
    snap: JsonDict = {"status": status, "enforcement_step": step}
    try:
        pack = (book or PolicyBook(uow.policies.versions())).in_force(market, now)
    except NotFound:  # no pack for its market (yet): status and step still say much
        return snap
    return _with_money(uow, snap, shop_id, pack.currency, pack.required_deposit(categories))


def _with_money(
    uow: UnitOfWork, snap: JsonDict, shop_id: str, currency: str, required: Money
) -> JsonDict:
    balances = uow.ledger.balances(shop_id)
    snap.update(
        currency=currency,
        required=required.minor,
        held=_amount(balances, Account.DEPOSIT_HELD, currency),
        receivable=_amount(balances, Account.RECEIVABLE, currency),
        reserved=_amount(balances, Account.REFUND_RESERVED, currency),
    )
    return snap


def view_snapshot(uow: UnitOfWork, view: ShopView) -> JsonDict:
    """`shop_snapshot` of a shop already loaded (with its policy and categories) in
    this unit of work: its balances are remembered there, so this reads nothing."""
    shop = view.shop
    snap: JsonDict = {
        "status": shop.status.value,
        "enforcement_step": shop.case.step if shop.case is not None else None,
    }
    return _with_money(uow, snap, shop.id, view.pack.currency, view.required)


@contextmanager
def acting(who: Principal | None) -> Iterator[None]:
    """Records made inside (a notice, ingestion's money events) name `who` as their
    actor: for work that does not go through `usecase.run`."""
    token = _acting.set(who)
    try:
        yield
    finally:
        _acting.reset(token)


# -- the use-case hook (services/usecase.run) ----------------------------------------


@dataclass(slots=True)
class Call:
    """A use case being run: what its record needs from before it ran."""

    action: str
    who: Principal | None
    now: datetime | None
    target: str | None
    shop_id: str | None
    before: JsonDict | None
    book: PolicyBook | None
    token: Token[Call | None] | None = None


@lru_cache(maxsize=512)
def _signature(fn: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(fn)


@lru_cache(maxsize=512)
def _kinds(fn: Callable[..., Any]) -> dict[str, Any]:
    return {name: p.kind for name, p in _signature(fn).parameters.items()}


def action_name(fn: Callable[..., Any]) -> str:
    """`deposits.pay_in`: the use case's module (last part) and name."""
    module = getattr(fn, "__module__", "") or ""
    return f"{module.rsplit('.', 1)[-1]}.{getattr(fn, '__qualname__', repr(fn))}"


def _arguments(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Any:
    try:
        bound = _signature(fn).bind_partial(None, *args, **kwargs)
    except (TypeError, ValueError):
        return {}
    return bound.arguments


def current_actor() -> Principal | None:
    """The principal of the use case running now (a notice it issues is theirs), or
    of the `acting` block; None: depositdesk itself."""
    call = _current.get()
    return call.who if call is not None else _acting.get()


def begin(
    uow: UnitOfWork, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> Call:
    """Before a use case runs: its target, and the target shop as it stands (locked,
    as the use case will lock it)."""
    arguments = _arguments(fn, args, kwargs)
    who = arguments.get("who")
    now = arguments.get("now")
    call = Call(
        action=action_name(fn),
        who=who if isinstance(who, Principal) else None,
        now=now if isinstance(now, datetime) else None,
        target=None,
        shop_id=None,
        before=None,
        book=None,
    )
    for name, kind in _TARGET_ARGS:
        # The ids a use case acts on are its positional arguments (uow, who, now, ids…);
        # keyword-only ones are inputs (create_shop's seller_id is not its target).
        if _kinds(fn).get(name) is inspect.Parameter.KEYWORD_ONLY:
            continue
        value = arguments.get(name)
        if isinstance(value, str) and value:
            if call.target is None:
                call.target = f"{kind}:{value}"
            if name == "shop_id":
                call.shop_id = value
    if call.shop_id is not None and call.now is not None:
        # The policy versions and the shop's balances ride with the shop's lock, its
        # first read (PostgreSQL: one round trip with the BEGIN). The lock goes first,
        # so the balances are read under it.
        uow.policies.read_ahead()
        uow.ledger.read_ahead(call.shop_id)
        uow.shops.get(call.shop_id, lock=True)  # the lock, and the reads ahead with it
        call.book = PolicyBook(uow.policies.versions())
        call.before = shop_snapshot(uow, call.shop_id, call.now, lock=True, book=call.book)
    call.token = _current.set(call)
    return call


def finish(uow: UnitOfWork, call: Call, result: object) -> None:
    """After the use case returned: its record, with the shop as it leaves it."""
    _forget(call)
    found_target, found_shop = _from_result(result)
    # What the use case made (a refund applied for, a token) names it better than the
    # shop it was made for; otherwise the id it acted on.
    made = found_target is not None and not found_target.startswith("shop:")
    target = found_target if made else (call.target or found_target)
    shop_id = call.shop_id or found_shop
    now = call.now
    if now is None:
        return  # a use case without a time (none so far) cannot be placed
    after = _summary(result)
    if shop_id is not None:
        after = _result_snapshot(uow, result, shop_id)
        if after is None:
            after = shop_snapshot(uow, shop_id, now, book=call.book)
    record(
        uow,
        call.who,
        now,
        call.action,
        target=target,
        shop_id=shop_id,
        before=call.before,
        after=after,
    )


def abandon(call: Call) -> None:
    """The use case failed: nothing it did happened, its record neither."""
    _forget(call)


def _forget(call: Call) -> None:
    if call.token is not None:
        _current.reset(call.token)
        call.token = None


def _result_snapshot(uow: UnitOfWork, result: object, shop_id: str) -> JsonDict | None:
    """The shop's snapshot from what the use case returned, when that shows the shop
    as it left it (a ShopView, a pay-in's deposit), so nothing is read again."""
    if isinstance(result, ShopView) and result.shop.id == shop_id:
        return view_snapshot(uow, result)
    # A pay-in's deposit view (services/deposits.DepositView, not imported: it imports
    # the notices, which record here).
    deposit = getattr(result, "deposit", None)
    pos = getattr(deposit, "position", None)
    status = getattr(deposit, "shop_status", None)
    if (
        isinstance(pos, DepositPosition)
        and isinstance(status, ShopStatus)
        and getattr(deposit, "shop_id", None) == shop_id
    ):
        snap: JsonDict = {
            "status": status.value,
            "enforcement_step": getattr(deposit, "enforcement_step", None),
        }
        return _with_money(uow, snap, shop_id, pos.required.currency, pos.required)
    return None


def _summary(result: object) -> JsonDict | None:
    """A result that is no shop but says what changed (the sandbox clock's new time)."""
    if isinstance(result, datetime):
        return {"now": rfc3339(result)}
    return None


_RESULT_KINDS = {"WebhookEndpoint": "webhook_endpoint", "Attachment": "attachment"}


def _from_result(result: object) -> tuple[str | None, str | None]:
    """(target, shop_id) from a use case's result, for those whose target is new."""
    if isinstance(result, Seller):
        return f"seller:{result.id}", None
    if isinstance(result, PolicyPack):
        return f"policy:{result.pack}@{result.version}", None
    shop = getattr(result, "shop", None)
    shop_id = getattr(shop, "id", None)
    if isinstance(shop_id, str):  # a ShopView
        return f"shop:{shop_id}", shop_id
    refund = getattr(result, "refund", None)
    if refund is not None and isinstance(getattr(refund, "id", None), str):  # a RefundView
        return f"refund:{refund.id}", getattr(refund, "shop_id", None)
    principal = getattr(result, "principal", None)
    if isinstance(principal, Principal):  # an issued token
        return f"token:{principal.token_id}", None
    endpoint = getattr(result, "endpoint", result)
    kind = _RESULT_KINDS.get(type(endpoint).__name__)
    ident = getattr(endpoint, "id", None)
    if kind is not None and isinstance(ident, str):
        return f"{kind}:{ident}", None
    found_shop = getattr(result, "shop_id", None)
    if isinstance(found_shop, str):
        return f"shop:{found_shop}", found_shop
    return None, None
