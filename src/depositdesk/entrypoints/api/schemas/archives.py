"""Shop data archives (UNL-4)."""

from __future__ import annotations

from pydantic import Field, StrictBool

from depositdesk.domain.archives import Archive, ArchiveStatus
from depositdesk.entrypoints.api.schemas.common import Out, Time
from depositdesk.entrypoints.api.schemas.requests import Body


class ArchiveIn(Body):
    anonymize_customers: StrictBool = Field(
        description="customers as stable pseudonyms, and no names, emails, phones or "
        "addresses anywhere in the archive"
    )


class ArchiveFileOut(Out):
    name: str = Field(examples=["orders.parquet"])
    kind: str = Field(examples=["orders"])
    format: str = Field(description="csv or parquet")
    rows: int
    sha256: str
    bytes: int


class ArchiveOut(Out):
    id: str = Field(examples=["arc_188a3c2f9d4e5b6a7c8d"])
    shop_id: str
    status: ArchiveStatus = Field(description="queued, running, ready or failed")
    progress: int = Field(description="percent of the files written")
    anonymize_customers: bool
    created_at: Time
    finished_at: Time | None = None
    error: str | None = Field(default=None, description="why it failed")
    size: int | None = Field(default=None, description="bytes of the zip, once ready")
    sha256: str | None = Field(default=None, description="of the zip, once ready")
    files: list[ArchiveFileOut] | None = Field(
        default=None, description="the zip's files as manifest.json lists them, once ready"
    )

    @classmethod
    def of(cls, a: Archive) -> ArchiveOut:
        ready = a.status is ArchiveStatus.READY
        return cls(
            id=a.id,
            shop_id=a.shop_id,
            status=a.status,
            progress=a.progress,
            anonymize_customers=a.anonymize_customers,
            created_at=a.created_at,
            finished_at=a.finished_at,
            error=a.error,
            size=a.size,
            sha256=a.sha256,
            files=[
                ArchiveFileOut(
                    name=f.name,
                    kind=f.kind,
                    format=f.format,
                    rows=f.rows,
                    sha256=f.sha256,
                    bytes=f.bytes,
                )
                for f in a.files
            ]
            if ready
            else None,
        )
