"""Who may do what (interface.md, "Auth"): platform roles and seller roles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from depositdesk.domain.errors import Forbidden, NotFound


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
