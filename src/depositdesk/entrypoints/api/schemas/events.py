"""Marketplace events in (EVT-1..4)."""

from __future__ import annotations

from depositdesk.domain.events import Rejection
from depositdesk.entrypoints.api.schemas.common import Out
from depositdesk.services.ingestion import IngestResult


class RejectionOut(Out):
    index: int
    id: str | None
    reason: str
    field: str | None
    detail: str

    @classmethod
    def of(cls, rejection: Rejection) -> RejectionOut:
        return cls(
            index=rejection.index,
            id=rejection.id,
            reason=rejection.reason,
            field=rejection.field,
            detail=rejection.detail,
        )


class IngestOut(Out):
    accepted: int
    duplicates: int
    rejected: list[RejectionOut]

    @classmethod
    def of(cls, result: IngestResult) -> IngestOut:
        return cls(
            accepted=result.accepted,
            duplicates=result.duplicates,
            rejected=[RejectionOut.of(r) for r in result.rejected],
        )
