"""Paying approved refunds (REF-6, REF-7): exactly once, at the payout day's rate.

An approval creates a `pending` payout (services/refunds.decide). The worker sends
it like an outbox message (`send_due`), in three steps, so a crash never pays twice
and never loses a payout:

1. **Claim** (one short transaction): take the oldest pending payout (or one whose
   `sending` lease ran out), quote the day's exchange rate when the destination
   account holds another currency, mark it `sending`, commit.
2. **Send** it to the payout gateway outside any transaction, with its unique payout
   key: the gateway pays a key at most once and answers a resend with the first
   receipt.
3. **Record** (second transaction): `sent` with the gateway's reference, the refund
   `paying`; a gateway that refused goes back to `pending` until the payout is due,
   then `failed` (the refund returns to review).

The bank's answer comes by `record_result` (`POST /v1/payouts/{id}/result`, or the
sandbox bank's settlement timer): `paid` books the payout entry (the reserved
deposit leaves the platform) and the refund is `paid`; `failed` returns the refund
to review with its reservation kept.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Protocol

import structlog

from depositdesk.domain.errors import Conflict, NotFound, ValidationProblem
from depositdesk.domain.fx import RateUnavailable, convert
from depositdesk.domain.gateway_messages import PayoutInstruction, PayoutReceipt
from depositdesk.domain.payouts import Fx, Payout, PayoutStatus, payout_entry
from depositdesk.domain.refunds import ORIGINAL_ROUTE, Refund, RefundStatus
from depositdesk.domain.timers import Timer
from depositdesk.services import audit
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.ports.gateways import PayoutGateway
from depositdesk.services.ports.rates import RateSource
from depositdesk.services.ports.uow import UnitOfWork, UowFactory
from depositdesk.services.refunds import record_step
from depositdesk.services.shop_view import load_shop
from depositdesk.services.webhooks import money_data, publish, time_data

LEASE = timedelta(minutes=5)
RETRY_AFTER = timedelta(minutes=10)
SETTLE_TIMER = "payout.settle"  # timer kind: the sandbox bank answers
SYSTEM = Principal.system(Role.INTEGRATION, "payout worker")
log = structlog.get_logger("depositdesk.payouts")


class Banks(Protocol):
    """What sending needs (adapters/gateways.Gateways is one)."""

    @property
    def payouts(self) -> PayoutGateway: ...

    @property
    def rates(self) -> RateSource: ...


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def send_due(uow_factory: UowFactory, banks: Banks, now: datetime, limit: int = 100) -> SendReport:
    """Send up to `limit` payouts (see the module docstring)."""
    sent = retrying = failed = 0
    for _ in range(limit):
        claimed = _claim(uow_factory, banks, now)
        if claimed is None:
            break
        payout, instruction, refund = claimed
        if isinstance(instruction, str):  # no rate for the day: tried again later
            outcome = _refused(uow_factory, payout, refund, now, instruction)
            retrying += outcome == "retrying"
            failed += outcome == "failed"
            continue
        try:
            receipt = banks.payouts.send(instruction)
        except Exception as exc:
            outcome = _refused(uow_factory, payout, refund, now, f"{type(exc).__name__}: {exc}")
            retrying += outcome == "retrying"
            failed += outcome == "failed"
            continue
        _sent(uow_factory, payout, receipt, now)
        sent += 1
    return SendReport(sent, retrying, failed)


def _claim(
    uow_factory: UowFactory, banks: Banks, now: datetime
) -> tuple[Payout, PayoutInstruction | str, Refund] | None:
    """The next payout, leased, with its instruction; or with the reason it cannot be
    sent yet (no exchange rate for the day, REF-7): it is then retried like a refusal,
    so one payout without a rate never holds up the others."""
    with uow_factory() as uow:
        payout = uow.payouts.claim_due(now, now - LEASE)
        if payout is None:
            return None
        refund = uow.refunds.get(payout.refund_id)
        assert refund is not None
        dest_amount, fx, problem = None, payout.fx, None
        if payout.dest_currency != payout.amount.currency:
            if fx is None:  # REF-7: the rate of the day it is sent, kept for resends
                try:
                    quote = banks.rates.quote(
                        payout.amount.currency, payout.dest_currency, now.date()
                    )
                except RateUnavailable as exc:
                    problem = f"no exchange rate: {exc.detail}"
                else:
                    fx = Fx(quote.rate, quote.rate_date, quote.source)
                    dest_amount = convert(payout.amount, payout.dest_currency, quote)
            else:
                dest_amount = payout.dest_amount
        payout = replace(
            payout,
            status=PayoutStatus.SENDING,
            attempts=payout.attempts + 1,
            sent_at=now,
            fx=fx,
            dest_amount=dest_amount if dest_amount is not None else payout.dest_amount,
        )
        uow.payouts.save(payout)
        uow.commit()
    if problem is not None:
        return payout, problem, refund
    instruction = PayoutInstruction(
        payout_key=payout.payout_key,
        shop_id=payout.shop_id,
        amount=payout.amount,
        route=payout.route or ORIGINAL_ROUTE,
        reference=f"deposit refund {refund.id}",
        dest_amount=payout.dest_amount,
    )
    return payout, instruction, refund


def _sent(uow_factory: UowFactory, payout: Payout, receipt: PayoutReceipt, now: datetime) -> None:
    with uow_factory() as uow:
        current = uow.payouts.get(payout.id, lock=True)
        if current is None or current.status is not PayoutStatus.SENDING:
            return  # a result came first; nothing to record
        payout = replace(
            current, status=PayoutStatus.SENT, bank_reference=receipt.gateway_reference
        )
        uow.payouts.save(payout)
        refund = uow.refunds.get(payout.refund_id, lock=True)
        assert refund is not None
        refund = replace(refund, status=RefundStatus.PAYING)
        uow.refunds.save(refund)
        view = load_shop(uow, None, now, refund.shop_id)
        paid = payout.dest_amount or payout.amount
        note = f"{paid} sent to the bank (reference {receipt.gateway_reference})"
        if payout.fx is not None:
            note += f" at {payout.fx.rate} ({payout.fx.source}, {payout.fx.rate_date})"
        if payout.fee is not None:
            note += f"; the receiving bank takes its fee of {payout.fee}"
        record_step(uow, view, refund, now, note, SYSTEM.actor, payout)
        _publish(uow, payout, now)
        if receipt.settles_at is not None and receipt.settles_as is not None:
            payload: dict[str, object] = {
                "status": receipt.settles_as,
                "reason": receipt.failure_reason or "",
            }
            uow.timers.schedule(
                Timer.new(SETTLE_TIMER, payout.id, receipt.settles_at, now, payload)
            )
        _audit(uow, payout, now, "payouts.sent")
        uow.commit()


def _refused(
    uow_factory: UowFactory, payout: Payout, refund: Refund, now: datetime, error: str
) -> str:
    """The gateway did not take it: try again until the payout is due, then fail."""
    log.warning("payout refused by the gateway", payout_id=payout.id, error=error)
    with uow_factory() as uow:
        current = uow.payouts.get(payout.id, lock=True)
        if current is None or current.status is not PayoutStatus.SENDING:
            return "retrying"
        due = refund.payout_due_at or now
        if now + RETRY_AFTER < due:
            # Left `sending` with its lease moved on, so the next claim is in RETRY_AFTER,
            # with the same key (the gateway took nothing, so nothing can be paid twice).
            back = replace(current, sent_at=now + RETRY_AFTER - LEASE, failure_reason=error)
            uow.payouts.save(back)
            _audit(uow, back, now, "payouts.retrying")
            uow.commit()
            return "retrying"
        _fail(uow, current, now, error)
        failed = uow.payouts.get(payout.id)
        _audit(uow, failed or current, now, "payouts.failed")
        uow.commit()
        return "failed"


def _audit(uow: UnitOfWork, payout: Payout, now: datetime, action: str) -> None:
    """AUD-1: the worker's step on a payout, depositdesk itself the actor."""
    audit.record(
        uow,
        None,
        now,
        action,
        target=f"payout:{payout.id}",
        shop_id=payout.shop_id,
        after={
            "status": payout.status.value,
            "refund_id": payout.refund_id,
            "amount": payout.amount.minor,
            "currency": payout.amount.currency,
            "attempts": payout.attempts,
            "bank_reference": payout.bank_reference,
            "failure_reason": payout.failure_reason,
        },
    )


def _fail(uow: UnitOfWork, payout: Payout, now: datetime, reason: str) -> None:
    payout = replace(payout, status=PayoutStatus.FAILED, settled_at=now, failure_reason=reason)
    uow.payouts.save(payout)
    refund = uow.refunds.get(payout.refund_id, lock=True)
    assert refund is not None
    refund = replace(refund, status=RefundStatus.FAILED)
    uow.refunds.save(refund)
    view = load_shop(uow, None, now, refund.shop_id)
    note = f"payout failed ({reason}); the refund is back with the reviewers, still reserved"
    record_step(uow, view, refund, now, note, SYSTEM.actor, payout)
    _publish(uow, payout, now)


def _publish(uow: UnitOfWork, payout: Payout, now: datetime) -> None:
    publish(
        uow,
        f"payout.{payout.status.value}",
        f"{payout.id}:{payout.status.value}",
        {
            "payout_id": payout.id,
            "refund_id": payout.refund_id,
            "shop_id": payout.shop_id,
            "status": payout.status.value,
            "amount": money_data(payout.amount),
            "dest_amount": money_data(payout.dest_amount) if payout.dest_amount else None,
            "bank_reference": payout.bank_reference,
            "at": time_data(now),
        },
        now,
    )


def record_result(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    payout_id: str,
    *,
    status: str,
    bank_reference: str | None = None,
    reason: str | None = None,
) -> Payout:
    """REF-6: the bank's answer. The same answer again changes nothing; a different
    one for a settled payout is a conflict."""
    require(who, Role.INTEGRATION)
    if status not in (PayoutStatus.PAID.value, PayoutStatus.FAILED.value):
        raise ValidationProblem("status", "payout_result", "status must be 'paid' or 'failed'")
    if status == PayoutStatus.FAILED.value and not (reason or "").strip():
        raise ValidationProblem("reason", "required", "say why the bank did not pay")
    payout = uow.payouts.get(payout_id, lock=True)
    if payout is None:
        raise NotFound(f"payout {payout_id} not found")
    if payout.status in (PayoutStatus.PAID, PayoutStatus.FAILED):
        same = payout.status.value == status and (
            bank_reference is None or bank_reference == payout.bank_reference
        )
        if same:
            return payout
        raise Conflict(f"payout {payout_id} is already {payout.status}; a bank result is final")
    if payout.status is PayoutStatus.PENDING:
        raise Conflict(f"payout {payout_id} was not sent yet")
    if status == PayoutStatus.FAILED.value:
        _fail(uow, payout, now, (reason or "").strip())
        uow.timers.cancel(SETTLE_TIMER, payout.id, now)
        result = uow.payouts.get(payout_id)
        assert result is not None
        return result
    reference = bank_reference or payout.bank_reference or payout.payout_key
    payout = replace(payout, status=PayoutStatus.PAID, settled_at=now, bank_reference=reference)
    uow.payouts.save(payout)
    uow.ledger.post(
        payout.shop_id,
        payout_entry(payout.amount, payout.refund_id, reference),
        now,
        f"payout:{payout.id}",
    )
    refund = uow.refunds.get(payout.refund_id, lock=True)
    assert refund is not None
    refund = replace(refund, status=RefundStatus.PAID)
    uow.refunds.save(refund)
    view = load_shop(uow, None, now, refund.shop_id)
    paid = payout.dest_amount or payout.amount
    note = f"paid: {paid}, bank reference {reference}"
    record_step(uow, view, refund, now, note, who.actor, payout)
    _publish(uow, payout, now)
    uow.timers.cancel(SETTLE_TIMER, payout.id, now)
    return payout


def on_settle(uow: UnitOfWork, now: datetime, timer: Timer) -> None:
    """The sandbox bank answers at the time its receipt said (REF-6 in the sandbox)."""
    payout = uow.payouts.get(timer.subject)
    if payout is None or payout.status is not PayoutStatus.SENT:
        return
    record_result(
        uow,
        Principal.system(Role.INTEGRATION, "sandbox bank"),
        now,
        payout.id,
        status=str(timer.payload["status"]),
        reason=str(timer.payload.get("reason") or "") or "the sandbox bank refused it",
    )


def get_payout(uow: UnitOfWork, who: Principal, now: datetime, refund_id: str) -> Payout | None:
    return uow.payouts.for_refund(refund_id)
