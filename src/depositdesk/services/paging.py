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


@dataclass(frozen=True, slots=True)
class CreatedCursor:
    """Where a newest-first list keyed on (created_at, id) goes on: after this row
    (webhook endpoints, an endpoint's deliveries)."""

    created_at: datetime
    id: str


Cursor = ShopCursor | EntryCursor | CreatedCursor


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Items, and where the next page starts (None: this was the last). The API
    hands the cursor out signed and bound to the caller (entrypoints/api/cursors.py)."""

    items: tuple[T, ...]
    next_cursor: Cursor | None = None

    @classmethod
    def of(cls, items: Sequence[T], next_cursor: Cursor | None = None) -> Page[T]:
        return cls(tuple(items), next_cursor)
