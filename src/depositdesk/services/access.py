"""Who may do what (interface.md, "Auth"): platform roles and seller roles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from depositdesk.domain.errors import Forbidden, NotFound, StepUpRequired


class Role(StrEnum):
    PLATFORM_ADMIN = "platform_admin"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    INTEGRATION = "integration"  # the marketplace's own systems: events, bank callbacks
    OWNER = "owner"
    ADMIN = "admin"
    STAFF = "staff"

    @property
    def is_seller(self) -> bool:
        return self in SELLER_ROLES


SELLER_ROLES = frozenset({Role.OWNER, Role.ADMIN, Role.STAFF})
PLATFORM_ROLES = frozenset(Role) - SELLER_ROLES


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of a use case: a token's holder, or depositdesk itself."""

    token_id: str
    role: Role
    seller_id: str | None
    name: str
    # A signed-in user's session (POST /v1/auth/login): the user, and when the second
    # factor was last passed (None: not in this session). Machine tokens: both None.
    user_id: str | None = None
    mfa_at: datetime | None = None

    @classmethod
    def system(cls, role: Role, name: str) -> Principal:
        """depositdesk acting on its own (CLI, demo seed, worker), with a platform role."""
        if role.is_seller:
            raise ValueError("a system principal has a platform role")
        return cls("system", role, None, name)

    @property
    def is_seller(self) -> bool:
        return self.role.is_seller

    @property
    def party(self) -> str:
        """Whom the caller acts for: the platform, or one seller (idempotency keys and
        cursors belong to the party, not to a token)."""
        return f"seller:{self.seller_id}" if self.is_seller else "platform"

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.token_id}"


def require(principal: Principal, *roles: Role) -> None:
    if principal.role not in roles:
        raise Forbidden(
            f"this action needs one of the roles {', '.join(roles)}; "
            f"your token has the role {principal.role}"
        )


def check_shop_visible(principal: Principal, shop_seller_id: str, shop_id: str) -> None:
    """A seller sees only its own seller's shops; others look absent (404)."""
    if principal.is_seller and principal.seller_id != shop_seller_id:
        raise NotFound(f"shop {shop_id} not found")


def require_shop_role(
    principal: Principal,
    shop_seller_id: str,
    shop_id: str,
    seller_roles: tuple[Role, ...],
    platform_roles: tuple[Role, ...],
) -> None:
    check_shop_visible(principal, shop_seller_id, shop_id)
    require(principal, *(seller_roles if principal.is_seller else platform_roles))


def require_step_up(principal: Principal, now: datetime, minutes: int, what: str) -> None:
    """Sensitive calls (the policy's `security.step_up_minutes`): a signed-in user
    must have passed the second factor within `minutes`. Machine tokens made with
    the CLI have no second factor; they are the operator's credentials and are
    audited as such, so they pass."""
    if principal.user_id is None:
        return
    if principal.mfa_at is None or now - principal.mfa_at > timedelta(minutes=minutes):
        raise StepUpRequired(
            f"{what} needs your second factor within the last {minutes} minutes: sign in "
            "again with your authenticator code (POST /v1/auth/login with totp)"
        )
