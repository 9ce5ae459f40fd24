"""Bearer tokens: created and revoked by the CLI, checked on every request.

Every request looks its token up in its own transaction (entrypoints/api/deps.py),
with no cache in between, so a revoked token is refused from the next request on.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from depositdesk.domain.errors import NotFound, ValidationProblem
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.ports.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: the secret is shown once (only its hash is stored)."""

    token: str
    principal: Principal


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    *,
    role: str,
    seller_id: str | None = None,
    name: str | None = None,
) -> IssuedToken:
    """A token for `role` (bound to `seller_id` for seller roles)."""
    require(who, Role.PLATFORM_ADMIN)
    roles = [r.value for r in Role]
    if role not in roles:
        raise ValidationProblem("role", "known_role", f"role must be one of {', '.join(roles)}")
    granted = Role(role)
    if granted.is_seller and not seller_id:
        raise ValidationProblem("seller", "required", f"a {role} token is bound to a seller")
    if not granted.is_seller and seller_id:
        raise ValidationProblem(
            "seller", "platform_role", f"{role} is a platform role and has no seller"
        )
    if seller_id and uow.sellers.get(seller_id) is None:
        raise NotFound(f"seller {seller_id} not found")
    token_id = secrets.token_hex(6)
    token = f"dd_{token_id}_{secrets.token_urlsafe(24)}"
    principal = Principal(token_id, granted, seller_id, name or f"{role} token")
    uow.tokens.add(principal, _hash(token), now)
    return IssuedToken(token, principal)


def authenticate(uow: UnitOfWork, token: str, now: datetime | None = None) -> Principal | None:
    """The holder of a token in force at `now` (a session ends at its expiry)."""
    return uow.tokens.by_hash(_hash(token), now)


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256 (sessions are made in services/sessions)."""
    return _hash(token)


def revoke_token(uow: UnitOfWork, who: Principal, now: datetime, token_id: str) -> None:
    """Revoke a token by its id (the `dd_<id>_…` part, printed when it was made)."""
    require(who, Role.PLATFORM_ADMIN)
    if not uow.tokens.revoke(token_id, now):
        raise NotFound(f"no token {token_id} in force")
