"""Proof files (REF-4): `POST /v1/attachments` (multipart) and reading one back."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Request, Response

from depositdesk.domain.attachments import ATTACHMENT_ID, FILE, Limits
from depositdesk.entrypoints.api.deps import Call, CallRoute, app_of, get_call, get_caller
from depositdesk.entrypoints.api.schemas.attachments import (
    CONTENT_RESPONSE,
    UPLOAD_BODY,
    AttachmentOut,
)
from depositdesk.entrypoints.api.schemas.problems import problem_responses
from depositdesk.entrypoints.api.uploads import Upload, read_file_part
from depositdesk.services import attachments
from depositdesk.services.usecase import read, run

router = APIRouter(
    prefix="/v1/attachments",
    tags=["attachments"],
    route_class=CallRoute,
    responses=problem_responses(401, 403, 404, 422, 500),
)

AttachmentId = Annotated[
    str,
    Path(
        pattern=f"^{ATTACHMENT_ID.pattern}$",
        description="the attachment's id",
        examples=["att_0123456789abcdef"],
    ),
]


def _uploader(c: Call = Depends(get_caller)) -> Call:
    """The caller, refused (403) before a byte of the body is read unless it may upload.
    The upload runs in a transaction of its own once the body is in (get_caller), so
    no writer waits while a client sends 10 MiB."""
    attachments.require_uploader(c.who)
    return c


async def _file(request: Request) -> Upload:
    max_bytes = app_of(request).settings.attachment_max_bytes
    return await read_file_part(request, FILE, max_bytes)


@router.post(
    "",
    status_code=201,
    summary="Upload a proof file: PDF, PNG or JPEG, recognised by its content (REF-4)",
    description=(
        "Sellers' owner, admin and staff (the file belongs to their seller), platform "
        "admins and reviewers. The type is recognised from the bytes (magic number and a "
        "parse of the PDF's cross-reference table and page tree, or of the image header); "
        "the name's extension and the part's Content-Type are ignored. Refusals name the "
        "field and rule, and store nothing: `413 payload_too_large` (rule `too_large`: "
        "over DEPOSITDESK_ATTACHMENT_MAX_BYTES, 10 MiB by default; refused as soon as the "
        "body shows it), `422 validation_error` with rule `unsupported_type` (not a PDF, "
        "PNG or JPEG), `corrupt`, `encrypted` (a PDF that needs a password), `empty`, "
        "`too_many_pixels` (over "
        "DEPOSITDESK_ATTACHMENT_MAX_PIXELS, 40,000,000 by default, read from the header "
        "without decoding), `too_many_pages` (over 500) on `file`, `bad_filename` on "
        "`file.filename`; `415 unsupported_media_type` when the body is not "
        "multipart/form-data."
    ),
    responses=problem_responses(413, 415),
    openapi_extra={"requestBody": UPLOAD_BODY},
)
def upload_attachment(
    c: Call = Depends(_uploader), upload: Upload = Depends(_file)
) -> AttachmentOut:
    settings = c.app.settings
    limits = Limits(
        max_bytes=settings.attachment_max_bytes, max_pixels=settings.attachment_max_pixels
    )
    attachment = run(
        c,
        attachments.upload,
        c.who,
        c.now,
        data=upload.data,
        filename=upload.filename,
        limits=limits,
        files=c.app.gateways.files,
    )
    return AttachmentOut.of(attachment)


@router.get(
    "/{attachment_id}",
    summary="A proof file's record: the uploading seller's users and platform staff",
)
def get_attachment(attachment_id: AttachmentId, c: Call = Depends(get_call)) -> AttachmentOut:
    return AttachmentOut.of(read(c, attachments.get_attachment, c.who, c.now, attachment_id))


@router.get(
    "/{attachment_id}/content",
    summary="A proof file's bytes, as uploaded, as a download",
    response_class=Response,
    responses=CONTENT_RESPONSE,
)
def get_attachment_content(attachment_id: AttachmentId, c: Call = Depends(get_call)) -> Response:
    got = read(c, attachments.get_content, c.who, c.now, attachment_id, files=c.app.gateways.files)
    return Response(
        got.data,
        media_type=got.attachment.media_type.value,
        headers={
            "Content-Disposition": content_disposition(got.attachment.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


def content_disposition(filename: str) -> str:
    """`attachment` with the name in UTF-8 (RFC 6266 `filename*`) and, for old
    clients, an ASCII stand-in (other characters, quotes and backslashes as `_`)."""
    fallback = "".join(ch if " " <= ch <= "~" and ch not in '"\\' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
