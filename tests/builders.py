"""Builders for test data in the shapes outside systems send."""

from __future__ import annotations

from typing import Any

from depositdesk.demo.events import EventJson, event


def ev(event_id: str, event_type: str, at: str, /, shop: str = "shop1", **data: Any) -> EventJson:
    """An event as the marketplace sends it (domain.md §6), for shop `shop1` by default."""
    return event(event_id, event_type, shop, at, **data)


def placed(
    id: str,
    order: str,
    at: str,
    category: str = "apparel",
    amount: str = "20.00",
    currency: str = "GBP",
    shop: str = "shop1",
) -> EventJson:
    """An `order.placed`; amount and currency as given, so a test can send bad ones."""
    return event(
        id,
        "order.placed",
        shop,
        at,
        order_id=order,
        category=category,
        amount=amount,
        currency=currency,
        customer_id=f"cust-{order}",
    )


def us_version_2(app: Any, apparel: str, effective: str = "2025-01-01") -> str:
    """The us pack as exported, made version 2 from `effective` with apparel's deposit
    (the first category) set to `apparel`."""
    from depositdesk.services import policies
    from depositdesk.services.usecase import read
    from tests.conftest import ADMIN

    text = read(app, policies.export, ADMIN, app.clock.now(), "us")
    text = text.replace("version = 1", "version = 2").replace(
        "effective_from = 2024-01-01", f"effective_from = {effective}"
    )
    return text.replace('deposit = "500.00"', f'deposit = "{apparel}"', 1)


def open_shop(app: Any, now: Any, categories: list[str], market: str = "gb") -> None:
    """Default packs, seller `s1` and its shop `shop1`, through the services."""
    from depositdesk.services import policies, sellers, shops
    from depositdesk.services.usecase import run
    from tests.conftest import ADMIN as admin

    run(app, policies.ensure_default_packs, admin, now)
    run(
        app,
        sellers.create_seller,
        admin,
        now,
        id="s1",
        name="S",
        email="s@example.com",
        language=None,
    )
    run(
        app,
        shops.create_shop,
        admin,
        now,
        id="shop1",
        seller_id="s1",
        name="S",
        market=market,
        categories=categories,
    )


def another_shop(app: Any, now: Any, categories: list[str], shop_id: str = "shop2") -> None:
    """A second shop of seller `s1` (after `open_shop`), in gb."""
    from depositdesk.services import shops
    from depositdesk.services.usecase import run
    from tests.conftest import ADMIN as admin

    run(
        app,
        shops.create_shop,
        admin,
        now,
        id=shop_id,
        seller_id="s1",
        name=shop_id.upper(),
        market="gb",
        categories=categories,
    )
