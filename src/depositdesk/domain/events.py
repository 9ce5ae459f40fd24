"""Marketplace events: their shapes and validation (EVT-1).

Validation is plain Python so that a million events per run stay cheap. An event
that fails is rejected with a machine `reason`, the `field` at fault and a
`detail` in words; the rest of the batch is still taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from depositdesk.domain.clock import utc
from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.money import Money, check_currency

# Field kinds: "id" a non-empty string id, "text" any non-empty string,
# "money" a decimal string paired with the event's `currency` field.
# Each spec maps a data field to (kind, required, "data.<name>" for messages).
_SPECS: dict[str, dict[str, tuple[str, bool, str]]] = {}


def _spec(types: str, **fields: str) -> None:
    parsed = {
        name.rstrip("_"): (kind.rstrip("?"), not kind.endswith("?"), f"data.{name.rstrip('_')}")
        for name, kind in fields.items()
    }
    for t in types.split():
        _SPECS[t] = parsed


_spec(
    "order.placed",
    order_id="id",
    category="id",
    amount="money",
    currency="currency",
    customer_id="id",
)
_spec("order.shipped order.delivered order.cancelled", order_id="id")
_spec("after_sales.opened after_sales.closed", case_id="id", order_id="id")
_spec("dispute.opened dispute.resolved", dispute_id="id", order_id="id?")
_spec("complaint.opened complaint.resolved", complaint_id="id")
_spec("fine.issued", fine_id="id", amount="money", currency="currency", reason="text")
_spec("fine.paid", fine_id="id")
_spec(
    "violation.recorded",
    violation_id="id",
    type_="id",
    consumer_loss="money",
    currency="currency",
    order_id="id?",
)
_spec("violation.rectified", violation_id="id")
_spec("charge.billed", charge_id="id", kind="id", amount="money", currency="currency")
_spec("charge.settled", charge_id="id")
_spec("proceeds.available", amount="money", currency="currency")
_spec("category.stopped", category="id")
_spec("campaign.started campaign.stopped", campaign_id="id")
_spec("creator.bound creator.unbound", creator_id="id")
_spec("ticket.opened ticket.closed", ticket_id="id", subject="text")

EVENT_TYPES: tuple[str, ...] = tuple(sorted(_SPECS))
_CURRENCIES: dict[str, str] = {}  # codes check_currency accepted (ISO 4217 is a short list)
MAX_ID = 128
MAX_TEXT = 2000


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    shop_id: str
    occurred_at: datetime
    data: dict[str, Any]  # validated; money fields as Money

    def money(self, name: str = "amount") -> Money:
        value = self.data[name]
        assert isinstance(value, Money)
        return value

    def sort_key(self) -> tuple[datetime, str]:
        return (self.occurred_at, self.id)


@dataclass(frozen=True, slots=True)
class Rejection:
    index: int
    id: str | None
    reason: str  # unknown_type, missing_field, bad_value, unknown_shop, shop_closed_for_orders
    field: str | None
    detail: str


class EventRejected(Exception):
    def __init__(self, reason: str, field: str | None, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.field = field
        self.detail = detail


def _id(value: object, field: str, required: bool = True) -> str | None:
    if value is None:
        if required:
            raise EventRejected("missing_field", field, f"{field} is required")
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_ID:
        raise EventRejected(
            "bad_value", field, f"{field} must be a non-empty string of at most {MAX_ID} characters"
        )
    return value


def parse_time(value: object, field: str = "occurred_at") -> datetime:
    if value is None:
        raise EventRejected("missing_field", field, f"{field} is required")
    if not isinstance(value, str) or len(value) < 20 or value[10] not in "Tt ":
        raise EventRejected(
            "bad_value", field, f"{field} must be an RFC 3339 time such as 2026-01-31T09:30:00Z"
        )
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise EventRejected(
            "bad_value", field, f"{field} {value!r} is not an RFC 3339 time"
        ) from None
    if parsed.tzinfo is None:
        raise EventRejected(
            "bad_value", field, f"{field} needs a time zone offset (e.g. 'Z' for UTC)"
        )
    return parsed if parsed.tzinfo is UTC else utc(parsed)  # "Z" parses to UTC already


def parse_event(raw: object) -> Event:
    """Validate one raw event (a decoded JSON object), or raise EventRejected."""
    if not isinstance(raw, dict):
        raise EventRejected("bad_value", None, "an event must be a JSON object")
    event_id = _id(raw.get("id"), "id")
    type_ = raw.get("type")
    if type_ is None:
        raise EventRejected("missing_field", "type", "type is required")
    spec = _SPECS.get(type_) if isinstance(type_, str) else None
    if spec is None:
        raise EventRejected(
            "unknown_type",
            "type",
            f"unknown event type {type_!r}; known types: {', '.join(EVENT_TYPES)}",
        )
    shop_id = _id(raw.get("shop_id"), "shop_id")
    occurred_at = parse_time(raw.get("occurred_at"))
    data = raw.get("data")
    if data is None:
        raise EventRejected("missing_field", "data", "data is required")
    if not isinstance(data, dict):
        raise EventRejected("bad_value", "data", "data must be a JSON object")
    clean: dict[str, Any] = {}
    currency: str | None = None
    if "currency" in spec:
        value = data.get("currency")
        if value is None:
            raise EventRejected("missing_field", "data.currency", "data.currency is required")
        currency = _CURRENCIES.get(value) if isinstance(value, str) else None
        if currency is None:
            try:
                currency = check_currency(value, "data.currency")
            except ValidationProblem as problem:
                raise EventRejected("bad_value", "data.currency", problem.detail) from None
            _CURRENCIES[currency] = currency
        clean["currency"] = currency
    for name, (kind, required, field) in spec.items():
        value = data.get(name)
        if kind == "id":
            clean[name] = _id(value, field, required)
        elif kind == "text":
            if value is None:
                raise EventRejected("missing_field", field, f"{field} is required")
            if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
                raise EventRejected("bad_value", field, f"{field} must be a non-empty string")
            clean[name] = value
        elif kind == "money":
            if value is None:
                raise EventRejected("missing_field", field, f"{field} is required")
            try:
                money = Money.parse(value, currency, field)
            except ValidationProblem as problem:
                raise EventRejected("bad_value", field, problem.detail) from None
            if money.minor < 0:
                raise EventRejected("bad_value", field, f"{field} must not be negative")
            clean[name] = money
    assert event_id is not None and shop_id is not None
    return Event(event_id, type_, shop_id, occurred_at, clean)
