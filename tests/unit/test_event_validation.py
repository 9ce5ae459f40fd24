"""EVT-1: each event type's fields are validated; reasons name the field."""

from __future__ import annotations

from typing import Any

import pytest

from depositdesk.domain.events import EVENT_TYPES, EventRejected, parse_event
from depositdesk.domain.money import Money


def _raw(type_: str, **data: Any) -> dict[str, Any]:
    return {
        "id": "e1",
        "type": type_,
        "shop_id": "s",
        "occurred_at": "2026-01-01T00:00:00Z",
        "data": data,
    }


def test_evt1_every_type_of_the_spec_is_known() -> None:
    spec = [
        "order.placed",
        "order.shipped",
        "order.delivered",
        "order.cancelled",
        "after_sales.opened",
        "after_sales.closed",
        "dispute.opened",
        "dispute.resolved",
        "complaint.opened",
        "complaint.resolved",
        "fine.issued",
        "fine.paid",
        "violation.recorded",
        "violation.rectified",
        "charge.billed",
        "charge.settled",
        "proceeds.available",
        "category.stopped",
        "campaign.started",
        "campaign.stopped",
        "creator.bound",
        "creator.unbound",
        "ticket.opened",
        "ticket.closed",
    ]
    assert sorted(spec) == list(EVENT_TYPES)


def test_evt1_money_fields_are_parsed_exactly() -> None:
    event = parse_event(
        _raw(
            "violation.recorded",
            violation_id="v",
            type="counterfeit",
            consumer_loss="12.34",
            currency="GBP",
        )
    )
    assert event.money("consumer_loss") == Money("GBP", 1234)
    assert event.data.get("order_id") is None  # optional field


@pytest.mark.parametrize(
    ("raw", "reason", "field"),
    [
        ({"id": "e1"}, "missing_field", "type"),
        (
            _raw("fine.issued", fine_id="f", amount="1.00", currency="GBP"),
            "missing_field",
            "data.reason",
        ),
        (
            _raw("fine.issued", fine_id="f", amount="-1.00", currency="GBP", reason="r"),
            "bad_value",
            "data.amount",
        ),
        (
            _raw("fine.issued", fine_id="f", amount="1.00", currency="pounds", reason="r"),
            "bad_value",
            "data.currency",
        ),
        (_raw("order.shipped", order_id=""), "bad_value", "data.order_id"),
        (_raw("order.shipped", order_id=7), "bad_value", "data.order_id"),
        (
            {**_raw("order.shipped", order_id="o"), "occurred_at": "2026-01-01T00:00:00"},
            "bad_value",
            "occurred_at",
        ),
        ({**_raw("order.shipped", order_id="o"), "data": []}, "bad_value", "data"),
        ([], "bad_value", None),
    ],
)
def test_evt1_rejections_name_reason_and_field(raw: Any, reason: str, field: str | None) -> None:
    with pytest.raises(EventRejected) as info:
        parse_event(raw)
    assert (info.value.reason, info.value.field) == (reason, field)


def test_evt1_times_are_normalised_to_utc() -> None:
    event = parse_event(
        {**_raw("order.shipped", order_id="o"), "occurred_at": "2026-01-01T08:00:00+08:00"}
    )
    assert event.occurred_at.isoformat() == "2026-01-01T00:00:00+00:00"
