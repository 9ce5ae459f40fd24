"""Domain errors with machine codes; the API turns them into problem+json."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One thing wrong with the input: which field, which rule, in words."""

    field: str
    rule: str
    message: str


class DomainError(Exception):
    """Base of errors a user can act on. `code` is the public machine code."""

    code = "conflict"
    status = 409

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ValidationProblem(DomainError):
    """Bad input: names every field and the rule it broke (status 422)."""

    code = "validation_error"
    status = 422

    def __init__(self, field: str | list[FieldProblem], rule: str = "", message: str = "") -> None:
        problems = field if isinstance(field, list) else [FieldProblem(field, rule, message)]
        self.problems = problems
        detail = "; ".join(f"{p.field}: {p.message}" for p in problems)
        super().__init__(detail)


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class NotEligible(DomainError):
    """REF-3: no early refund; `blockers` say what blocks and when it clears."""

    code = "not_eligible"
    status = 422

    def __init__(self, detail: str, blockers: tuple[object, ...]) -> None:
        super().__init__(detail)
        self.blockers = blockers


class IdempotencyConflict(DomainError):
    """The same Idempotency-Key came back with a different request (DEP-3)."""

    code = "idempotency_conflict"
    status = 409


class IdempotencyKeyTaken(IdempotencyConflict):
    """A concurrent request stored the same Idempotency-Key first, so nothing of this
    one was kept (on PostgreSQL two requests that share no lock, a pay-in to two
    shops, say, can both find the key free; the second's insert fails at its commit).
    `services/usecase.run` runs the use case again, which then replays the first
    answer or refuses the key (DEP-3); raised from there only if it loses twice."""


class Refused(DomainError):
    """A sign-in, a session or a second factor refused: its own public `code`, the
    status (401 unless said), and facts for the caller (`locked_until`, …) that the
    problem+json carries as extra members."""

    status = 401

    def __init__(self, code: str, detail: str, status: int = 401, **extra: object) -> None:
        super().__init__(detail)
        self.code = code
        self.status = status
        self.extra = extra


class StepUpRequired(DomainError):
    """A sensitive call (policy: changing the payout account, unlinking, …) needs a
    second factor passed within the policy's minutes (issue 10's step-up)."""

    code = "step_up_required"
    status = 403


@dataclass
class PolicyProblems(Exception):
    """A policy pack failed validation; every problem is listed (POL-3)."""

    problems: list[FieldProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(f"{p.field}: {p.message}" for p in self.problems)
