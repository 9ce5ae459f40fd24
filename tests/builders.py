"""Builders for test data in the shapes outside systems send."""

from __future__ import annotations

from typing import Any


def ev(
    event_id: str, event_type: str, at: str, /, shop: str = "shop1", **data: Any
) -> dict[str, Any]:
    """An event as the marketplace sends it (domain.md §6)."""
    return {"id": event_id, "type": event_type, "shop_id": shop, "occurred_at": at, "data": data}


def placed(
    id: str,
    order: str,
    at: str,
    category: str = "apparel",
    amount: str = "20.00",
    currency: str = "GBP",
    shop: str = "shop1",
) -> dict[str, Any]:
    return ev(
        id,
        "order.placed",
        at,
        shop,
        order_id=order,
        category=category,
        amount=amount,
        currency=currency,
        customer_id=f"cust-{order}",
    )
