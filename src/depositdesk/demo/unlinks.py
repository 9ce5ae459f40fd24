"""Unlinks in the demo (UNL-1..9, issue 11): seller demo-gull's three shops.

- `gull-uk-01`: an unlink in progress: the closure notice runs, the agreement is
  accepted, the customers are told and the tax summary is made; an unshipped order,
  the proceeds, the archive and the waiting period still stand in the way.
- `gull-uk-02`: a request held for manual review (a sign-in from a new device the day
  before, UNL-1); a reviewer clears or refuses it (`GET /v1/unlinks?status=manual_review`).
- `gull-uk-03`: unlinked ten days ago; depositdesk applied for its full refund at the
  date (REF-1), a reviewer approved it, and the demo's worker sends the payout.

Each step is a use case at its own past moment, like the refunds' (refund_stages.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from depositdesk.bootstrap import App
from depositdesk.domain.ids import new_ordered_id
from depositdesk.domain.security_signals import SecuritySignal, SignalKind
from depositdesk.domain.timers import Timer
from depositdesk.services import refunds, unlink_actions, unlinks
from depositdesk.services.access import Principal, Role
from depositdesk.services.deposits import pay_in
from depositdesk.services.ingestion import ingest
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.sellers import create_seller
from depositdesk.services.shops import create_shop
from depositdesk.services.usecase import run

SELLER = "demo-gull"
SHOPS = ("gull-uk-01", "gull-uk-02", "gull-uk-03")
ADMIN = Principal.system(Role.PLATFORM_ADMIN, "demo seed")
INTEGRATION = Principal.system(Role.INTEGRATION, "demo seed")
OWNER = Principal("demo-seed-gull", Role.OWNER, SELLER, "demo seed (gull owner)")
REVIEWER = Principal.system(Role.REVIEWER, "demo seed")
CONTACT = "returns@gull.example"


def _shop(uow: UnitOfWork, who: Principal, now: datetime, shop_id: str, opened: datetime) -> None:
    create_shop(
        uow,
        ADMIN,
        opened,
        id=shop_id,
        seller_id=SELLER,
        name=f"Gull Garden {shop_id[-2:]}",
        market="gb",
        categories=["apparel"],
    )
    pay_in(
        uow,
        INTEGRATION,
        opened + timedelta(days=1),
        shop_id,
        amount="1000.00",
        currency="GBP",
        reference=f"TRF-{shop_id.upper()}",
        idempotency_key=f"demo-payin-{shop_id}",
    )


def _setup(uow: UnitOfWork, who: Principal, now: datetime) -> None:
    create_seller(
        uow,
        ADMIN,
        now - timedelta(days=200),
        id=SELLER,
        name="Gull Garden Ltd",
        email="closing@gull.example",
        language="en",
    )
    for i, shop_id in enumerate(SHOPS):
        _shop(uow, who, now, shop_id, now - timedelta(days=150 - i))


def _signal(uow: UnitOfWork, who: Principal, now: datetime) -> None:
    uow.signals.add(
        SecuritySignal(
            id=new_ordered_id("sig"),
            seller_id=SELLER,
            shop_id=None,
            kind=SignalKind.NEW_DEVICE,
            source="demo:new-device",
            detail="signed in from a device never seen before (Lisbon, Firefox on Linux)",
            at=now,
        )
    )


def _unlink_at_date(uow: UnitOfWork, who: Principal, now: datetime, unlink_id: str) -> None:
    """What the worker's `unlink.due` timer does at the date."""
    unlink = uow.unlinks.get(unlink_id)
    assert unlink is not None
    timer = Timer.new(unlinks.UNLINK_TIMER, unlink_id, now, now, {"shop_id": unlink.shop_id})
    unlinks.on_unlink_due(uow, now, timer)


def _events(shop_id: str, at: datetime) -> list[dict[str, object]]:
    t = at.strftime("%Y-%m-%dT%H:%M:%SZ")

    def e(n: int, kind: str, **data: object) -> dict[str, object]:
        return {
            "id": f"demo-{shop_id}-{n}",
            "type": kind,
            "shop_id": shop_id,
            "occurred_at": t,
            "data": data,
        }

    placed = {"category": "apparel", "currency": "GBP"}
    return [
        e(
            1,
            "order.placed",
            order_id="g1",
            amount="45.00",
            tax="7.50",
            customer_id="c-ann",
            customer_email="ann@customers.example",
            **placed,
        ),
        e(
            2,
            "order.placed",
            order_id="g2",
            amount="30.00",
            tax="5.00",
            customer_id="c-bo",
            customer_email="bo@customers.example",
            **placed,
        ),
        e(3, "order.shipped", order_id="g2"),
        e(4, "order.delivered", order_id="g2"),
        e(5, "proceeds.available", amount="250.00", currency="GBP"),
    ]


def make_unlinks(application: App, now: datetime) -> dict[str, str]:
    """The three gull shops at their stages; returns shop id -> unlink id."""
    day = timedelta(days=1)
    london = ZoneInfo("Europe/London")
    run(application, _setup, ADMIN, now - 200 * day)
    ingest(
        application.uow, INTEGRATION, lambda: now - 20 * day, _events("gull-uk-01", now - 20 * day)
    )
    ids: dict[str, str] = {}

    def request(shop_id: str, at: datetime, days_ahead: int) -> str:
        date = (at + days_ahead * day).astimezone(london).date()
        view = run(
            application,
            unlinks.request_unlink,
            OWNER,
            at,
            shop_id,
            unlink_date=date,
            support_contact=CONTACT,
        )
        ids[shop_id] = view.unlink.id
        return view.unlink.id

    # gull-uk-03: unlinked ten days ago, its refund applied for then and approved.
    asked = now - 45 * day
    u3 = request("gull-uk-03", asked, 35)
    run(application, unlinks.start_closure_notice, OWNER, asked, "gull-uk-03")
    run(application, unlinks.accept_agreement, OWNER, asked, u3, version="2026-01")
    run(application, unlinks.confirm, OWNER, now - 14 * day, u3)
    due = now - 10 * day
    run(application, _unlink_at_date, ADMIN, due, u3)
    unlinked = run(application, unlinks.get_unlink, OWNER, due, u3)
    if unlinked.unlink.refund_id is not None:
        run(
            application,
            refunds.decide,
            REVIEWER,
            due + day,
            unlinked.unlink.refund_id,
            decision="approve",
        )

    # gull-uk-01: in progress, some areas done.
    asked = now - 10 * day
    u1 = request("gull-uk-01", asked, 85)  # after the waiting period (90 days)
    run(application, unlinks.start_closure_notice, OWNER, asked, "gull-uk-01")
    run(application, unlinks.accept_agreement, OWNER, asked, u1, version="2026-01")
    for action in ("notify-customers", "tax-summary"):
        run(application, unlink_actions.run_action, OWNER, asked + day, u1, action)

    # gull-uk-02: held for a security review (a new device yesterday).
    run(application, _signal, ADMIN, now - 2 * day)
    request("gull-uk-02", now - day, 30)
    return ids
