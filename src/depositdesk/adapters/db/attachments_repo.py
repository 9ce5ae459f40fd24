"""Proof files' records (REF-4) on SQLAlchemy Core; the bytes live in the FileStore."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, RowMapping, insert, select

from depositdesk.adapters.db.tables import attachments
from depositdesk.domain.attachments import Attachment, AttachmentMediaType


def _attachment(row: RowMapping) -> Attachment:
    return Attachment(
        id=row["id"],
        seller_id=row["seller_id"],
        uploaded_by=row["uploaded_by"],
        sha256=row["sha256"],
        size=row["size"],
        media_type=AttachmentMediaType(row["media_type"]),
        filename=row["filename"],
        width=row["width"],
        height=row["height"],
        pages=row["pages"],
        created_at=row["created_at"],
    )


class AttachmentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, attachment: Attachment) -> None:
        self.conn.execute(
            insert(attachments).values(
                id=attachment.id,
                seller_id=attachment.seller_id,
                uploaded_by=attachment.uploaded_by,
                sha256=attachment.sha256,
                size=attachment.size,
                media_type=attachment.media_type.value,
                filename=attachment.filename,
                width=attachment.width,
                height=attachment.height,
                pages=attachment.pages,
                created_at=attachment.created_at,
            )
        )

    def get(self, attachment_id: str) -> Attachment | None:
        return self.many([attachment_id]).get(attachment_id)

    def many(self, attachment_ids: Iterable[str]) -> dict[str, Attachment]:
        ids = sorted(set(attachment_ids))
        if not ids:
            return {}
        q = select(attachments).where(attachments.c.id.in_(ids))
        return {row["id"]: _attachment(row) for row in self.conn.execute(q).mappings()}
