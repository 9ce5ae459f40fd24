"""The sandbox clock (DEPOSITDESK_SANDBOX=1): moved forward only, never back."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from depositdesk.domain.clock import Clock, OffsetClock, rfc3339, utc
from depositdesk.domain.errors import ValidationProblem
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.ports.uow import UnitOfWork, UowFactory

# The sandbox may run ahead of real time by at most this much, so every deadline
# computed from it stays a valid date (and the same window as events, EVT-1).
MAX_AHEAD = timedelta(days=3650)


class SandboxClock:
    """Real time plus an offset kept in the database, so every process (API,
    worker, CLI) of one sandbox agrees on the time."""

    def __init__(self, uow_factory: UowFactory, base: Clock | None = None) -> None:
        self._uow = uow_factory
        self._clock = OffsetClock(base=base)

    def refresh(self, uow: UnitOfWork | None = None) -> None:
        """Re-read the offset, in `uow` when given (a request's own transaction)."""
        if uow is not None:
            self._clock.offset = timedelta(seconds=uow.sandbox.offset_seconds())
            return
        with self._uow() as fresh:
            self._clock.offset = timedelta(seconds=fresh.sandbox.offset_seconds())

    def set_offset(self, offset: timedelta) -> None:
        self._clock.offset = offset

    def now(self) -> datetime:
        return self._clock.now()

    def base_now(self) -> datetime:
        return self._clock.now() - self._clock.offset


def move(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    *,
    clock: SandboxClock,
    advance: timedelta | None,
    to: datetime | None,
) -> datetime:
    """Move the sandbox clock forward by `advance` or to `to`; returns the new now."""
    require(who, Role.PLATFORM_ADMIN)
    if (advance is None) == (to is None):
        raise ValidationProblem(
            "advance", "one_of", "give either advance (an ISO 8601 duration like P3D) or now"
        )
    clock.set_offset(timedelta(seconds=uow.sandbox.offset_seconds()))
    current = clock.now()
    field = "advance" if advance is not None else "now"
    if advance is not None:
        if not timedelta(0) <= advance <= MAX_AHEAD:
            raise ValidationProblem(
                field, "range", f"advance must be between P0D and P{MAX_AHEAD.days}D"
            )
        target = current + advance
    else:
        assert to is not None
        if to.tzinfo is None:
            raise ValidationProblem(field, "timezone", "now needs a time zone offset, e.g. Z")
        target = utc(to)
    if target < current:
        raise ValidationProblem(
            field, "forward_only", f"the sandbox clock never goes back; it is {rfc3339(current)}"
        )
    if target - clock.base_now() > MAX_AHEAD:
        raise ValidationProblem(
            field,
            "max_ahead",
            f"the sandbox clock runs at most {MAX_AHEAD.days} days ahead of real time",
        )
    # Whole seconds are stored, rounded up: a clock moved by P1D twice is never a
    # fraction of a second short of a timer due exactly two days on.
    seconds = math.ceil((target - clock.base_now()).total_seconds())
    uow.sandbox.set_offset_seconds(seconds)
    clock.set_offset(timedelta(seconds=seconds))
    return target
