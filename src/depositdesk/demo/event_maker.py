"""One demo shop's history as marketplace events: orders and what hangs off them."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from depositdesk.demo.events import (
    EventJson,
    charge_billed,
    event,
    fine_issued,
    order_placed,
    proceeds_available,
)
from depositdesk.demo.plans import ShopPlan
from depositdesk.domain.money import Money

# Typical order values per category, in major units of GBP/USD (CNY is scaled).
PRICE = {
    "apparel": (8, 120),
    "home": (10, 300),
    "beauty": (5, 80),
    "food": (3, 50),
    "electronics": (20, 900),
    "jewellery": (50, 2500),
}
CNY_FACTOR = 9
TICKET_SUBJECTS = (
    "Where is my parcel?",
    "Wrong size delivered",
    "Invoice request",
    "Can I change the delivery address?",
    "Item arrived damaged",
    "Question about the return label",
    "Gift wrapping?",
)


@dataclass
class Order:
    id: str
    category: str
    placed_at: datetime
    delivered_at: datetime | None = None
    cancelled: bool = False


@dataclass
class EventMaker:
    """Builds one shop's events (events.py shapes); what lies after `now` is left out."""

    rng: random.Random
    now: datetime
    shop: ShopPlan
    events: list[EventJson] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    _seq: dict[str, int] = field(default_factory=dict)

    def next_id(self, prefix: str) -> str:
        n = self._seq.get(prefix, 0) + 1
        self._seq[prefix] = n
        return f"{self.shop.id}-{prefix}{n:05d}"

    def emit(self, type_: str, at: datetime, **data: Any) -> None:
        if at <= self.now:  # else it has not happened yet
            self.events.append(event(self.next_id("e"), type_, self.shop.id, at, **data))

    def add(self, at: datetime, build: Callable[..., EventJson], **fields: Any) -> None:
        """An event made by one of events.py's helpers, e.g. `order_placed`."""
        if at <= self.now:
            self.events.append(build(self.next_id("e"), self.shop.id, at, **fields))

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def money(self, minor: int) -> Money:
        return Money(self.shop.currency, minor)

    def scaled(self, minor: int) -> Money:
        """A GBP/USD-sized amount in the shop's currency."""
        return self.money(minor * CNY_FACTOR if self.shop.currency == "CNY" else minor)

    def price(self, category: str) -> Money:
        low, high = PRICE[category]
        minor = self.scaled(self.rng.randint(low * 100, high * 100)).minor
        return self.money(minor - minor % 10 + 9)  # x.x9 prices

    # -- orders ----------------------------------------------------------------
    def place_orders(
        self,
        count: int,
        categories: Iterable[str],
        start_days_ago: float,
        end_days_ago: float = 0.0,
        cancel_share: float = 0.03,
        must_deliver: bool = False,
    ) -> list[Order]:
        """Orders placed between two moments; each is shipped and delivered a few
        days later unless that lies in the future (then it is still open)."""
        cats = list(categories)
        made = []
        for _ in range(count):
            placed = self.ago(self.rng.uniform(end_days_ago, start_days_ago))
            order = Order(self.next_id("o"), self.rng.choice(cats), placed)
            customer = f"{self.shop.id}-c{self.rng.randint(1, max(40, count // 3)):04d}"
            self.add(
                placed,
                order_placed,
                order_id=order.id,
                category=order.category,
                amount=self.price(order.category),
                customer_id=customer,
            )
            if self.rng.random() < cancel_share:
                order.cancelled = True
                self.emit(
                    "order.cancelled",
                    placed + timedelta(hours=self.rng.uniform(1, 30)),
                    order_id=order.id,
                )
            else:
                shipped = placed + timedelta(hours=self.rng.uniform(8, 60))
                delivered = shipped + timedelta(hours=self.rng.uniform(24, 140))
                if must_deliver:
                    delivered = min(delivered, self.ago(1))
                    shipped = min(shipped, delivered - timedelta(hours=6))
                self.emit("order.shipped", shipped, order_id=order.id)
                self.emit("order.delivered", delivered, order_id=order.id)
                if delivered <= self.now:
                    order.delivered_at = delivered
            made.append(order)
        self.orders.extend(made)
        return made

    def delivered(self, category: str | None = None) -> list[Order]:
        return [
            o
            for o in self.orders
            if o.delivered_at is not None and (category is None or o.category == category)
        ]

    # -- cases and money around the orders --------------------------------------
    def after_sales_cases(self, share: float, leave_open: int = 0) -> None:
        """Returns and refunds on delivered orders; the newest `leave_open` stay open."""
        orders = sorted(
            self.rng.sample(self.delivered(), int(len(self.delivered()) * share)),
            key=lambda o: o.delivered_at or self.now,
        )
        for i, order in enumerate(orders):
            assert order.delivered_at is not None
            opened = min(
                order.delivered_at + timedelta(days=self.rng.uniform(0.5, 10)), self.ago(0.5)
            )
            case = self.next_id("as")
            self.emit("after_sales.opened", opened, case_id=case, order_id=order.id)
            if i < len(orders) - leave_open:
                self.emit(
                    "after_sales.closed",
                    min(opened + timedelta(days=self.rng.uniform(1, 6)), self.ago(0.2)),
                    case_id=case,
                    order_id=order.id,
                )

    def disputes(self, count: int, leave_open: int = 0) -> None:
        pool = self.delivered()
        for i, order in enumerate(sorted(self.rng.sample(pool, count), key=lambda o: o.placed_at)):
            assert order.delivered_at is not None
            opened = min(order.delivered_at + timedelta(days=self.rng.uniform(1, 12)), self.ago(1))
            dispute = self.next_id("dp")
            self.emit("dispute.opened", opened, dispute_id=dispute, order_id=order.id)
            if i < count - leave_open:
                self.emit(
                    "dispute.resolved",
                    min(opened + timedelta(days=self.rng.uniform(3, 15)), self.ago(0.5)),
                    dispute_id=dispute,
                    order_id=order.id,
                )

    def complaints(self, count: int, leave_open: int = 0) -> None:
        for i in range(count):
            opened = (
                self.ago(self.rng.uniform(5, self.shop.opened_days_ago - 5))
                if i < count - leave_open
                else self.ago(self.rng.uniform(2, 6))
            )
            complaint = self.next_id("cp")
            self.emit("complaint.opened", opened, complaint_id=complaint)
            if i < count - leave_open:
                self.emit(
                    "complaint.resolved",
                    min(opened + timedelta(days=self.rng.uniform(1, 9)), self.ago(0.5)),
                    complaint_id=complaint,
                )

    def fine(self, days_ago: float, amount: Money, reason: str, paid: bool) -> None:
        fine = self.next_id("fn")
        self.add(self.ago(days_ago), fine_issued, fine_id=fine, amount=amount, reason=reason)
        if paid:
            self.emit("fine.paid", self.ago(max(days_ago - 6, 0.5)), fine_id=fine)

    def monthly_money(self, outstanding: str | None = None) -> None:
        """Commission and advertising bills (settled a week later) and sales
        proceeds made available, once a month; `outstanding` leaves the latest
        bill of that kind unpaid."""
        months = int(self.shop.opened_days_ago // 30)
        for m in range(months, 0, -1):
            billed = self.ago(m * 30 - 2)
            for kind, low, high in (("commission", 60, 400), ("advertising", 20, 250)):
                unpaid = outstanding == kind and m == 1
                if kind == "advertising" and not unpaid and self.rng.random() < 0.4:
                    continue
                amount = self.scaled(self.rng.randint(low * 100, high * 100))
                charge = self.next_id("ch")
                self.add(billed, charge_billed, charge_id=charge, kind=kind, amount=amount)
                if not unpaid:
                    self.emit(
                        "charge.settled",
                        billed + timedelta(days=self.rng.uniform(2, 8)),
                        charge_id=charge,
                    )
            amount = self.scaled(self.rng.randint(800 * 100, 6000 * 100))
            self.add(billed + timedelta(days=1), proceeds_available, amount=amount)

    def marketing(self, campaigns: int, creators: int, keep_running: bool) -> None:
        for i in range(campaigns):
            start = self.ago(self.rng.uniform(20, self.shop.opened_days_ago - 10))
            cid = self.next_id("cm")
            self.emit("campaign.started", start, campaign_id=cid)
            if not (keep_running and i == campaigns - 1):
                self.emit(
                    "campaign.stopped",
                    min(start + timedelta(days=self.rng.uniform(7, 21)), self.ago(1)),
                    campaign_id=cid,
                )
        for i in range(creators):
            bound = self.ago(self.rng.uniform(15, self.shop.opened_days_ago - 10))
            cid = f"creator-{self.rng.randint(100, 999)}-{i}"
            self.emit("creator.bound", bound, creator_id=cid)
            if not keep_running or i % 2:
                self.emit(
                    "creator.unbound",
                    min(bound + timedelta(days=self.rng.uniform(10, 40)), self.ago(1)),
                    creator_id=cid,
                )

    def tickets(self, count: int, leave_open: int = 0) -> None:
        for i in range(count):
            opened = self.ago(self.rng.uniform(0.5, self.shop.opened_days_ago - 2))
            tid = self.next_id("tk")
            subject = self.rng.choice(TICKET_SUBJECTS)
            self.emit("ticket.opened", opened, ticket_id=tid, subject=subject)
            if i >= leave_open:
                self.emit(
                    "ticket.closed",
                    min(opened + timedelta(hours=self.rng.uniform(2, 72)), self.ago(0.1)),
                    ticket_id=tid,
                    subject=subject,
                )
