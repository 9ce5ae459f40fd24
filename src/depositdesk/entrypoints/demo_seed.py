"""The demo marketplace behind `depositdesk demo` (interface.md, "Command line").

Seeds a small marketplace once per SQLite file, through the services (never raw
SQL), and creates fresh bearer tokens on every run: tokens are stored hashed, so
they can only be shown at the moment they are made.

What the seeded shops show (ids are marketplace-style, e.g. ``acme-uk-01``):

==============  ===============================================================
acme-uk-01      healthy, busy GB shop; apparel 1,000 + beauty 1,500 → required
                1,500 GBP, the highest, not the sum (DEP-1); campaigns,
                creators, tickets, open orders, orders in after-sales windows
acme-uk-02      stopped selling electronics (``category.stopped``) after its last
                electronics order finished: a difference refund of 1,500 GBP is
                eligible (REF-2)
acme-cn-01      apparel 2,000 + home 5,000 → 5,000 CNY (DEP-1), paid in two
                instalments; an open dispute, an open complaint, an unpaid fine
                and an outstanding advertising charge (REF-1 blockers)
bluefin-cn-01   funded, then electronics added three days ago: required 20,000
                CNY (not 30,000), under-funded, top-up notice due (DEP-5)
bluefin-cn-02   new shop, nothing paid in: ``pending_deposit`` (DEP-4); its
                first orders are still taken
cedar-us-01     an empty-parcel violation whose consumer loss (800 USD) exceeds
                the 500 USD held: deposit emptied, 300 USD receivable (DEP-8)
cedar-us-02     healthy US shop (flat 500 USD), proceeds and settled charges
dragon-uk-01    contract terminated (REF-9); every order delivered and every
                case closed, so a full refund waits only for after-sales periods
                that end on a date (``clears_at`` / ``earliest_at``, REF-3)
==============  ===============================================================

Everything happens relative to the clock's "now": shops were opened a few
months ago and their events are spread over that time. The structure comes from
a fixed ``random.Random`` seed, so every demo looks the same.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from depositdesk.bootstrap import App
from depositdesk.domain.errors import NotFound
from depositdesk.services.access import Principal, Role
from depositdesk.services.deposits import pay_in
from depositdesk.services.ingestion import ingest
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.sellers import create_seller, get_seller
from depositdesk.services.shops import create_shop, set_categories, terminate
from depositdesk.services.tokens import create_token
from depositdesk.services.usecase import read, run

SEED = 20_240_601
MARKER_SELLER = "demo-acme"
ADMIN = Principal.system(Role.PLATFORM_ADMIN, "demo seed")
INTEGRATION = Principal.system(Role.INTEGRATION, "demo seed")

CURRENCY = {"cn-crossborder": "CNY", "gb": "GBP", "us": "USD"}
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


@dataclass(frozen=True)
class SellerPlan:
    id: str
    name: str
    email: str
    language: str = "en"


SELLERS = (
    SellerPlan("demo-acme", "Acme Trading Ltd", "ops@acme.example"),
    SellerPlan("demo-bluefin", "Bluefin Home & Living Co.", "deposit@bluefin.example", "zh"),
    SellerPlan("demo-cedar", "Cedar Beauty Inc.", "finance@cedar.example"),
    SellerPlan("demo-dragon", "Dragon Electronics Ltd", "accounts@dragon.example"),
)


@dataclass(frozen=True)
class ShopPlan:
    id: str
    seller: str
    name: str
    market: str
    categories: tuple[str, ...]
    opened_days_ago: int
    orders: int
    payins: tuple[str, ...] = ()  # amounts in major units, paid a few days apart

    @property
    def currency(self) -> str:
        return CURRENCY[self.market]


SHOPS = (
    ShopPlan(
        "acme-uk-01",
        "demo-acme",
        "Acme Apparel UK",
        "gb",
        ("apparel", "beauty"),
        170,
        640,
        ("1500.00",),
    ),
    ShopPlan(
        "acme-uk-02",
        "demo-acme",
        "Acme Gadgets & Wear UK",
        "gb",
        ("apparel", "electronics"),
        165,
        420,
        ("2500.00",),
    ),
    ShopPlan(
        "acme-cn-01",
        "demo-acme",
        "Acme Cross-border",
        "cn-crossborder",
        ("apparel", "home"),
        160,
        520,
        ("3000.00", "2000.00"),
    ),
    ShopPlan(
        "bluefin-cn-01",
        "demo-bluefin",
        "Bluefin Home",
        "cn-crossborder",
        ("food", "home"),
        150,
        380,
        ("5000.00",),
    ),
    ShopPlan(
        "bluefin-cn-02", "demo-bluefin", "Bluefin Kids", "cn-crossborder", ("apparel",), 2, 14
    ),
    ShopPlan(
        "cedar-us-01",
        "demo-cedar",
        "Cedar Beauty US",
        "us",
        ("apparel", "beauty"),
        140,
        260,
        ("500.00",),
    ),
    ShopPlan(
        "cedar-us-02", "demo-cedar", "Cedar Home US", "us", ("food", "home"), 120, 300, ("500.00",)
    ),
    ShopPlan(
        "dragon-uk-01",
        "demo-dragon",
        "Dragon Electronics UK",
        "gb",
        ("electronics", "home"),
        175,
        260,
        ("2500.00",),
    ),
)

# The scenario moments, in days before now.
CATEGORY_ADDED_DAYS_AGO = 3  # bluefin-cn-01 adds electronics
TERMINATED_DAYS_AGO = 12  # dragon-uk-01's contract ends
STOPPED_DAYS_AGO = 75  # acme-uk-02 stops electronics
LAST_ELECTRONICS_ORDER_DAYS_AGO = 82  # ... after its last electronics order


def _money(minor: int) -> str:
    return f"{minor // 100}.{minor % 100:02d}"


def _ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Order:
    id: str
    category: str
    placed_at: datetime
    delivered_at: datetime | None = None
    cancelled: bool = False


@dataclass
class EventMaker:
    """Builds one shop's events as plain dicts (the shape POST /v1/events takes)."""

    rng: random.Random
    now: datetime
    shop: ShopPlan
    events: list[dict[str, Any]] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    _seq: dict[str, int] = field(default_factory=dict)

    def next_id(self, prefix: str) -> str:
        n = self._seq.get(prefix, 0) + 1
        self._seq[prefix] = n
        return f"{self.shop.id}-{prefix}{n:05d}"

    def emit(self, type_: str, at: datetime, **data: Any) -> None:
        if at > self.now:
            return  # not happened yet
        if "amount" in data or "consumer_loss" in data:
            data["currency"] = self.shop.currency
        self.events.append(
            {
                "id": self.next_id("e"),
                "type": type_,
                "shop_id": self.shop.id,
                "occurred_at": _ts(at),
                "data": data,
            }
        )

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    def price(self, category: str) -> int:
        low, high = PRICE[category]
        minor = self.rng.randint(low * 100, high * 100)
        if self.shop.currency == "CNY":
            minor *= CNY_FACTOR
        return minor - minor % 10 + 9  # x.x9 prices

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
            self.emit(
                "order.placed",
                placed,
                order_id=order.id,
                category=order.category,
                amount=_money(self.price(order.category)),
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

    def fine(self, days_ago: float, amount: int, reason: str, paid: bool) -> None:
        fine = self.next_id("fn")
        self.emit(
            "fine.issued", self.ago(days_ago), fine_id=fine, amount=_money(amount), reason=reason
        )
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
                amount = self.rng.randint(low * 100, high * 100)
                if self.shop.currency == "CNY":
                    amount *= CNY_FACTOR
                charge = self.next_id("ch")
                self.emit(
                    "charge.billed", billed, charge_id=charge, kind=kind, amount=_money(amount)
                )
                if not unpaid:
                    self.emit(
                        "charge.settled",
                        billed + timedelta(days=self.rng.uniform(2, 8)),
                        charge_id=charge,
                    )
            amount = self.rng.randint(800 * 100, 6000 * 100)
            if self.shop.currency == "CNY":
                amount *= CNY_FACTOR
            self.emit("proceeds.available", billed + timedelta(days=1), amount=_money(amount))

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
        subjects = (
            "Where is my parcel?",
            "Wrong size delivered",
            "Invoice request",
            "Can I change the delivery address?",
            "Item arrived damaged",
            "Question about the return label",
            "Gift wrapping?",
        )
        for i in range(count):
            opened = self.ago(self.rng.uniform(0.5, self.shop.opened_days_ago - 2))
            tid = self.next_id("tk")
            subject = self.rng.choice(subjects)
            self.emit("ticket.opened", opened, ticket_id=tid, subject=subject)
            if i >= leave_open:
                self.emit(
                    "ticket.closed",
                    min(opened + timedelta(hours=self.rng.uniform(2, 72)), self.ago(0.1)),
                    ticket_id=tid,
                    subject=subject,
                )


# -- the scenarios, one function per shop ---------------------------------------------


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
    ev.fine(90, 50_000, "late shipment rate above threshold", paid=True)
    ev.fine(9, 120_000, "misleading product description", paid=False)
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
    """An empty parcel: the consumer's 800.00 loss is more than the 500.00 held."""
    ev.place_orders(ev.shop.orders, ev.shop.categories, ev.shop.opened_days_ago - 2)
    ev.after_sales_cases(0.03, leave_open=1)
    victim = max(
        (o for o in ev.delivered() if o.delivered_at and o.delivered_at < ev.ago(8)),
        key=lambda o: o.delivered_at or ev.now,
    )
    ev.emit("complaint.opened", ev.ago(6), complaint_id="cedar-us-01-cp-emptybox")
    ev.emit(
        "violation.recorded",
        ev.ago(5),
        violation_id="cedar-us-01-v-emptybox",
        type="empty_parcel",
        consumer_loss="800.00",
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
    ev.fine(40, 15_000, "late dispatch", paid=True)
    ev.monthly_money()
    ev.marketing(campaigns=2, creators=4, keep_running=True)
    ev.tickets(20, leave_open=1)


def _dragon_uk_01(ev: EventMaker) -> None:
    """Terminated 12 days ago: all orders before the cutoff, all delivered by now,
    every case, dispute, complaint, fine and charge closed; only after-sales
    periods (60 days for electronics) still run."""
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
    ev.fine(60, 25_000, "counterfeit listing reported (rectified)", paid=True)
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
}


def build_events(now: datetime, seed: int = SEED) -> list[dict[str, Any]]:
    """Every shop's events, in time order (as a marketplace would send them)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for plan in SHOPS:
        maker = EventMaker(random.Random(rng.getrandbits(64)), now, plan)
        SCENARIOS[plan.id](maker)
        out.extend(maker.events)
    out.sort(key=lambda e: (e["occurred_at"], e["id"]))
    return out


# -- sellers, shops and money, through the services ----------------------------------


def _setup(uow: UnitOfWork, now: datetime) -> None:
    """One unit of work: either the whole marketplace is there, or none of it."""
    day = timedelta(days=1)
    for s in SELLERS:
        create_seller(
            uow,
            ADMIN,
            now - timedelta(days=200),
            id=s.id,
            name=s.name,
            email=s.email,
            language=s.language,
        )
    for plan in SHOPS:
        opened = now - plan.opened_days_ago * day
        create_shop(
            uow,
            ADMIN,
            opened,
            id=plan.id,
            seller_id=plan.seller,
            name=plan.name,
            market=plan.market,
            categories=list(plan.categories),
        )
        for i, amount in enumerate(plan.payins):
            key = f"demo-payin-{plan.id}" + (f"-{i + 1}" if i else "")
            pay_in(
                uow,
                INTEGRATION,
                opened + (1 + 6 * i) * day + timedelta(hours=3),
                plan.id,
                amount=amount,
                currency=plan.currency,
                reference=f"TRF-{plan.id.upper()}-{i + 1:02d}",
                idempotency_key=key,
            )
    # DEP-5: a new, costlier category raises the required deposit to 20,000 CNY.
    set_categories(
        uow,
        ADMIN,
        now - CATEGORY_ADDED_DAYS_AGO * day,
        "bluefin-cn-01",
        categories=["electronics", "food", "home"],
    )
    # REF-9: the platform ends a contract; no new orders after this moment.
    terminate(
        uow,
        ADMIN,
        now - TERMINATED_DAYS_AGO * day,
        "dragon-uk-01",
        reason="repeated counterfeit reports; contract ended by the platform",
    )


def _seeded(application: App) -> bool:
    try:
        read(application, get_seller, ADMIN, application.now_refreshed(), MARKER_SELLER)
    except NotFound:
        return False
    return True


def _seed_data(application: App, console: Console) -> None:
    started = time.monotonic()
    now = application.now_refreshed()
    with console.status("creating sellers and shops…"):
        run(application, _setup, now)
    events = build_events(now)
    with Progress(
        TextColumn("[bold]ingesting demo events[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task("ingest", total=len(events))
        result = ingest(
            application.uow,
            INTEGRATION,
            application.now_refreshed,
            events,
            chunk=1000,
            progress=lambda n: progress.advance(task, n),
        )
    if result.rejected:
        console.print(f"[yellow]{len(result.rejected)} demo events were rejected[/yellow]")
        for rejection in result.rejected[:5]:
            console.print(f"  {rejection}")
    console.print(
        f"[green]seeded[/green] {len(SELLERS)} sellers, {len(SHOPS)} shops, "
        f"{result.accepted:,} events in {time.monotonic() - started:.1f} s"
    )


def _tokens(application: App) -> list[tuple[str, str, str]]:
    now = application.now_refreshed()
    wanted = [
        ("platform_admin", None, "operations"),
        ("reviewer", None, "refund review"),
        ("auditor", None, "audit"),
        ("integration", None, "marketplace systems"),
        ("owner", "demo-acme", "demo-acme"),
        ("staff", "demo-acme", "demo-acme"),
        ("owner", "demo-cedar", "demo-cedar"),
    ]
    rows = []
    for role, seller, who in wanted:
        issued = run(
            application,
            create_token,
            ADMIN,
            now,
            role=role,
            seller_id=seller,
            name=f"demo {role} ({who})",
        )
        rows.append((role, who, issued.token))
    return rows


def seed(application: App, console: Console) -> list[tuple[str, str, str]]:
    """Seed the demo marketplace (once per database) and return fresh tokens as
    (role, who, token) rows."""
    if _seeded(application):
        console.print(
            f"demo marketplace already seeded (seller {MARKER_SELLER} exists); "
            "creating fresh tokens only"
        )
    else:
        _seed_data(application, console)
    console.print("shops: " + ", ".join(f"{p.id} ({p.market})" for p in SHOPS))
    return _tokens(application)
