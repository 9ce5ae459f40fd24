from __future__ import annotations

from fastapi import APIRouter, Depends

from depositdesk.bootstrap import App
from depositdesk.entrypoints.api.deps import get_app, get_principal
from depositdesk.entrypoints.api.schemas.events import IngestOut
from depositdesk.entrypoints.api.schemas.requests import EventsIn
from depositdesk.services.access import Principal
from depositdesk.services.ingestion import ingest

router = APIRouter(prefix="/v1", tags=["events"])


@router.post("/events", summary="A batch of marketplace events (EVT-1..4)")
def post_events(
    body: EventsIn, app: App = Depends(get_app), who: Principal = Depends(get_principal)
) -> IngestOut:
    return IngestOut.of(ingest(app.uow, who, app.now_refreshed, body.events))
