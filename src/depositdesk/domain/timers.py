"""Timers: every deadline is a row with a `due_at` (architecture.md "Timers").

A top-up due date (DEP-5), the next enforcement step (DEP-6) or a review SLA is a
`Timer`. The worker claims due timers (PostgreSQL `FOR UPDATE SKIP LOCKED`, so
several workers share them), runs the handler for its `kind` and marks it done in
the same transaction; handlers are idempotent, so a timer that fires twice after
a crash does no harm. A timer whose reason went away (the seller topped up) is
cancelled: done, without firing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Timer:
    id: str
    kind: str  # "topup.due", "enforcement.step", …: picks the handler
    subject: str  # what it is about, e.g. a shop id
    due_at: datetime
    payload: dict[str, object]  # JSON-able
    created_at: datetime
    done_at: datetime | None = None
    cancelled: bool = False  # done without firing

    @classmethod
    def new(
        cls,
        kind: str,
        subject: str,
        due_at: datetime,
        now: datetime,
        payload: dict[str, object] | None = None,
    ) -> Timer:
        return cls(uuid.uuid4().hex, kind, subject, due_at, dict(payload or {}), now)

    @property
    def done(self) -> bool:
        return self.done_at is not None
