"""Lists come in pages: `{items, next_cursor}` (interface.md, "Lists")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ShopCursor:
    """Where a list of shops goes on: after this (created_at, id), newest first."""

    created_at: datetime
    shop_id: str


@dataclass(frozen=True, slots=True)
class EntryCursor:
    """Where a ledger goes on: entries older than this one."""

    before_id: int


Cursor = ShopCursor | EntryCursor


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Items, and where the next page starts (None: this was the last). The API
    hands the cursor out signed and bound to the caller (entrypoints/api/cursors.py)."""

    items: tuple[T, ...]
    next_cursor: Cursor | None = None

    @classmethod
    def of(cls, items: Sequence[T], next_cursor: Cursor | None = None) -> Page[T]:
        return cls(tuple(items), next_cursor)
