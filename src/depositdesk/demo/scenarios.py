"""What happens in each demo shop (the table in `depositdesk.demo`), as events."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime

from depositdesk.demo.event_maker import EventMaker
from depositdesk.demo.events import EventJson, proceeds_available, violation_recorded
from depositdesk.demo.plans import (
    FALCON_LAST_ELECTRONICS_ORDER_DAYS_AGO,
    LAST_ELECTRONICS_ORDER_DAYS_AGO,
    SHOPS,
    STOPPED_DAYS_AGO,
    TERMINATED_DAYS_AGO,
)

SEED = 20_240_601


def _acme_uk_01(ev: EventMaker) -> None:
    """Healthy and busy: open orders, after-sales windows, marketing, tickets."""
    ev.place_orders(ev.shop.orders, ev.shop.categories, ev.shop.opened_days_ago - 2)
    ev.after_sales_cases(0.03, leave_open=2)
    ev.disputes(3)
    ev.complaints(4)
    ev.monthly_money()
    ev.marketing(campaigns=4, creators=6, keep_running=True)
    ev.tickets(40, leave_open=3)


def _acme_uk_02(ev: EventMaker) -> None:
    """Electronics sold until ~82 days ago, then stopped; apparel goes on."""
    n_elec = ev.shop.orders // 3
    ev.place_orders(
        n_elec,
        ["electronics"],
        ev.shop.opened_days_ago - 2,
        LAST_ELECTRONICS_ORDER_DAYS_AGO,
        cancel_share=0.02,
    )
    ev.emit("category.stopped", ev.ago(STOPPED_DAYS_AGO), category="electronics")
    ev.place_orders(ev.shop.orders - n_elec, ["apparel"], ev.shop.opened_days_ago - 2)
    ev.after_sales_cases(0.02)
    ev.disputes(2)  # resolved, electronics or not
    ev.monthly_money()
    ev.tickets(15)


def _acme_cn_01(ev: EventMaker) -> None:
    """Busy CN shop with the records that block a full refund (REF-1)."""
    ev.place_orders(ev.shop.orders, ev.shop.categories, ev.shop.opened_days_ago - 3)
    ev.after_sales_cases(0.03, leave_open=3)
    ev.disputes(4, leave_open=1)
    ev.complaints(5, leave_open=1)
    ev.fine(90, ev.money(50_000), "late shipment rate above threshold", paid=True)
    ev.fine(9, ev.money(120_000), "misleading product description", paid=False)
    ev.monthly_money(outstanding="advertising")
    ev.marketing(campaigns=2, creators=3, keep_running=True)
    ev.tickets(30, leave_open=2)


def _bluefin_cn_01(ev: EventMaker) -> None:
    ev.place_orders(ev.shop.orders, ev.shop.categories, ev.shop.opened_days_ago - 3)
    ev.after_sales_cases(0.02, leave_open=1)
    ev.disputes(2)
    ev.complaints(2)
    ev.monthly_money()
    ev.tickets(20, leave_open=1)


def _bluefin_cn_02(ev: EventMaker) -> None:
    """Opened two days ago, nothing paid in; the marketplace still reports orders."""
    ev.place_orders(ev.shop.orders, ev.shop.categories, 1.9, cancel_share=0.0)
    ev.tickets(2, leave_open=1)


def _cedar_us_01(ev: EventMaker) -> None:
    """An empty parcel: the consumer's 800.00 loss is more than the 500.00 held (DEP-8)."""
    ev.place_orders(ev.shop.orders, ev.shop.categories, ev.shop.opened_days_ago - 2)
    ev.after_sales_cases(0.03, leave_open=1)
    victim = max(
        (o for o in ev.delivered() if o.delivered_at and o.delivered_at < ev.ago(8)),
        key=lambda o: o.delivered_at or ev.now,
    )
    ev.emit("complaint.opened", ev.ago(6), complaint_id="cedar-us-01-cp-emptybox")
    ev.add(
        ev.ago(5),
        violation_recorded,
        violation_id="cedar-us-01-v-emptybox",
        type="empty_parcel",
        consumer_loss=ev.money(80_000),
        order_id=victim.id,
    )
    ev.emit("complaint.resolved", ev.ago(4), complaint_id="cedar-us-01-cp-emptybox")
    ev.disputes(2)
    ev.monthly_money()
    ev.tickets(18, leave_open=2)


def _cedar_us_02(ev: EventMaker) -> None:
    ev.place_orders(ev.shop.orders, ev.shop.categories, ev.shop.opened_days_ago - 2)
    ev.after_sales_cases(0.02)
    ev.complaints(2)
    ev.fine(40, ev.money(15_000), "late dispatch", paid=True)
    ev.monthly_money()
    ev.marketing(campaigns=2, creators=4, keep_running=True)
    ev.tickets(20, leave_open=1)


def _cedar_us_03(ev: EventMaker) -> None:
    """A short-shipment loss of 200 USD leaves the deposit short; proceeds arriving
    four days later pay it automatically (DEP-7: an offset, told afterwards)."""
    ev.place_orders(ev.shop.orders, ev.shop.categories, ev.shop.opened_days_ago - 2)
    ev.add(
        ev.ago(10),
        violation_recorded,
        violation_id="cedar-us-03-v-short",
        type="short_shipment",
        consumer_loss=ev.money(20_000),
    )
    ev.add(ev.ago(6), proceeds_available, amount=ev.money(120_000))


def _eagle_uk(ev: EventMaker) -> None:
    """A small shop that stopped topping up (DEP-6): its ladder step is set by how
    long ago its required deposit rose (plans.LADDER_CATEGORY_ADDED_DAYS_AGO)."""
    ev.place_orders(ev.shop.orders, ev.shop.categories, ev.shop.opened_days_ago - 2)
    ev.tickets(3, leave_open=1)


def _falcon_uk(ev: EventMaker) -> None:
    """Electronics sold and delivered until ~120 days ago, apparel still sold: the
    electronics difference (1,500 GBP) can come back once the seller stops it (REF-2);
    what happens to each shop's refund is in demo/refund_stages.py."""
    n_elec = ev.shop.orders // 3
    ev.place_orders(
        n_elec,
        ["electronics"],
        ev.shop.opened_days_ago - 2,
        FALCON_LAST_ELECTRONICS_ORDER_DAYS_AGO,
        must_deliver=True,
    )
    ev.place_orders(ev.shop.orders - n_elec, ["apparel"], ev.shop.opened_days_ago - 2)
    ev.tickets(4, leave_open=1)


def _dragon_uk_01(ev: EventMaker) -> None:
    """Terminated 12 days ago: all orders before the cutoff, all delivered by now,
    every case, dispute, complaint, fine and charge closed; only after-sales
    periods (60 days for electronics) still run (REF-3)."""
    ev.place_orders(
        ev.shop.orders,
        ev.shop.categories,
        ev.shop.opened_days_ago - 2,
        TERMINATED_DAYS_AGO + 2,
        must_deliver=True,
    )
    ev.after_sales_cases(0.03)
    ev.disputes(3)
    ev.complaints(3)
    ev.fine(60, ev.money(25_000), "counterfeit listing reported (rectified)", paid=True)
    ev.monthly_money()
    ev.marketing(campaigns=2, creators=2, keep_running=False)
    ev.tickets(15)


SCENARIOS: dict[str, Callable[[EventMaker], None]] = {
    "acme-uk-01": _acme_uk_01,
    "acme-uk-02": _acme_uk_02,
    "acme-cn-01": _acme_cn_01,
    "bluefin-cn-01": _bluefin_cn_01,
    "bluefin-cn-02": _bluefin_cn_02,
    "cedar-us-01": _cedar_us_01,
    "cedar-us-02": _cedar_us_02,
    "dragon-uk-01": _dragon_uk_01,
    "cedar-us-03": _cedar_us_03,
    **{f"eagle-uk-0{i}": _eagle_uk for i in range(1, 7)},
    **{f"falcon-uk-0{i}": _falcon_uk for i in range(1, 8)},
}


def build_events(now: datetime, seed: int = SEED) -> list[EventJson]:
    """Every shop's events, in time order (as a marketplace would send them)."""
    rng = random.Random(seed)
    out: list[EventJson] = []
    for plan in SHOPS:
        maker = EventMaker(random.Random(rng.getrandbits(64)), now, plan)
        SCENARIOS[plan.id](maker)
        out.extend(maker.events)
    out.sort(key=lambda e: (e["occurred_at"], e["id"]))
    return out
