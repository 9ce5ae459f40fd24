"""Where the audit chain's daily anchors are kept, outside the database (AUD-1)."""

from __future__ import annotations

from typing import Protocol

from depositdesk.domain.audit import Anchor


class AnchorStore(Protocol):
    """One anchor per day (UTC, the app clock), written once and never changed."""

    def has(self, day: str) -> bool: ...
    def write(self, anchor: Anchor) -> None:
        """Keep it, unless that day has one already (another worker wrote it)."""
        ...

    def all(self) -> list[Anchor]:
        """Every anchor kept, oldest day first."""
        ...
