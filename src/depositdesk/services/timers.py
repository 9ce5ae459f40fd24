"""Running due timers (architecture.md "Timers"): the worker's other half.

Each due timer is claimed, handled and marked done in one transaction, so its
effect and its completion commit together; on PostgreSQL the claim skips rows
another worker holds (`FOR UPDATE SKIP LOCKED`), so several workers share the work
and never run one timer twice. A handler that fails leaves nothing behind (its
transaction rolls back); its timer is postponed and tried again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from depositdesk.domain.enforcement import LADDER_TIMER
from depositdesk.domain.timers import Timer
from depositdesk.services import (
    audit,
    difference_offers,
    enforcement,
    payouts,
    policies,
    refunds,
    unlinks,
)
from depositdesk.services.ports.uow import UnitOfWork, UowFactory

Handler = Callable[[UnitOfWork, datetime, Timer], None]
# Every timer kind and what it does: one registry, so a kind is found by grep.
HANDLERS: dict[str, Handler] = {
    policies.POLICY_EFFECTIVE: policies.on_version_effective,
    LADDER_TIMER: enforcement.on_ladder_due,
    refunds.REVIEW_TIMER: refunds.on_review_due,
    payouts.SETTLE_TIMER: payouts.on_settle,
    difference_offers.OFFER_TIMER: difference_offers.on_offer_due,
    unlinks.UNLINK_TIMER: unlinks.on_unlink_due,
    unlinks.REFUND_TIMER: unlinks.on_refund_due,
}
RETRY_AFTER = timedelta(minutes=5)
log = structlog.get_logger("depositdesk.timers")


def run_due(uow_factory: UowFactory, now: datetime, limit: int = 10_000) -> int:
    """Run the timers due at `now`, one transaction each; returns how many ran."""
    ran = 0
    while ran < limit:
        failed: Timer | None = None
        with uow_factory() as uow:
            claimed = uow.timers.claim_due(now, 1)
            if not claimed:
                return ran
            timer = claimed[0]
            handler = HANDLERS.get(timer.kind)
            target, shop_id, shop_first = audit_target(uow, timer)
            try:
                if handler is None:
                    raise LookupError(f"no handler for timer kind {timer.kind!r}")
                # AUD-1: the system's step, with the shop before (where its handler locks
                # the shop first, so the lock order stays the handler's) and after it.
                before = None
                if shop_id is not None and shop_first:
                    before = audit.shop_snapshot(uow, shop_id, now, lock=True)
                handler(uow, now, timer)
            except Exception:
                log.exception("timer failed", timer_id=timer.id, kind=timer.kind)
                failed = timer
            else:
                uow.timers.complete(timer.id, now)
                after = audit.shop_snapshot(uow, shop_id, now) if shop_id else None
                audit.record(
                    uow,
                    None,
                    now,
                    f"timer.{timer.kind}",
                    target=target,
                    shop_id=shop_id,
                    before=before,
                    after=after,
                )
                uow.commit()
        if failed is not None:  # after the claim's transaction ended (and its lock)
            _postpone(uow_factory, failed, now)
        ran += 1
    return ran


def audit_target(uow: UnitOfWork, timer: Timer) -> tuple[str, str | None, bool]:
    """(target, shop id, whether the handler locks the shop first) of a timer's record."""
    if timer.kind == LADDER_TIMER:
        return f"shop:{timer.subject}", timer.subject, True
    if timer.kind == difference_offers.OFFER_TIMER:
        shop_id = timer.subject.split(":", 1)[0]
        return f"shop:{shop_id}", shop_id, True
    if timer.kind == refunds.REVIEW_TIMER:
        payload_shop = timer.payload.get("shop_id")
        return f"refund:{timer.subject}", str(payload_shop) if payload_shop else None, False
    if timer.kind == payouts.SETTLE_TIMER:
        payout = uow.payouts.get(timer.subject)
        return f"payout:{timer.subject}", payout.shop_id if payout else None, False
    if timer.kind in (unlinks.UNLINK_TIMER, unlinks.REFUND_TIMER):
        payload_shop = timer.payload.get("shop_id")
        return f"unlink:{timer.subject}", str(payload_shop) if payload_shop else None, True
    if timer.kind == policies.POLICY_EFFECTIVE:
        return f"policy:{timer.subject.replace(':', '@', 1)}", None, False
    return f"{timer.kind}:{timer.subject}", None, False


def _postpone(uow_factory: UowFactory, timer: Timer, now: datetime) -> None:
    with uow_factory() as uow:
        uow.timers.postpone(timer.id, now + RETRY_AFTER)
        uow.commit()
