"""The unlink actions (UNL-2, UNL-3, UNL-4, UNL-6): `POST /v1/unlinks/{id}/actions/{action}`.

Each action is a function in `ACTIONS`; `run_action` checks the caller (the shop's
owner or an admin), the request's status and the Idempotency-Key, then calls it with
the request locked, so two calls of one action queue behind each other and the
second finds the first's work done ("changed": false). What an action did is stored
in `unlink_actions` (its result, JSON) and, for customer emails, one row per customer
in `customer_notices` whose primary key holds "one per customer" under retries.

- `cancel-unfulfillable-orders`: each open, unshipped order is cancelled in the
  projection and refunded in full to its customer (an `order_refund` entry, out of
  the sales proceeds, the rest owed by the seller); the customer gets an email
  (through the outbox) when the order's event carried `customer_email`, with the
  optional discount code.
- `withdraw-proceeds` (step-up): the available proceeds leave the ledger in one
  `proceeds_withdrawal` entry and are paid through the payout gateway under the
  payout key `proceeds-<unlink>-<n>`; the gateway pays a key at most once, so a
  resend after a crash (the run is `sending` until the receipt is recorded) pays
  nothing more. The gateway is called between two transactions (`act`); a run the
  bank did not take is sent again by the worker (`resend_withdrawals`, RESEND_AFTER).
- `tax-summary`: sales and tax per month (tax: the order event's `tax`, a decimal
  string in the order's currency, else 0); recorded the first time.
- `notify-customers`: one email per customer with an order in the last
  NOTIFY_WINDOW_DAYS (the address: the `customer_email` of that customer's latest
  order event in the window; customers without one are recorded, not mailed).
- `archive`: queues the shop's archive (services/archives.py, UNL-4) unless one is
  queued, running, or ready of the kind asked (`anonymize_customers`).

After the cutoff, a `ticket.opened` event of the shop gets an automatic reply with the
support contact (`auto_reply_tickets`, called by ingestion).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from depositdesk.domain.archives import Archive
from depositdesk.domain.errors import Conflict, Refused, ValidationProblem
from depositdesk.domain.events import Event
from depositdesk.domain.funding import Cause, CauseKind
from depositdesk.domain.gateway_messages import PayoutInstruction, PayoutReceipt
from depositdesk.domain.ids import new_ordered_id
from depositdesk.domain.ledger import order_refund_entry, proceeds_withdrawal_entry
from depositdesk.domain.money import Money
from depositdesk.domain.outbox import Channel, OutboxMessage, email_payload
from depositdesk.domain.refunds import ORIGINAL_ROUTE
from depositdesk.domain.shop import Language
from depositdesk.domain.unlinks import (
    NOTIFY_WINDOW_DAYS,
    WITHDRAWAL_SENDING,
    ActionRecord,
    TaxMonth,
    Unlink,
    UnlinkAction,
    UnlinkStatus,
    tax_summary,
)
from depositdesk.services import archives, audit
from depositdesk.services.access import Principal, require_shop_role, require_step_up
from depositdesk.services.funding import position, review_funding
from depositdesk.services.money_moves import replay, request_hash
from depositdesk.services.ports.gateways import PayoutGateway
from depositdesk.services.ports.uow import Context, UnitOfWork
from depositdesk.services.shop_view import ShopView, load_shop
from depositdesk.services.unlinks import (
    REQUESTERS,
    UnlinkView,
    get_unlink,
    hold_on_new_signals,
    load_unlink,
    view_of,
)
from depositdesk.services.usecase import read, run

MAX_DISCOUNT = 64
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,255}")
# Actions run while the request is being prepared or is scheduled; a held, refused,
# cancelled or unlinked request takes none.
ACTIVE = (UnlinkStatus.PREPARING, UnlinkStatus.SCHEDULED)


@dataclass(frozen=True, slots=True)
class ActionInput:
    discount_code: str | None = None
    anonymize_customers: bool | None = None  # archive: None takes False for a new one


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """What one call did: `changed` false when there was nothing (more) to do."""

    unlink_id: str
    action: str
    changed: bool
    at: datetime
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActionAnswer:
    outcome: ActionOutcome
    unlink: UnlinkView
    # withdraw-proceeds: the instruction to send after this transaction commits
    send: PayoutInstruction | None = None
    tax: list[TaxMonth] | None = None  # tax-summary: the months


ActionFn = Callable[
    [UnitOfWork, Principal, datetime, Unlink, ShopView, ActionInput],
    tuple[ActionOutcome, PayoutInstruction | None, list[TaxMonth] | None],
]


def _email(value: object) -> str | None:
    if isinstance(value, str) and len(value) <= 320 and EMAIL.fullmatch(value):
        return value
    return None


def _record(
    uow: UnitOfWork,
    unlink: Unlink,
    action: UnlinkAction,
    who: Principal,
    now: datetime,
    result: dict[str, Any],
) -> ActionRecord:
    seq = len(uow.unlinks.actions(unlink.id, action)) + 1
    record = ActionRecord(
        new_ordered_id("ua"), unlink.id, unlink.shop_id, action, seq, now, who.actor, result
    )
    if not uow.unlinks.add_action(record):
        raise Conflict(f"{action.value} is running for unlink {unlink.id}; try again")
    return record


def _mail(
    uow: UnitOfWork,
    to: str,
    subject: str,
    text: str,
    language: Language,
    key: str,
    topic: str,
    now: datetime,
) -> str:
    message = OutboxMessage.new(
        Channel.EMAIL, topic, key, email_payload(to, subject, text, language.value), now
    )
    uow.outbox.add(message)
    return message.id


def _language(uow: UnitOfWork, view: ShopView) -> Language:
    seller = uow.sellers.get(view.shop.seller_id)
    return seller.language if seller is not None else Language.EN


# -- cancel-unfulfillable-orders (UNL-3) -------------------------------------------------


def cancel_unfulfillable(
    uow: UnitOfWork, who: Principal, now: datetime, unlink: Unlink, view: ShopView, inp: ActionInput
) -> tuple[ActionOutcome, None, None]:
    open_orders = uow.unlinks.unshipped_orders(unlink.shop_id)
    if not open_orders:
        return (
            ActionOutcome(
                unlink.id,
                UnlinkAction.CANCEL_UNFULFILLABLE_ORDERS,
                False,
                now,
                {"cancelled": [], "count": 0},
            ),
            None,
            None,
        )
    currency = view.pack.currency
    proceeds = position(uow, view).proceeds
    data = uow.unlinks.event_data([e for *_, e in open_orders if e])
    zh = _language(uow, view) is Language.ZH
    refunded = Money.zero(currency)
    owed = Money.zero(currency)
    mailed = 0
    for order_id, amount_minor, cur, customer_id, placed_event in open_orders:
        amount = Money(cur or currency, amount_minor)
        if amount.minor > 0:
            entry = order_refund_entry(amount, proceeds, order_id)
            uow.ledger.post(unlink.shop_id, entry, now, f"unlink:{unlink.id}:cancel:{order_id}")
            covered = Money(amount.currency, min(amount.minor, max(proceeds.minor, 0)))
            proceeds = proceeds - covered
            refunded = refunded + amount
            owed = owed + (amount - covered)
        to = _email(data.get(placed_event or "", {}).get("customer_email"))
        if to is not None:
            subject, text = _cancel_text(zh, view, unlink, order_id, amount, inp.discount_code)
            lang = Language.ZH if zh else Language.EN
            key = f"unlink:{unlink.id}:cancel:{order_id}"
            msg = _mail(uow, to, subject, text, lang, key, "unlink.order_cancelled", now)
            uow.unlinks.add_customer_notice(unlink.id, "cancel", order_id, to, now, msg)
            mailed += 1
        elif customer_id is not None:
            uow.unlinks.add_customer_notice(unlink.id, "cancel", order_id, None, now, None)
    ids = [o[0] for o in open_orders]
    uow.unlinks.cancel_orders(unlink.shop_id, ids, now)
    if owed.is_positive():
        # DEP-5 with DEP-8: what the proceeds could not cover the seller owes; a
        # top-up notice says so (and opens a case like any other shortfall).
        review_funding(uow, view, now, Cause(CauseKind.ORDERS_REFUNDED, after=owed, ref=unlink.id))
    result: dict[str, Any] = {
        "cancelled": ids[:100],
        "count": len(ids),
        "refunded": str(refunded),
        "owed_by_seller": str(owed),
        "emails": mailed,
        "discount_code": inp.discount_code,
    }
    _record(uow, unlink, UnlinkAction.CANCEL_UNFULFILLABLE_ORDERS, who, now, result)
    return (
        ActionOutcome(unlink.id, UnlinkAction.CANCEL_UNFULFILLABLE_ORDERS, True, now, result),
        None,
        None,
    )


def _cancel_text(
    zh: bool, view: ShopView, unlink: Unlink, order_id: str, amount: Money, code: str | None
) -> tuple[str, str]:
    shop = view.shop.name
    if zh:
        subject = f"您在 {shop} 的订单 {order_id} 已取消并全额退款"
        text = (
            f"{shop} 即将关店，无法履约您的订单 {order_id}。订单已取消，{amount} 将全额退还给您。"
            f"如有问题请联系 {unlink.support_contact}。"
        )
        if code:
            text += f"\n\n致歉优惠码：{code}"
    else:
        subject = f"Your order {order_id} at {shop} is cancelled and refunded in full"
        text = (
            f"{shop} is closing and cannot fulfil your order {order_id}. The order is "
            f"cancelled and {amount} is refunded to you in full. Questions: "
            f"{unlink.support_contact}."
        )
        if code:
            text += f"\n\nWith our apologies, a discount code: {code}"
    return subject, text


# -- withdraw-proceeds (UNL-2) -----------------------------------------------------------


def withdraw_proceeds(
    uow: UnitOfWork, who: Principal, now: datetime, unlink: Unlink, view: ShopView, inp: ActionInput
) -> tuple[ActionOutcome, PayoutInstruction | None, None]:
    require_step_up(who, now, view.pack.security.step_up_minutes, "withdrawing sales proceeds")
    action = UnlinkAction.WITHDRAW_PROCEEDS
    runs = uow.unlinks.actions(unlink.id, action)
    unsent = [r for r in runs if r.unsent]
    if unsent:  # a crash or a gateway error left it unsent: send the same instruction
        last = unsent[-1]
        return ActionOutcome(unlink.id, action, False, now, last.result), _instruction(last), None
    proceeds = position(uow, view).proceeds
    if not proceeds.is_positive():
        last_result = runs[-1].result if runs else {"amount": str(proceeds)}
        return ActionOutcome(unlink.id, action, False, now, last_result), None, None
    held = hold_on_new_signals(uow, view, unlink, now)
    if held is not None:  # UNL-1: a reviewer looks first; nothing is paid
        on_hold = {"status": "held", "held_reasons": list(held.held_reasons)}
        return ActionOutcome(unlink.id, action, False, now, on_hold), None, None
    key = f"proceeds-{unlink.id}-{len(runs) + 1}"
    uow.ledger.post(unlink.shop_id, proceeds_withdrawal_entry(proceeds, key), now, f"unlink:{key}")
    result: dict[str, Any] = {
        "amount": str(proceeds),
        "amount_minor": proceeds.minor,
        "currency": proceeds.currency,
        "payout_key": key,
        "status": WITHDRAWAL_SENDING,
    }
    record = _record(uow, unlink, action, who, now, result)
    return ActionOutcome(unlink.id, action, True, now, result), _instruction(record), None


def _instruction(record: ActionRecord) -> PayoutInstruction:
    r = record.result
    return PayoutInstruction(
        payout_key=str(r["payout_key"]),
        shop_id=record.shop_id,
        amount=Money(str(r["currency"]), int(str(r["amount_minor"]))),
        route=ORIGINAL_ROUTE,
        reference=f"sales proceeds {record.unlink_id}",
    )


def withdrawal_sent(
    uow: UnitOfWork,
    who: Principal | None,
    now: datetime,
    unlink_id: str,
    payout_key: str,
    receipt: PayoutReceipt | None,
    error: str | None,
) -> ActionOutcome:
    """The gateway's answer to a withdrawal, recorded on its run (`sent` with the
    reference; or the error and when it came, the run staying `sending`: the seller
    may ask again, and the worker sends it again after RESEND_AFTER)."""
    runs = uow.unlinks.actions(unlink_id, UnlinkAction.WITHDRAW_PROCEEDS)
    run = next((r for r in runs if r.result.get("payout_key") == payout_key), None)
    if run is None:
        raise Conflict(f"no withdrawal {payout_key}")
    result = dict(run.result)
    if receipt is not None:
        result["status"] = "sent"
        result["bank_reference"] = receipt.gateway_reference
        result.pop("error", None)
    else:
        result["error"] = error
        result["error_at"] = now.isoformat()
    uow.unlinks.save_action_result(run.id, result)
    audit.record(
        uow,
        who,
        now,
        "unlinks.proceeds_sent" if receipt else "unlinks.proceeds_unsent",
        target=f"unlink:{unlink_id}",
        shop_id=run.shop_id,
        after=result,
    )
    return ActionOutcome(
        unlink_id, UnlinkAction.WITHDRAW_PROCEEDS, receipt is not None, now, result
    )


# A withdrawal left `sending` (the gateway failed, or the process stopped between the
# two transactions) is sent again by the worker once this long has passed since it was
# asked for or last failed: the payout key makes the gateway pay it at most once.
RESEND_AFTER = timedelta(minutes=5)


def unsent_withdrawals(uow: UnitOfWork, now: datetime) -> list[tuple[str, PayoutInstruction]]:
    """The withdrawals due to be sent again (see RESEND_AFTER), oldest first: (unlink
    id, instruction)."""
    due = []
    for record in uow.unlinks.unsent_withdrawals():
        tried = record.result.get("error_at")
        last = datetime.fromisoformat(str(tried)) if tried else record.done_at
        if last <= now - RESEND_AFTER:
            due.append((record.unlink_id, _instruction(record)))
    return due


def resend_withdrawals(ctx: Context, payouts: PayoutGateway, now: datetime) -> int:
    """The worker's round (UNL-2): each withdrawal due again is sent with its payout key
    outside any transaction and its answer recorded; the number sent."""
    sent = 0
    for unlink_id, instruction in read(ctx, unsent_withdrawals, now):
        try:
            receipt, error = payouts.send(instruction), None
        except Exception as exc:  # recorded; tried again after RESEND_AFTER
            receipt, error = None, f"{type(exc).__name__}: {exc}"[:500]
        outcome = run(
            ctx, withdrawal_sent, None, now, unlink_id, instruction.payout_key, receipt, error
        )
        sent += outcome.changed
    return sent


# -- tax-summary (UNL-2) -----------------------------------------------------------------


def tax_months(uow: UnitOfWork, shop_id: str) -> list[TaxMonth]:
    """Sales and tax collected per month, from the order projection and each order
    event's `tax` (a decimal string in the order's currency; absent: 0)."""

    def rows() -> Any:
        for placed_at, currency, amount, data, cancelled in uow.unlinks.tax_rows(shop_id):
            tax = 0
            if '"tax"' in data:
                try:
                    raw = json.loads(data).get("tax")
                    tax = Money.parse(raw, currency, "tax").minor if raw is not None else 0
                except (ValueError, ValidationProblem, AttributeError):
                    tax = 0
            yield placed_at, currency, amount, max(tax, 0), cancelled

    return tax_summary(rows())


def produce_tax_summary(
    uow: UnitOfWork, who: Principal, now: datetime, unlink: Unlink, view: ShopView, inp: ActionInput
) -> tuple[ActionOutcome, None, list[TaxMonth]]:
    action = UnlinkAction.TAX_SUMMARY
    months = tax_months(uow, unlink.shop_id)
    first = not uow.unlinks.actions(unlink.id, action)
    result: dict[str, Any] = {"months": len(months), "orders": sum(m.orders for m in months)}
    if first:
        _record(uow, unlink, action, who, now, result)
    return ActionOutcome(unlink.id, action, first, now, result), None, months


# -- notify-customers (UNL-6) ------------------------------------------------------------


def notify_customers(
    uow: UnitOfWork, who: Principal, now: datetime, unlink: Unlink, view: ShopView, inp: ActionInput
) -> tuple[ActionOutcome, None, None]:
    action = UnlinkAction.NOTIFY_CUSTOMERS
    since = now - timedelta(days=NOTIFY_WINDOW_DAYS)
    customers = uow.unlinks.window_customers(unlink.shop_id, since)
    data = uow.unlinks.event_data([e for e in customers.values() if e])
    zh = _language(uow, view) is Language.ZH
    lang = Language.ZH if zh else Language.EN
    new, already, without = 0, 0, 0
    for customer_id, event_id in customers.items():
        if uow.unlinks.told(unlink.id, "notify", customer_id):
            already += 1
            continue
        to = _email(data.get(event_id or "", {}).get("customer_email"))
        msg_id = None
        if to is not None:
            subject, text = _notify_text(zh, view, unlink)
            key = f"unlink:{unlink.id}:notify:{customer_id}"
            msg_id = _mail(uow, to, subject, text, lang, key, "unlink.customer_notice", now)
        else:
            without += 1
        if uow.unlinks.add_customer_notice(unlink.id, "notify", customer_id, to, now, msg_id):
            new += 1
    result: dict[str, Any] = {
        "notified": new,
        "already_notified": already,
        "without_email": without,
        "window_days": NOTIFY_WINDOW_DAYS,
    }
    if new:
        _record(uow, unlink, action, who, now, result)
    return ActionOutcome(unlink.id, action, new > 0, now, result), None, None


def _notify_text(zh: bool, view: ShopView, unlink: Unlink) -> tuple[str, str]:
    shop = view.shop.name
    day = unlink.unlink_date.isoformat()
    cutoff = f"{unlink.cutoff_at:%Y-%m-%d %H:%M} UTC"
    if zh:
        return (
            f"{shop} 将于 {day} 关店",
            f"{shop} 将于 {day} 从平台下线，{cutoff} 后不再接受新订单。"
            f"此后的退货、退款与售后请联系：{unlink.support_contact}。",
        )
    return (
        f"{shop} is closing on {day}",
        f"{shop} leaves the marketplace on {day} and takes no new orders after {cutoff}. "
        f"For returns, refunds and any question about your orders, contact "
        f"{unlink.support_contact}.",
    )


def start_archive(
    uow: UnitOfWork, who: Principal, now: datetime, unlink: Unlink, view: ShopView, inp: ActionInput
) -> tuple[ActionOutcome, None, None]:
    """UNL-4: queue the shop's archive (services/archives.py); a retry while one is
    queued or running, or once one of the same kind is ready, starts nothing more."""
    action = UnlinkAction.ARCHIVE

    def about(a: Archive) -> dict[str, Any]:
        return {
            "archive_id": a.id,
            "status": a.status.value,
            "anonymize_customers": a.anonymize_customers,
            "progress": a.progress,
        }

    running = uow.archives.open_for_shop(unlink.shop_id)
    if running is not None:
        return ActionOutcome(unlink.id, action, False, now, about(running)), None, None
    ready = uow.archives.ready_for_shop(unlink.shop_id)
    wanted = inp.anonymize_customers
    if ready is not None and (wanted is None or wanted == ready.anonymize_customers):
        return ActionOutcome(unlink.id, action, False, now, about(ready)), None, None
    made = archives.start_archive(uow, who, now, unlink.shop_id, anonymize_customers=bool(wanted))
    result = about(made)
    _record(uow, unlink, action, who, now, result)
    return ActionOutcome(unlink.id, action, True, now, result), None, None


# The dispatcher: one line per action (the archive's helper replaces its line).
ACTIONS: dict[UnlinkAction, ActionFn] = {
    UnlinkAction.CANCEL_UNFULFILLABLE_ORDERS: cancel_unfulfillable,
    UnlinkAction.WITHDRAW_PROCEEDS: withdraw_proceeds,
    UnlinkAction.TAX_SUMMARY: produce_tax_summary,
    UnlinkAction.NOTIFY_CUSTOMERS: notify_customers,
    UnlinkAction.ARCHIVE: start_archive,
}


def run_action(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    unlink_id: str,
    action: str,
    *,
    discount_code: str | None = None,
    anonymize_customers: bool | None = None,
    idempotency_key: str | None = None,
) -> ActionAnswer:
    """Run one action on a request (the shop's owner or an admin)."""
    unlink, view = load_unlink(uow, who, now, unlink_id, lock=True)
    require_shop_role(who, view.shop.seller_id, view.shop.id, REQUESTERS, ())
    try:
        name = UnlinkAction(action)
    except ValueError:
        raise Refused(
            "unknown_action",
            f"unknown action {action!r}; the actions are "
            + ", ".join(a.value for a in UnlinkAction),
            404,
        ) from None
    if anonymize_customers is not None and name is not UnlinkAction.ARCHIVE:
        raise ValidationProblem(
            "anonymize_customers", "archive_only", "only archive takes anonymize_customers"
        )
    code = (discount_code or "").strip() or None
    if code is not None and (len(code) > MAX_DISCOUNT or not code.isprintable()):
        raise ValidationProblem(
            "discount_code", "max_length", f"at most {MAX_DISCOUNT} printable characters"
        )
    if code is not None and name is not UnlinkAction.CANCEL_UNFULFILLABLE_ORDERS:
        raise ValidationProblem(
            "discount_code", "cancel_only", "only cancel-unfulfillable-orders takes a discount code"
        )
    scope = f"{who.party}:unlink-actions:{unlink_id}"
    fingerprint = request_hash("unlink-action", unlink_id, name.value, code, anonymize_customers)
    if idempotency_key:
        stored = replay(uow, scope, idempotency_key, fingerprint, ActionOutcome)
        if stored is not None:
            return ActionAnswer(replace(stored, changed=False), view_of(uow, view, unlink, now))
    if unlink.status not in ACTIVE:
        raise Refused(
            "unlink_not_active",
            f"unlink {unlink_id} is {unlink.status}: its actions run while it is preparing "
            "or scheduled",
            409,
            status_now=unlink.status.value,
        )
    outcome, send, tax = ACTIONS[name](
        uow, who, now, unlink, view, ActionInput(code, anonymize_customers)
    )
    if idempotency_key:
        uow.idempotency.put(scope, idempotency_key, fingerprint, outcome, now)
    unlink = uow.unlinks.get(unlink_id) or unlink  # as the action left it (held, say)
    return ActionAnswer(outcome, view_of(uow, view, unlink, now), send, tax)


def act(
    ctx: Context,
    payouts: PayoutGateway,
    who: Principal,
    now: datetime,
    unlink_id: str,
    action: str,
    **inputs: Any,
) -> ActionAnswer:
    """Run an action as the API and the pages do: `run_action` in one transaction; for
    withdraw-proceeds the payout is then sent outside any transaction and its answer
    recorded in a second one. The gateway pays a payout key at most once, so a retry
    after a crash between the two sends the same instruction and pays nothing more."""
    answer = run(ctx, run_action, who, now, unlink_id, action, **inputs)
    instruction = answer.send
    if instruction is None:
        return answer
    try:
        receipt, error = payouts.send(instruction), None
    except Exception as exc:  # recorded on the run (still `sending`): a retry resends it
        receipt, error = None, f"{type(exc).__name__}: {exc}"[:500]
    outcome = run(ctx, withdrawal_sent, who, now, unlink_id, instruction.payout_key, receipt, error)
    # `changed` says whether this call moved money (a resend of an unsent run did not);
    # the checklist as the bank's answer leaves it.
    unlink = read(ctx, get_unlink, who, now, unlink_id)
    return ActionAnswer(replace(outcome, changed=answer.outcome.changed), unlink)


# -- auto-reply after the cutoff (UNL-6) -------------------------------------------------


def auto_reply_tickets(uow: UnitOfWork, evts: list[Event], now: datetime) -> int:
    """A `ticket.opened` of a shop past its unlink's cutoff gets one automatic reply
    pointing to the support contact (when the event names `customer_email`); each
    ticket is recorded once. Returns the replies written."""
    written = 0
    data = uow.unlinks.event_data([e.id for e in evts])
    for e in evts:
        unlink = uow.unlinks.latest_for_shop(e.shop_id)
        if unlink is None or unlink.status not in (UnlinkStatus.SCHEDULED, UnlinkStatus.UNLINKED):
            continue
        if e.occurred_at <= unlink.cutoff_at:
            continue
        ticket = str(e.data.get("ticket_id"))
        if uow.unlinks.told(unlink.id, "auto_reply", ticket):
            continue
        to = _email(data.get(e.id, {}).get("customer_email"))
        msg_id = None
        if to is not None:
            view = load_shop(uow, None, now, e.shop_id)
            zh = _language(uow, view) is Language.ZH
            subject, text = _reply_text(zh, view, unlink, str(e.data.get("subject", "")))
            lang = Language.ZH if zh else Language.EN
            key = f"unlink:{unlink.id}:auto_reply:{ticket}"
            msg_id = _mail(uow, to, subject, text, lang, key, "unlink.auto_reply", now)
        if uow.unlinks.add_customer_notice(unlink.id, "auto_reply", ticket, to, now, msg_id):
            written += 1
    return written


def _reply_text(zh: bool, view: ShopView, unlink: Unlink, subject: str) -> tuple[str, str]:
    shop = view.shop.name
    if zh:
        return (
            f"回复：{subject}",
            f"{shop} 已停止接单（{unlink.unlink_date.isoformat()} 下线）。此消息为自动回复。"
            f"退货、退款及售后请联系：{unlink.support_contact}。",
        )
    return (
        f"Re: {subject}",
        f"{shop} no longer takes orders (it leaves the marketplace on "
        f"{unlink.unlink_date.isoformat()}). This is an automatic reply. For returns, "
        f"refunds and questions about your orders, contact {unlink.support_contact}.",
    )
