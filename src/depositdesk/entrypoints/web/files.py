"""A proof file's bytes for a page (the seller's own, or any for the console), read
through the attachments use case that `GET /v1/attachments/{id}/content` uses."""

from __future__ import annotations

from starlette.responses import Response

from depositdesk.entrypoints.api.routes.attachments import content_disposition
from depositdesk.entrypoints.web.pages import Page
from depositdesk.services import attachments
from depositdesk.services.usecase import read


def proof_file(page: Page, attachment_id: str) -> Response:
    assert page.who is not None
    got = read(
        page.app,
        attachments.get_content,
        page.who,
        page.now,
        attachment_id,
        files=page.app.gateways.files,
    )
    return Response(
        got.data,
        media_type=got.attachment.media_type.value,
        headers={
            "Content-Disposition": content_disposition(got.attachment.filename),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
