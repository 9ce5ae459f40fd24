"""Webhook endpoints and their deliveries (interface.md "Webhooks")."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from depositdesk.domain.outbox import DeliveryStatus, OutboxMessage
from depositdesk.domain.webhook_endpoints import (
    MAX_SUBSCRIPTIONS,
    MAX_URL_LENGTH,
    SUBSCRIPTIONS,
    WebhookEndpoint,
)
from depositdesk.entrypoints.api.schemas.common import Out, Time
from depositdesk.entrypoints.api.schemas.requests import Body
from depositdesk.services.paging import Page
from depositdesk.services.webhook_endpoints import EndpointView

# The service checks these with its own rule names (known_event_type, url_scheme, …);
# the schema shows them.
Subscription = Annotated[str, Field(max_length=80, json_schema_extra={"enum": list(SUBSCRIPTIONS)})]


class WebhookEndpointIn(Body):
    url: str = Field(
        max_length=MAX_URL_LENGTH,
        examples=["https://hooks.example.com/depositdesk"],
        description="where deliveries are POSTed: http or https, with a host, no user "
        "name or password, no spaces or control characters",
        json_schema_extra={"pattern": "^[Hh][Tt][Tt][Pp][Ss]?://"},
    )
    events: list[Subscription] = Field(
        min_length=1,
        max_length=MAX_SUBSCRIPTIONS,
        examples=[["shop.funded", "enforcement.*"]],
        description="distinct event types, families (`deposit.*`) or `*` for all",
    )


class WebhookEndpointCreatedOut(Out):
    """The new endpoint with its signing secret: the only answer that shows it."""

    id: str
    url: str
    events: list[str]
    created_at: Time
    secret: str = Field(
        description="signs every delivery (Depositdesk-Signature); shown only here, keep it now"
    )

    @classmethod
    def of(cls, endpoint: WebhookEndpoint) -> WebhookEndpointCreatedOut:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            events=list(endpoint.events),
            created_at=endpoint.created_at,
            secret=endpoint.secret,
        )


class DeliveryCountsOut(Out):
    pending: int
    sent: int
    failed: int


class WebhookEndpointOut(Out):
    id: str
    url: str
    events: list[str]
    created_at: Time
    created_by: str
    disabled_at: Time | None
    deliveries: DeliveryCountsOut

    @classmethod
    def of(cls, view: EndpointView) -> WebhookEndpointOut:
        e, counts = view.endpoint, view.deliveries
        return cls(
            id=e.id,
            url=e.url,
            events=list(e.events),
            created_at=e.created_at,
            created_by=e.created_by,
            disabled_at=e.disabled_at,
            deliveries=DeliveryCountsOut(
                pending=counts[DeliveryStatus.PENDING],
                sent=counts[DeliveryStatus.SENT],
                failed=counts[DeliveryStatus.FAILED],
            ),
        )


class WebhookEndpointPageOut(Out):
    items: list[WebhookEndpointOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[EndpointView], next_cursor: str | None) -> WebhookEndpointPageOut:
        return cls(items=[WebhookEndpointOut.of(v) for v in page.items], next_cursor=next_cursor)


class WebhookDeliveryOut(Out):
    """One event for the endpoint and how its delivery went."""

    id: str = Field(description="the delivery's own id")
    event_id: str | None = Field(description="the `id` the receiver sees, the same every try")
    type: str
    created_at: Time
    attempts: int
    status: DeliveryStatus
    sent_at: Time | None
    failed_at: Time | None
    last_error: str | None
    next_attempt_at: Time | None = Field(description="pending deliveries: when it is tried next")

    @classmethod
    def of(cls, message: OutboxMessage) -> WebhookDeliveryOut:
        return cls(
            id=message.id,
            event_id=message.event_id,
            type=message.topic,
            created_at=message.created_at,
            attempts=message.attempts,
            status=message.status,
            sent_at=message.sent_at,
            failed_at=message.failed_at,
            last_error=message.last_error,
            next_attempt_at=message.available_at if message.pending else None,
        )


class WebhookDeliveryPageOut(Out):
    items: list[WebhookDeliveryOut]
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[OutboxMessage], next_cursor: str | None) -> WebhookDeliveryPageOut:
        return cls(items=[WebhookDeliveryOut.of(m) for m in page.items], next_cursor=next_cursor)
