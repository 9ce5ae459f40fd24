"""The sandbox clock (DEPOSITDESK_SANDBOX=1): moved forward only, never back."""

from __future__ import annotations

from datetime import datetime, timedelta

from depositdesk.domain.clock import Clock, OffsetClock, rfc3339, utc
from depositdesk.domain.errors import ValidationProblem
from depositdesk.services.access import Principal, require
from depositdesk.services.ports.uow import UnitOfWork


class SandboxClock:
    """Real time plus an offset kept in the database, so every process (API,
    worker, CLI) of one sandbox agrees on the time."""

    def __init__(self, uow_factory: object, base: Clock | None = None) -> None:
        self._uow = uow_factory
        self._clock = OffsetClock(base=base)

    def refresh(self) -> None:
        with self._uow() as uow:  # type: ignore[operator]
            self._clock.offset = timedelta(seconds=uow.sandbox.offset_seconds())

    def set_offset(self, offset: timedelta) -> None:
        self._clock.offset = offset

    def now(self) -> datetime:
        return self._clock.now()

    def base_now(self) -> datetime:
        return self._clock.now() - self._clock.offset


def move(
    uow: UnitOfWork,
    principal: Principal,
    clock: SandboxClock,
    advance: timedelta | None,
    to: datetime | None,
) -> dict[str, str | None]:
    require(principal, "platform_admin")
    if (advance is None) == (to is None):
        raise ValidationProblem(
            "advance", "one_of", "give either advance (an ISO 8601 duration like P3D) or now"
        )
    clock.set_offset(timedelta(seconds=uow.sandbox.offset_seconds()))
    current = clock.now()
    target = current + advance if advance is not None else utc(to)  # type: ignore[arg-type]
    if target < current:
        raise ValidationProblem(
            "advance" if advance is not None else "now",
            "forward_only",
            f"the sandbox clock never goes back; it is {rfc3339(current)}",
        )
    offset = target - clock.base_now()
    uow.sandbox.set_offset_seconds(int(offset.total_seconds()))
    clock.set_offset(timedelta(seconds=int(offset.total_seconds())))
    return {"now": rfc3339(target)}
