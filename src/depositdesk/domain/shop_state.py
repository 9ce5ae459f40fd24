"""The per-shop projection: how each event changes it (EVT-2, EVT-3).

Every field is merged so that the result depends only on the *set* of events,
not their arrival order: a time is the earliest one seen, a first-seen fact is
chosen by (occurred_at, event id), and toggles (campaigns, creators) keep the
last write by (occurred_at, event id). Duplicates by id never reach here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from depositdesk.domain.events import Event


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


@dataclass(slots=True)
class OrderState:
    """One order as the eligibility checks see it."""

    order_id: str
    category: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    customer_id: str | None = None
    placed_at: datetime | None = None
    placed_event: str | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    after_sales_ends_at: datetime | None = None

    @property
    def state(self) -> str:
        """`open` (placed or shipped), `delivered` or `cancelled` (REF-1)."""
        if self.cancelled_at is not None:
            return "cancelled"
        if self.delivered_at is not None:
            return "delivered"
        return "open"

    @property
    def finished_at(self) -> datetime | None:
        """When the order stopped needing anything: cancelled, or after-sales ended."""
        if self.cancelled_at is not None:
            return self.cancelled_at
        return self.after_sales_ends_at


def apply_order_event(order: OrderState, event: Event) -> None:
    """Fold one order.* event into the order (in place)."""
    t = event.type
    at = event.occurred_at
    if t == "order.placed":
        # Two different placed events for one order: the earliest (then lowest id) wins.
        if order.placed_at is None or (at, event.id) < (order.placed_at, order.placed_event or ""):
            order.placed_at = at
            order.placed_event = event.id
            order.category = event.data["category"]
            money = event.money()
            order.amount_minor = money.minor
            order.currency = money.currency
            order.customer_id = event.data["customer_id"]
    elif t == "order.shipped":
        order.shipped_at = _earliest(order.shipped_at, at)
    elif t == "order.delivered":
        order.delivered_at = _earliest(order.delivered_at, at)
    elif t == "order.cancelled":
        order.cancelled_at = _earliest(order.cancelled_at, at)
    else:  # pragma: no cover - routing bug
        raise ValueError(f"not an order event: {t}")


def settle_after_sales(order: OrderState, period: timedelta | None) -> None:
    """After-sales ends `period` after delivery (the pack's days for the category)."""
    if order.delivered_at is None or order.cancelled_at is not None or period is None:
        order.after_sales_ends_at = None
    else:
        order.after_sales_ends_at = order.delivered_at + period


class RecordKind(StrEnum):
    """Case-like records that open and close."""

    AFTER_SALES_CASE = "after_sales_case"
    DISPUTE = "dispute"
    COMPLAINT = "complaint"
    FINE = "fine"
    VIOLATION = "violation"
    CHARGE = "charge"
    TICKET = "ticket"


# Record kinds that open and close, keyed by event type: (kind, id field, opens?)
RECORD_EVENTS: dict[str, tuple[RecordKind, str, bool]] = {
    "after_sales.opened": (RecordKind.AFTER_SALES_CASE, "case_id", True),
    "after_sales.closed": (RecordKind.AFTER_SALES_CASE, "case_id", False),
    "dispute.opened": (RecordKind.DISPUTE, "dispute_id", True),
    "dispute.resolved": (RecordKind.DISPUTE, "dispute_id", False),
    "complaint.opened": (RecordKind.COMPLAINT, "complaint_id", True),
    "complaint.resolved": (RecordKind.COMPLAINT, "complaint_id", False),
    "fine.issued": (RecordKind.FINE, "fine_id", True),
    "fine.paid": (RecordKind.FINE, "fine_id", False),
    "violation.recorded": (RecordKind.VIOLATION, "violation_id", True),
    "violation.rectified": (RecordKind.VIOLATION, "violation_id", False),
    "charge.billed": (RecordKind.CHARGE, "charge_id", True),
    "charge.settled": (RecordKind.CHARGE, "charge_id", False),
    "ticket.opened": (RecordKind.TICKET, "ticket_id", True),
    "ticket.closed": (RecordKind.TICKET, "ticket_id", False),
}


class ToggleKind(StrEnum):
    """Things a shop switches on and off (UNL-6a: stopped and unbound before closing)."""

    CAMPAIGN = "campaign"
    CREATOR = "creator"


# Toggles keep the last write: (kind, id field, on?)
TOGGLE_EVENTS: dict[str, tuple[ToggleKind, str, bool]] = {
    "campaign.started": (ToggleKind.CAMPAIGN, "campaign_id", True),
    "campaign.stopped": (ToggleKind.CAMPAIGN, "campaign_id", False),
    "creator.bound": (ToggleKind.CREATOR, "creator_id", True),
    "creator.unbound": (ToggleKind.CREATOR, "creator_id", False),
}

ORDER_EVENTS = frozenset({"order.placed", "order.shipped", "order.delivered", "order.cancelled"})


@dataclass(slots=True)
class RecordState:
    """A case-like record: after-sales case, dispute, complaint, fine, violation,
    charge or support ticket. Open while opened and not yet closed."""

    kind: RecordKind
    record_id: str
    order_id: str | None = None
    opened_at: datetime | None = None
    opened_event: str | None = None
    closed_at: datetime | None = None
    amount_minor: int | None = None
    currency: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.opened_at is not None and self.closed_at is None


def apply_record_event(record: RecordState, event: Event) -> bool:
    """Fold one event into a record (in place). True when it opened the record
    for the first time: the moment a violation's deduction is booked (DEP-8)."""
    _, _, opens = RECORD_EVENTS[event.type]
    at = event.occurred_at
    if not opens:
        record.closed_at = _earliest(record.closed_at, at)
        if record.order_id is None and event.data.get("order_id"):
            record.order_id = event.data["order_id"]
        return False
    first = record.opened_at is None
    if first or (at, event.id) < (record.opened_at, record.opened_event or ""):
        record.opened_at = at
        record.opened_event = event.id
        data = event.data
        if data.get("order_id") is not None:
            record.order_id = data["order_id"]
        money_field = "consumer_loss" if event.type == "violation.recorded" else "amount"
        money = data.get(money_field)
        if money is not None:
            record.amount_minor = money.minor
            record.currency = money.currency
        record.attrs = {k: v for k, v in data.items() if k in ("type", "kind", "reason", "subject")}
    return first


@dataclass(slots=True)
class ToggleState:
    kind: ToggleKind
    toggle_id: str
    active: bool = False
    changed_at: datetime | None = None
    changed_event: str | None = None


def apply_toggle_event(toggle: ToggleState, event: Event) -> None:
    _, _, on = TOGGLE_EVENTS[event.type]
    key = (event.occurred_at, event.id)
    if toggle.changed_at is None or key > (toggle.changed_at, toggle.changed_event or ""):
        toggle.active = on
        toggle.changed_at = event.occurred_at
        toggle.changed_event = event.id


@dataclass(frozen=True, slots=True)
class CategoryActivity:
    """A shop's category: listed (active) or stopped, last write wins (DEP-1, REF-2)."""

    category: str
    active: bool
    changed_at: datetime
    changed_by: str  # event id or "api:<request>"


def apply_category_stop(current: CategoryActivity | None, event: Event) -> CategoryActivity:
    stop = CategoryActivity(event.data["category"], False, event.occurred_at, event.id)
    if current is None or (stop.changed_at, stop.changed_by) > (
        current.changed_at,
        current.changed_by,
    ):
        return stop
    return current
