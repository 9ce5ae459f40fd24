from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from depositdesk.domain.outbox import DeliveryStatus
from depositdesk.domain.webhook_endpoints import ENDPOINT_ID
from depositdesk.entrypoints.api import cursors
from depositdesk.entrypoints.api.deps import Call, Cursor, get_call, page_limit
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.schemas.webhooks import (
    WebhookDeliveryPageOut,
    WebhookEndpointCreatedOut,
    WebhookEndpointIn,
    WebhookEndpointOut,
    WebhookEndpointPageOut,
)
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services import webhook_endpoints
from depositdesk.services.usecase import read, run

router = APIRouter(
    prefix="/v1/webhook-endpoints",
    tags=["webhooks"],
    route_class=StrictJsonRoute,
    responses=problem_responses(401, 403, 404, 422, 500),
)
WRITES = problem_responses(413)

EndpointId = Annotated[
    str,
    Path(
        pattern=f"^{ENDPOINT_ID.pattern}$",
        description="the endpoint's id",
        examples=["whe_0123456789abcdef"],
    ),
]


@router.post(
    "",
    status_code=201,
    summary="Register a webhook receiver; the answer shows its signing secret, once",
    responses=WRITES,
)
def create_endpoint(
    body: WebhookEndpointIn, c: Call = Depends(get_call)
) -> WebhookEndpointCreatedOut:
    endpoint = run(
        c, webhook_endpoints.create_endpoint, c.who, c.now, url=body.url, events=body.events
    )
    return WebhookEndpointCreatedOut.of(endpoint)


@router.get("", summary="Webhook receivers, newest first, with their delivery counts")
def list_endpoints(
    cursor: Cursor = None, limit: int = Depends(page_limit), c: Call = Depends(get_call)
) -> WebhookEndpointPageOut:
    scope, secret = f"webhook-endpoints:{c.who.party}", c.app.settings.secret_key
    after = cursors.decode_created(cursor, scope, secret)
    page = read(c, webhook_endpoints.list_endpoints, c.who, c.now, cursor=after, limit=limit)
    return WebhookEndpointPageOut.of(page, cursors.encode(page.next_cursor, scope, secret))


@router.get("/{endpoint_id}", summary="A webhook receiver and its delivery counts")
def get_endpoint(endpoint_id: EndpointId, c: Call = Depends(get_call)) -> WebhookEndpointOut:
    return WebhookEndpointOut.of(read(c, webhook_endpoints.get_endpoint, c.who, c.now, endpoint_id))


@router.post(
    "/{endpoint_id}/disable",
    summary="Stop deliveries to a receiver (its pending ones fail as 'endpoint disabled')",
    responses=WRITES,
)
def disable_endpoint(endpoint_id: EndpointId, c: Call = Depends(get_call)) -> WebhookEndpointOut:
    return WebhookEndpointOut.of(
        run(c, webhook_endpoints.disable_endpoint, c.who, c.now, endpoint_id)
    )


@router.get(
    "/{endpoint_id}/deliveries",
    summary="A receiver's deliveries, newest first: attempts, status and the last error",
)
def list_deliveries(
    endpoint_id: EndpointId,
    status: DeliveryStatus | None = Query(None, description="pending, sent or failed"),
    cursor: Cursor = None,
    limit: int = Depends(page_limit),
    c: Call = Depends(get_call),
) -> WebhookDeliveryPageOut:
    scope = f"webhook-deliveries:{c.who.party}:{endpoint_id}:{status or '*'}"
    secret = c.app.settings.secret_key
    after = cursors.decode_created(cursor, scope, secret)
    page = read(
        c,
        webhook_endpoints.list_deliveries,
        c.who,
        c.now,
        endpoint_id,
        status=status,
        cursor=after,
        limit=limit,
    )
    return WebhookDeliveryPageOut.of(page, cursors.encode(page.next_cursor, scope, secret))
