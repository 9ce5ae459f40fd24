"""Webhook endpoints (interface.md "Webhooks"): registering a receiver, listing the
receivers and their deliveries, disabling one. Platform admins only.

An endpoint's signing secret is made here and shown once, in the answer to its
creation (`CreatedEndpoint`); every other answer leaves it out. Deliveries are the
endpoint's outbox rows (services/webhooks.publish writes them, services/outbox.py
sends them): that list is how an operator sees what failed and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from depositdesk.domain.errors import NotFound, ValidationProblem
from depositdesk.domain.ids import new_id
from depositdesk.domain.outbox import DeliveryStatus, OutboxMessage
from depositdesk.domain.webhook_endpoints import (
    WebhookEndpoint,
    new_secret,
    subscription_problems,
    url_problems,
)
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.paging import CreatedCursor, Page
from depositdesk.services.ports.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class EndpointView:
    """An endpoint (its secret is not shown from here) and how many of its
    deliveries are pending, sent and failed."""

    endpoint: WebhookEndpoint
    deliveries: dict[DeliveryStatus, int]


def create_endpoint(
    uow: UnitOfWork, who: Principal, now: datetime, *, url: str, events: list[str]
) -> WebhookEndpoint:
    """Register a receiver of the events matching `events`; the result carries the
    signing secret, which no later answer shows again."""
    require(who, Role.PLATFORM_ADMIN)
    problems = url_problems(url) + subscription_problems(events)
    if problems:
        raise ValidationProblem(problems)
    endpoint = WebhookEndpoint(
        id=new_id("whe"),
        url=url,
        events=tuple(events),
        secret=new_secret(),
        created_at=now,
        created_by=who.actor,
    )
    uow.webhook_endpoints.add(endpoint)
    return endpoint


def list_endpoints(
    uow: UnitOfWork, who: Principal, now: datetime, *, cursor: CreatedCursor | None, limit: int
) -> Page[EndpointView]:
    """Every endpoint, enabled or not, newest first, with its delivery counts."""
    require(who, Role.PLATFORM_ADMIN)
    rows = uow.webhook_endpoints.page(cursor, limit + 1)
    items = rows[:limit]
    counts = uow.outbox.counts_by_endpoint([e.id for e in items])
    last = items[-1] if len(rows) > limit else None
    return Page.of(
        [EndpointView(e, counts[e.id]) for e in items],
        CreatedCursor(last.created_at, last.id) if last else None,
    )


def get_endpoint(uow: UnitOfWork, who: Principal, now: datetime, endpoint_id: str) -> EndpointView:
    require(who, Role.PLATFORM_ADMIN)
    endpoint = _load(uow, endpoint_id)
    return EndpointView(endpoint, uow.outbox.counts_by_endpoint([endpoint_id])[endpoint_id])


def disable_endpoint(
    uow: UnitOfWork, who: Principal, now: datetime, endpoint_id: str
) -> EndpointView:
    """Stop deliveries to the endpoint: nothing more is published to it, and its
    pending deliveries are marked failed ("endpoint disabled") when next claimed.
    Disabling a disabled endpoint changes nothing."""
    require(who, Role.PLATFORM_ADMIN)
    if _load(uow, endpoint_id).disabled_at is None:
        uow.webhook_endpoints.disable(endpoint_id, now)
    return get_endpoint(uow, who, now, endpoint_id)


def list_deliveries(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    endpoint_id: str,
    *,
    status: DeliveryStatus | None,
    cursor: CreatedCursor | None,
    limit: int,
) -> Page[OutboxMessage]:
    """The endpoint's deliveries (all, or those in `status`), newest first."""
    require(who, Role.PLATFORM_ADMIN)
    _load(uow, endpoint_id)
    rows = uow.outbox.for_endpoint(endpoint_id, status, cursor, limit + 1)
    items = rows[:limit]
    last = items[-1] if len(rows) > limit else None
    return Page.of(items, CreatedCursor(last.created_at, last.id) if last else None)


def _load(uow: UnitOfWork, endpoint_id: str) -> WebhookEndpoint:
    endpoint = uow.webhook_endpoints.get(endpoint_id)
    if endpoint is None:
        raise NotFound(f"webhook endpoint {endpoint_id} not found")
    return endpoint
