"""The enforcement ladder (DEP-5, DEP-6, DEP-6a): pure rules over an under-funding case.

A shop's *case* opens with its first top-up notice after it was last funded; its
anchor is that notice's due date. Each ladder step of the policy applies
`after_days` after the anchor, in order, each once. Paying the shortfall closes the
case and lifts every step at once. A later notice in the same case (the shortfall
grew again) does not move the anchor: more violations never buy more time.

The step a shop *should* be on is a function of the anchor, the ladder and now
(`step_due`); the worker's timers only make it so on time, and a timer that fires
late (a worker was down) applies every step that came due, in order (`steps_to_apply`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from depositdesk.domain.policy import LADDER_STEPS, LadderStep

LADDER_TIMER = "enforcement.step"  # timer kind: the next ladder step of a shop is due


@dataclass(frozen=True, slots=True)
class Case:
    """An open under-funding case, as stored on the shop."""

    opened_at: datetime  # the first top-up notice of the case
    due_at: datetime  # its due date: the ladder counts from here
    noticed_owed_minor: int  # what the latest notice of the case asked for
    step: str | None = None  # the ladder step in force (DEP-6a code), None before the first
    step_at: datetime | None = None  # when that step was applied


def step_time(due_at: datetime, step: LadderStep) -> datetime:
    """When a step applies: `after_days` calendar days after the due date."""
    return due_at + timedelta(days=step.after_days)


def step_due(ladder: tuple[LadderStep, ...], due_at: datetime, now: datetime) -> str | None:
    """DEP-6: the last step whose time has come, None while none has."""
    current: str | None = None
    for step in ladder:
        if step_time(due_at, step) <= now:
            current = step.step
    return current


def _index(ladder: tuple[LadderStep, ...], code: str | None) -> int:
    """Position of `code` in the ladder; -1 for none (or a step this ladder lacks,
    placed by the public order of DEP-6a)."""
    if code is None:
        return -1
    for i, step in enumerate(ladder):
        if step.step == code:
            return i
    rank = LADDER_STEPS.index(code) if code in LADDER_STEPS else -1
    below = [i for i, step in enumerate(ladder) if LADDER_STEPS.index(step.step) < rank]
    return below[-1] if below else -1


def steps_to_apply(
    ladder: tuple[LadderStep, ...], case: Case, now: datetime
) -> tuple[LadderStep, ...]:
    """The steps past the case's current one whose time has come, in order."""
    start = _index(ladder, case.step) + 1
    return tuple(s for s in ladder[start:] if step_time(case.due_at, s) <= now)


def next_step(ladder: tuple[LadderStep, ...], current: str | None) -> LadderStep | None:
    """The step after `current`; None at the top of the ladder."""
    start = _index(ladder, current) + 1
    return ladder[start] if start < len(ladder) else None


def restrictions(ladder: tuple[LadderStep, ...], step: str | None) -> tuple[str, ...]:
    """DEP-6a: every step of the ladder reached so far is in force (steps accumulate
    until the shortfall is paid)."""
    return tuple(s.step for s in ladder[: _index(ladder, step) + 1])
