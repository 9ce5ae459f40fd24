"""Lists come in pages: `{items, next_cursor}` (interface.md, "Lists")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: tuple[T, ...]
    next_cursor: str | None = None

    @classmethod
    def of(cls, items: Sequence[T], next_cursor: str | None = None) -> Page[T]:
        return cls(tuple(items), next_cursor)
