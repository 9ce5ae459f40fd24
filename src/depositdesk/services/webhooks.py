"""Webhooks out (interface.md "Webhooks"): one event per change, one delivery per receiver.

`publish` is called inside the transaction of the change it reports. It writes one
outbox row per subscribed endpoint; every row of one change carries the same event
`id`, and each row's `dedupe_key` is the change's key plus the endpoint, so a change
repeated (a retried request, a timer that fired twice) never makes a second event.
The worker signs and sends the rows (services/outbox.py), retrying for 3 days.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from depositdesk.domain.money import Money
from depositdesk.domain.outbox import Channel, OutboxMessage
from depositdesk.domain.webhook_endpoints import EVENT_TYPES
from depositdesk.services.ports.uow import UnitOfWork


def publish(
    uow: UnitOfWork, event_type: str, key: str, data: dict[str, object], now: datetime
) -> str | None:
    """Queue `event_type` with `data` for every endpoint that wants it; `key` names
    the change (e.g. `"ntc_…"`, `"enf:<shop>:<step>:<case opened>"`). Returns the
    event id, None when no endpoint wants it."""
    if event_type not in EVENT_TYPES and event_type.split(".")[0] not in (
        "refund",
        "payout",
        "unlink",
    ):
        raise ValueError(f"unknown webhook event type {event_type!r}")
    receivers = [e for e in uow.webhook_endpoints.all() if e.wants(event_type)]
    if not receivers:
        return None
    event_id = "evt_" + uuid.uuid5(uuid.NAMESPACE_URL, f"{event_type}:{key}").hex
    for endpoint in receivers:
        payload: dict[str, object] = {
            "endpoint_id": endpoint.id,
            "event_id": event_id,
            "data": data,
        }
        uow.outbox.add(
            OutboxMessage.new(
                Channel.WEBHOOK,
                event_type,
                f"{event_type}:{key}:{endpoint.id}",
                payload,
                now,
                endpoint_id=endpoint.id,
            )
        )
    return event_id


def wanted(uow: UnitOfWork, event_type: str) -> bool:
    """Whether any endpoint subscribes to `event_type`: a caller publishing many events
    of one type (a batch of deductions) builds their data only when someone listens."""
    return any(e.wants(event_type) for e in uow.webhook_endpoints.all())


def money_data(value: Money) -> dict[str, str]:
    """Money in a webhook's data, as the API writes it (interface.md "Money")."""
    return {"amount": value.format(), "currency": value.currency}


def time_data(value: datetime) -> str:
    """A time in a webhook's data: RFC 3339 UTC."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
