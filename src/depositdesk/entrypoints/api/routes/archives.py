"""Shop data archives (UNL-4): ask for one, follow it, download its zip."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path
from fastapi.responses import FileResponse

from depositdesk.adapters.archive_writer import LocalArchiveStore
from depositdesk.entrypoints.api.deps import Call, ShopId, get_call
from depositdesk.entrypoints.api.schemas.archives import ArchiveIn, ArchiveOut
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.strict_json import StrictJsonRoute
from depositdesk.services import archives
from depositdesk.services.usecase import read, run

ArchiveId = Annotated[str, Path(pattern="^arc_[0-9a-f]{20}$", description="the archive's id")]
router = APIRouter(
    prefix="/v1",
    tags=["unlinks"],
    route_class=StrictJsonRoute,
    responses=problem_responses(401, 403, 404, 422, 500),
)


@router.post(
    "/shops/{shop_id}/archives",
    status_code=202,
    summary="Start an archive of the shop's data (UNL-4; owner/admin): a zip of CSV and "
    "Parquet files with a manifest, built by the worker; 409 archive_running while one is "
    "queued or running",
    responses=problem_responses(409, 413),
)
def start_archive(
    shop_id: ShopId,
    body: ArchiveIn,
    c: Call = Depends(get_call),
    idempotency_key: str | None = Header(
        default=None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="the same key and body replay the first answer",
    ),
) -> ArchiveOut:
    archive = run(
        c,
        archives.start_archive,
        c.who,
        c.now,
        shop_id,
        anonymize_customers=body.anonymize_customers,
        idempotency_key=idempotency_key,
    )
    return ArchiveOut.of(archive)


@router.get("/archives/{archive_id}", summary="An archive's status and progress (UNL-4)")
def get_archive(archive_id: ArchiveId, c: Call = Depends(get_call)) -> ArchiveOut:
    return ArchiveOut.of(read(c, archives.get_archive, c.who, c.now, archive_id))


@router.get(
    "/archives/{archive_id}/download",
    summary="The archive's zip, streamed (UNL-4); 404 until it is ready",
    response_class=FileResponse,
    responses={
        200: {
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            "description": "the zip: CSV and Parquet files and manifest.json",
        }
    },
)
def download(archive_id: ArchiveId, c: Call = Depends(get_call)) -> FileResponse:
    store = LocalArchiveStore(c.app.settings.data_dir)
    found = read(c, archives.download, c.who, c.now, archive_id, store=store)
    return FileResponse(found.path, media_type="application/zip", filename=found.filename)
