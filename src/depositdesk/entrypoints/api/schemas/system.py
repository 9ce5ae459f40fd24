"""Health and the sandbox clock."""

from __future__ import annotations

from typing import Literal

from depositdesk.entrypoints.api.schemas.common import Out, Time


class HealthOut(Out):
    status: Literal["ok"] = "ok"


class ClockOut(Out):
    now: Time
