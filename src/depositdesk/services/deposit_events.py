"""Marketplace events that move deposit money: deductions (DEP-8) and offsets (DEP-7).

Ingestion (services/ingestion.py) stores and projects events in chunks; the events
that move money come here, in event-time order, inside the chunk's transaction:

- `violation.recorded` (first time seen): the consumer's loss is deducted (what the
  deposit cannot cover becomes a receivable), a closure-grade type (policy) flags
  the shop for closure, and a `deposit.deducted` webhook follows for each. The
  seller is told once per run of deductions of a shop in a chunk: a `deduction`
  notice for one, a `deductions` notice listing them for several (a bulk load of
  500 violations is one email, not 500). Then the deposit is reviewed (a top-up
  notice, DEP-5).
- `proceeds.available`: the proceeds are credited; when the shop has an open
  under-funding case, what it owes is taken from them at once as one balanced
  entry whose source names the event, and the seller is told after (DEP-7), which
  may fund the shop again and lift its enforcement steps.

A chunk's money events are taken shop by shop, each shop's in event-time order, in
one pass: the shop and its balances are read once (the running balances, DEP-3),
each event works on them in memory, and the chunk's entries are written together
at the end (`uow.ledger.batch()`), so a violation costs an entry and a webhook, not
three round trips of bookkeeping, a fresh read of the shop and a rendered email.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from depositdesk.domain.events import Event
from depositdesk.domain.funding import Cause, CauseKind, owed
from depositdesk.domain.ledger import (
    Account,
    balance_of,
    offset_entry,
    proceeds_entry,
    violation_deduction,
)
from depositdesk.domain.money import Money
from depositdesk.domain.notices import Notice, NoticeKind
from depositdesk.domain.policy import PolicyBook
from depositdesk.domain.shop import ClosureFlag, Shop, ShopStatus
from depositdesk.services import audit
from depositdesk.services.funding import position, review_funding
from depositdesk.services.notices import issue_notice
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import ShopView, view_of
from depositdesk.services.webhooks import money_data, publish, time_data, wanted

MONEY_EVENTS = frozenset({"violation.recorded", "proceeds.available"})


def apply_money_events(
    uow: UnitOfWork,
    events: list[Event],
    book: PolicyBook,
    now: datetime,
    locked: Mapping[str, Shop] | None = None,
) -> None:
    """Book `events` (first-time violations and proceeds) in event-time order.

    `locked`: the events' shops, read and locked already by this unit of work (as
    ingestion does at the start of a chunk); otherwise they are locked here."""
    if not events:
        return
    shop_ids = {e.shop_id for e in events}
    if locked is None:
        # Lock the shops in one order (PostgreSQL), so concurrent chunks and pay-ins
        # never compute a split from a balance another transaction is changing.
        locked = uow.shops.many(shop_ids, lock=True)
    uow.ledger.balances_of(shop_ids)  # every shop's balances in one read
    by_shop: dict[str, list[Event]] = defaultdict(list)
    for e in sorted(events, key=Event.sort_key):
        by_shop[e.shop_id].append(e)
    with uow.ledger.batch():
        for shop_id in sorted(by_shop):
            view = view_of(uow, locked[shop_id], now, book)
            # DEP-5: the deposit is reviewed after the shop's deductions, once, before
            # proceeds are offset against what it then owes (DEP-7), and at the end:
            # one top-up notice for a run of deductions in one chunk, stating what
            # they left owed, instead of one per deduction superseded at once.
            run: list[Deducted] = []
            before = audit.view_snapshot(uow, view)
            for e in by_shop[shop_id]:
                if e.type == "violation.recorded":
                    view, deducted = _deduct(uow, view, e, now)
                    run.append(deducted)
                    continue
                if run:
                    view = _tell_and_review(uow, view, run, now)
                    run = []
                view = _proceeds(uow, view, e, now)
            if run:
                view = _tell_and_review(uow, view, run, now)
            _audit(uow, view, before, by_shop[shop_id], now)


AUDITED_IDS = 100  # event ids named in a shop's record; the count says how many in all


def _audit(
    uow: UnitOfWork, view: ShopView, before: dict[str, object], events: list[Event], now: datetime
) -> None:
    """AUD-1: one record per shop and chunk for its money-moving events, with their ids
    and the shop before and after them (the integration that sent them as the actor)."""
    after = {
        **audit.view_snapshot(uow, view),
        "events": len(events),
        "event_ids": [e.id for e in events[:AUDITED_IDS]],
    }
    audit.record(
        uow,
        audit.current_actor(),
        now,
        "events.money",
        target=f"shop:{view.shop.id}",
        shop_id=view.shop.id,
        before=before,
        after=after,
    )


@dataclass(frozen=True, slots=True)
class Deducted:
    """One violation's deduction (DEP-8), booked and awaiting its notice."""

    event: Event
    violation_id: str
    violation_type: str
    loss: Money
    covered: Money
    uncovered: Money
    held: Money  # what the deposit held right after it
    flagged: bool  # its type flags the shop for closure (policy)

    def data(self) -> dict[str, str | int]:
        return {
            "violation_id": self.violation_id,
            "type": self.violation_type,
            "loss_minor": self.loss.minor,
            "covered_minor": self.covered.minor,
            "receivable_added_minor": self.uncovered.minor,
            "held_minor": self.held.minor,
            "currency": self.loss.currency,
        }


def _deduct(uow: UnitOfWork, view: ShopView, e: Event, now: datetime) -> tuple[ShopView, Deducted]:
    """DEP-8: the consumer's loss from the deposit, the rest a receivable. The view as
    the deduction leaves it, and what was deducted (told by `_tell_and_review`)."""
    violation_id, violation_type = e.data["violation_id"], e.data["type"]
    loss = e.money("consumer_loss")
    # What the deposit holds, straight from the balances: the whole position would
    # also work out what the shop requires, once per violation of a bulk load.
    held = balance_of(uow.ledger.balances(view.shop.id), Account.DEPOSIT_HELD, view.pack.currency)
    entry, covered, uncovered = violation_deduction(loss, held, violation_id, violation_type)
    uow.ledger.post(view.shop.id, entry, now, f"event:{e.id}")
    shop = view.shop
    flagged = violation_type in view.pack.closure_violation_types
    if flagged and shop.closure_flag is None:
        shop = replace(shop, closure_flag=ClosureFlag(violation_id, violation_type, now))
        uow.shops.save(shop)
        view = replace(view, shop=shop)
        publish(
            uow,
            "shop.flagged_for_closure",
            f"{shop.id}:{violation_id}",
            {"shop_id": shop.id, "violation_id": violation_id, "type": violation_type},
            now,
        )
    after = held - covered  # what the entry leaves held (DEP-8), without a second read
    deducted = Deducted(e, violation_id, violation_type, loss, covered, uncovered, after, flagged)
    return view, deducted


LISTED = 50  # deductions a `deductions` notice lists; its figures count them all
NAMED = 100  # violation ids its data names


def _tell_and_review(
    uow: UnitOfWork, view: ShopView, run: list[Deducted], now: datetime
) -> ShopView:
    """Tell the seller of a run of deductions (one notice), announce each deduction
    (`deposit.deducted`, naming that notice), then review the deposit once (DEP-5):
    the view as the review leaves it."""
    currencies = {d.loss.currency for d in run}
    if len(run) == 1 or len(currencies) > 1:
        for d in run:
            _announce(uow, view, [d], _notice_of_one(uow, view, d, now).id, now)
    else:
        _announce(uow, view, run, _notice_of_many(uow, view, run, now).id, now)
    last = run[-1]
    cause = Cause(CauseKind.VIOLATION_DEDUCTED, after=last.loss, ref=last.violation_id)
    return replace(view, shop=review_funding(uow, view, now, cause))


def _notice_of_one(uow: UnitOfWork, view: ShopView, d: Deducted, now: datetime) -> Notice:
    return issue_notice(
        uow,
        view,
        NoticeKind.DEDUCTION,
        now,
        d.data(),
        None,
        loss=d.loss,
        covered=d.covered,
        uncovered=d.uncovered,
        violation_id=d.violation_id,
        violation_type=d.violation_type,
        held=d.held,
        closure_flagged=d.flagged,
    )


def _notice_of_many(uow: UnitOfWork, view: ShopView, run: list[Deducted], now: datetime) -> Notice:
    currency = run[0].loss.currency
    loss = Money(currency, sum(d.loss.minor for d in run))
    covered = Money(currency, sum(d.covered.minor for d in run))
    uncovered = loss - covered
    flagged = [d for d in run if d.flagged]
    data: dict[str, str | int] = {
        "violations": len(run),
        "violation_ids": ",".join(d.violation_id for d in run[:NAMED]),
        "loss_minor": loss.minor,
        "covered_minor": covered.minor,
        "receivable_added_minor": uncovered.minor,
        "held_minor": run[-1].held.minor,
        "currency": currency,
    }
    return issue_notice(
        uow,
        view,
        NoticeKind.DEDUCTIONS,
        now,
        data,
        None,
        deductions=run[:LISTED],
        more=len(run) - min(len(run), LISTED),
        count=len(run),
        loss=loss,
        covered=covered,
        uncovered=uncovered,
        held=run[-1].held,
        closure_flagged=[d.violation_id for d in flagged],
    )


def _announce(
    uow: UnitOfWork, view: ShopView, run: list[Deducted], notice_id: str, now: datetime
) -> None:
    if not wanted(uow, "deposit.deducted"):
        return  # nobody listens: skip building a payload per deduction
    for d in run:
        publish(
            uow,
            "deposit.deducted",
            f"{view.shop.id}:{d.violation_id}",
            {
                "shop_id": view.shop.id,
                "violation_id": d.violation_id,
                "type": d.violation_type,
                "consumer_loss": money_data(d.loss),
                "covered": money_data(d.covered),
                "receivable_added": money_data(d.uncovered),
                "held": money_data(d.held),
                "closure_flagged": d.flagged,
                "event_id": d.event.id,
                "notice_id": notice_id,
            },
            now,
        )


def _proceeds(uow: UnitOfWork, view: ShopView, e: Event, now: datetime) -> ShopView:
    """Credit the proceeds; DEP-7: take what an under-funded shop owes from them. The
    view as it leaves it."""
    proceeds = e.money()
    uow.ledger.post(e.shop_id, proceeds_entry(proceeds, e.id), now, f"event:{e.id}")
    shop = view.shop
    if shop.case is None or shop.status is ShopStatus.PENDING_DEPOSIT:
        return view  # funded (no open case): nothing to take
    before = position(uow, view)
    amount = Money(proceeds.currency, min(owed(before).minor, proceeds.minor))
    if not amount.is_positive():
        return view
    uow.ledger.post(shop.id, offset_entry(amount, before.receivable, e.id), now, f"event:{e.id}")
    after = position(uow, view)
    data: dict[str, str | int] = {
        "amount_minor": amount.minor,
        "currency": amount.currency,
        "event_id": e.id,
        "held_minor": after.held.minor,
        "owed_minor": owed(after).minor,
    }
    notice = issue_notice(
        uow,
        view,
        NoticeKind.OFFSET,
        now,
        data,
        None,
        amount=amount,
        event_id=e.id,
        held=after.held,
        owed_after=owed(after),
    )
    publish(
        uow,
        "deposit.offset",
        f"{shop.id}:{e.id}",
        {
            "shop_id": shop.id,
            "amount": money_data(amount),
            "held": money_data(after.held),
            "owed": money_data(owed(after)),
            "event_id": e.id,
            "occurred_at": time_data(e.occurred_at),
            "notice_id": notice.id,
        },
        now,
    )
    cause = Cause(CauseKind.OFFSET, after=amount)
    return replace(view, shop=review_funding(uow, view, now, cause))
