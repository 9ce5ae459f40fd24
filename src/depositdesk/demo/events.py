"""Marketplace events as plain dicts, the shape `POST /v1/events` takes (domain.md §6).

The one event builder of the demo, the tests and the benchmarks. `event()` takes
any data, so a test can also build what ingestion must refuse (EVT-1); the
helpers for the types that carry money take `Money` and write the decimal string
and currency pair the event carries (DEP-2). The benchmarks build a million of
these, so each call stays a dict literal and little else.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from depositdesk.domain.clock import utc
from depositdesk.domain.money import Money

EventJson = dict[str, Any]


def timestamp(at: datetime | str) -> str:
    """`occurred_at` in RFC 3339: a datetime as `YYYY-MM-DDTHH:MM:SSZ` (UTC, to the
    second); a string as given."""
    if isinstance(at, str):
        return at
    # isoformat is cheaper than strftime (the benchmarks make a million of these)
    # and pads years below 1000; in UTC its first 19 characters are the seconds.
    return utc(at).isoformat(timespec="seconds")[:19] + "Z"


def event(
    id: str, type: str, shop_id: str, occurred_at: datetime | str, /, **data: Any
) -> EventJson:
    """One event: `data` holds the type's fields as the marketplace sends them
    (positional-only parameters, so a field may be called `type` or `id`)."""
    return {
        "id": id,
        "type": type,
        "shop_id": shop_id,
        "occurred_at": timestamp(occurred_at),
        "data": data,
    }


def order_placed(
    id: str,
    shop_id: str,
    occurred_at: datetime | str,
    *,
    order_id: str,
    category: str,
    amount: Money,
    customer_id: str,
) -> EventJson:
    return event(
        id,
        "order.placed",
        shop_id,
        occurred_at,
        order_id=order_id,
        category=category,
        amount=amount.format(),
        currency=amount.currency,
        customer_id=customer_id,
    )


def fine_issued(
    id: str, shop_id: str, occurred_at: datetime | str, *, fine_id: str, amount: Money, reason: str
) -> EventJson:
    return event(
        id,
        "fine.issued",
        shop_id,
        occurred_at,
        fine_id=fine_id,
        amount=amount.format(),
        currency=amount.currency,
        reason=reason,
    )


def violation_recorded(
    id: str,
    shop_id: str,
    occurred_at: datetime | str,
    *,
    violation_id: str,
    type: str,
    consumer_loss: Money,
    order_id: str | None = None,
) -> EventJson:
    data: dict[str, Any] = {
        "violation_id": violation_id,
        "type": type,
        "consumer_loss": consumer_loss.format(),
        "currency": consumer_loss.currency,
    }
    if order_id is not None:
        data["order_id"] = order_id
    return event(id, "violation.recorded", shop_id, occurred_at, **data)


def charge_billed(
    id: str, shop_id: str, occurred_at: datetime | str, *, charge_id: str, kind: str, amount: Money
) -> EventJson:
    return event(
        id,
        "charge.billed",
        shop_id,
        occurred_at,
        charge_id=charge_id,
        kind=kind,
        amount=amount.format(),
        currency=amount.currency,
    )


def proceeds_available(
    id: str, shop_id: str, occurred_at: datetime | str, *, amount: Money
) -> EventJson:
    return event(
        id,
        "proceeds.available",
        shop_id,
        occurred_at,
        amount=amount.format(),
        currency=amount.currency,
    )
