"""Marketplace events: their shapes and validation (EVT-1).

Validation is plain Python so that a million events per run stay cheap. An event
that fails is rejected with a machine `reason`, the `field` at fault and a
`detail` in words; the rest of the batch is still taken.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from depositdesk.domain.clock import utc
from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.ids import is_marketplace_id
from depositdesk.domain.json_shape import DuplicateKeys, bad_character, shape_problem
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
# Money moves in the ledger: a zero amount would move nothing (DEP-3, DEP-7, DEP-8).
_POSITIVE_AMOUNTS = frozenset({"violation.recorded", "proceeds.available"})
_CURRENCIES: dict[str, str] = {}  # codes check_currency accepted (ISO 4217 is a short list)
MAX_ID = 128
MAX_TEXT = 2000
MAX_DATA_DEPTH = 16  # levels of arrays and objects inside `data`
MAX_DATA_BYTES = 64 * 1024  # `data` as stored (JSON, UTF-8)
# Ids the marketplace gives events and records: 1-128 printable ASCII characters
# (no spaces, no line breaks), matched in full.
EVENT_ID = re.compile(r"[\x21-\x7e]{1,128}")


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
    # unknown_type, missing_field, bad_value, unknown_shop, shop_closed_for_orders,
    # out_of_range (a time outside the accepted window, an amount or balance past its
    # bound), unprocessable (an error depositdesk logged; nothing of it was stored)
    reason: str
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
    if not isinstance(value, str) or EVENT_ID.fullmatch(value) is None:
        raise EventRejected(
            "bad_value",
            field,
            f"{field} must be 1-{MAX_ID} printable ASCII characters without spaces",
        )
    return value


def _text(value: object, field: str) -> str:
    if value is None:
        raise EventRejected("missing_field", field, f"{field} is required")
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise EventRejected(
            "bad_value", field, f"{field} must be a non-empty string of at most {MAX_TEXT}"
        )
    char = bad_character(value)
    if char is not None:
        raise EventRejected(
            "bad_value", field, f"{field} holds the control character U+{ord(char):04X}"
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
        if parsed.tzinfo is None:
            raise EventRejected(
                "bad_value", field, f"{field} needs a time zone offset (e.g. 'Z' for UTC)"
            )
        return parsed if parsed.tzinfo is UTC else utc(parsed)  # "Z" parses to UTC already
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 with an offset
        raise EventRejected(
            "bad_value", field, f"{field} {value[:40]!r} is not an RFC 3339 time"
        ) from None


def parse_event(raw: object) -> Event:
    """Validate one raw event (a decoded JSON object), or raise EventRejected."""
    if not isinstance(raw, dict):
        raise EventRejected("bad_value", None, "an event must be a JSON object")
    if isinstance(raw, DuplicateKeys):
        raise EventRejected(
            "bad_value", raw.duplicates[0], f"the event has the key {raw.duplicates[0]!r} twice"
        )
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
    shop_id = raw.get("shop_id")
    if shop_id is None:
        raise EventRejected("missing_field", "shop_id", "shop_id is required")
    if not is_marketplace_id(shop_id):
        raise EventRejected("bad_value", "shop_id", "shop_id must match [A-Za-z0-9_-]{1,64}")
    occurred_at = parse_time(raw.get("occurred_at"))
    data = raw.get("data")
    if data is None:
        raise EventRejected("missing_field", "data", "data is required")
    if not isinstance(data, dict):
        raise EventRejected("bad_value", "data", "data must be a JSON object")
    shape = shape_problem(data, "data", MAX_DATA_DEPTH)
    if shape is not None:
        raise EventRejected("bad_value", shape.path, shape.message)
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
            clean[name] = _text(value, field)
        elif kind == "money":
            if value is None:
                raise EventRejected("missing_field", field, f"{field} is required")
            try:
                money = Money.parse(value, currency, field)
            except ValidationProblem as problem:
                raise EventRejected("bad_value", field, problem.detail) from None
            if money.minor < 0:
                raise EventRejected("bad_value", field, f"{field} must not be negative")
            if money.minor == 0 and type_ in _POSITIVE_AMOUNTS:
                raise EventRejected("bad_value", field, f"{field} must be more than zero")
            clean[name] = money
    assert event_id is not None and isinstance(shop_id, str)
    return Event(event_id, type_, shop_id, occurred_at, clean)
