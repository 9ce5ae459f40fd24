"""Written notices to sellers (DEP-5): what was said, when, under which policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from depositdesk.domain.policy import PolicyRef


class NoticeKind(StrEnum):
    TOPUP = "topup"  # DEP-5


@dataclass(frozen=True, slots=True)
class Notice:
    id: str
    shop_id: str
    kind: NoticeKind
    subject: str
    body: str
    data: dict[str, str | int]  # the figures behind the text, in minor units
    created_at: datetime
    due_at: datetime | None
    policy: PolicyRef | None
