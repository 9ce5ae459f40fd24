"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def naive_utc(value: datetime) -> datetime:
    """A time as the tables store it: UTC without its zone (a naive one is taken as UTC
    already). Also for what bypasses the column type: COPY rows, array parameters."""
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo is not None else value


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every database; read back as aware UTC.

    SQLite has no time zones; storing naive UTC everywhere keeps comparisons and
    ordering identical on SQLite and PostgreSQL.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else naive_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if isinstance(value, str):  # raw SQLite text from an aggregate
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)
