from __future__ import annotations

from fastapi import APIRouter, Depends

from depositdesk.bootstrap import App
from depositdesk.entrypoints.api.deps import get_app, get_principal
from depositdesk.entrypoints.api.schemas.events import IngestOut
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.schemas.requests import EventsIn
from depositdesk.entrypoints.api.strict_json import ItemwiseJsonRoute
from depositdesk.services.access import Principal
from depositdesk.services.ingestion import ingest

# Events are judged one by one (EVT-1): a bad value in one event rejects that event.
router = APIRouter(
    prefix="/v1",
    tags=["events"],
    route_class=ItemwiseJsonRoute,
    responses=problem_responses(401, 403, 413, 422, 500),
)


@router.post("/events", summary="A batch of marketplace events (EVT-1..4)")
def post_events(
    body: EventsIn, app: App = Depends(get_app), who: Principal = Depends(get_principal)
) -> IngestOut:
    return IngestOut.of(ingest(app.uow, who, app.now_refreshed, body.events))
