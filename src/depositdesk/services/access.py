"""Who may do what (interface.md, "Auth"): platform roles and seller roles."""

from __future__ import annotations

from dataclasses import dataclass

from depositdesk.domain.errors import Forbidden, NotFound

PLATFORM_ROLES = frozenset({"platform_admin", "reviewer", "auditor", "integration"})
SELLER_ROLES = frozenset({"owner", "admin", "staff"})
ROLES = PLATFORM_ROLES | SELLER_ROLES


@dataclass(frozen=True, slots=True)
class Principal:
    token_id: str
    role: str
    seller_id: str | None
    name: str

    @property
    def is_seller(self) -> bool:
        return self.role in SELLER_ROLES

    @property
    def actor(self) -> str:
        return f"{self.role}:{self.token_id}"


def require(principal: Principal, *roles: str) -> None:
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
    seller_roles: tuple[str, ...],
    platform_roles: tuple[str, ...],
) -> None:
    check_shop_visible(principal, shop_seller_id, shop_id)
    allowed = seller_roles if principal.is_seller else platform_roles
    require(principal, *allowed)
