"""Proof files (REF-4): what an upload answers, and what reading one shows."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from depositdesk.domain.attachments import (
    ATTACHMENT_ID,
    FILE,
    MAX_FILENAME_LENGTH,
    Attachment,
    AttachmentMediaType,
)
from depositdesk.entrypoints.api.schemas.common import Out, Time

MEDIA_TYPES = [m.value for m in AttachmentMediaType]

# The multipart body as the route reads it (it reads the stream itself, to stop at
# the size limit): one part named `file`, with a filename, nothing else.
UPLOAD_BODY: dict[str, Any] = {
    "required": True,
    "description": (
        "multipart/form-data with one part, `file`: a PDF, PNG or JPEG, recognised by "
        "its content (the part's Content-Type and the name's extension are ignored), "
        "with a filename of 1-255 printable characters and no folder"
    ),
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {FILE: {"type": "string", "format": "binary"}},
                "required": [FILE],
                "additionalProperties": False,
            },
            "encoding": {FILE: {"contentType": ", ".join(MEDIA_TYPES)}},
        }
    },
}

# The bytes as uploaded, in the type they were recognised as.
CONTENT_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the file's bytes, as uploaded (Content-Disposition: attachment)",
        "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in MEDIA_TYPES},
    }
}


class AttachmentOut(Out):
    id: str = Field(
        examples=["att_0123456789abcdef"], json_schema_extra={"pattern": ATTACHMENT_ID.pattern}
    )
    filename: str = Field(max_length=MAX_FILENAME_LENGTH, examples=["bank-statement.pdf"])
    media_type: AttachmentMediaType = Field(description="what the content was recognised as")
    size: int = Field(description="bytes")
    sha256: str = Field(description="hex SHA-256 of the bytes: the key they are stored under")
    width: int | None = Field(description="images: pixels")
    height: int | None = Field(description="images: pixels")
    pages: int | None = Field(description="PDFs: pages")
    created_at: Time

    @classmethod
    def of(cls, a: Attachment) -> AttachmentOut:
        return cls(
            id=a.id,
            filename=a.filename,
            media_type=a.media_type,
            size=a.size,
            sha256=a.sha256,
            width=a.width,
            height=a.height,
            pages=a.pages,
            created_at=a.created_at,
        )
