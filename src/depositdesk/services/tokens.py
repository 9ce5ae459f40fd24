"""Bearer tokens: created by the CLI, checked on every request."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from depositdesk.domain.errors import NotFound, ValidationProblem
from depositdesk.services.access import PLATFORM_ROLES, ROLES, SELLER_ROLES, Principal
from depositdesk.services.ports.uow import UnitOfWork


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    uow: UnitOfWork, now: datetime, role: str, seller_id: str | None, name: str | None
) -> tuple[str, Principal]:
    """A new token; only its hash is stored, so it is shown once."""
    if role not in ROLES:
        raise ValidationProblem(
            "role", "known_role", f"role must be one of {', '.join(sorted(ROLES))}"
        )
    if role in SELLER_ROLES and not seller_id:
        raise ValidationProblem("seller", "required", f"a {role} token is bound to a seller")
    if role in PLATFORM_ROLES and seller_id:
        raise ValidationProblem(
            "seller", "platform_role", f"{role} is a platform role and has no seller"
        )
    if seller_id and uow.sellers.get(seller_id) is None:
        raise NotFound(f"seller {seller_id} not found")
    token_id = secrets.token_hex(6)
    token = f"dd_{token_id}_{secrets.token_urlsafe(24)}"
    label = name or f"{role} token"
    uow.tokens.add(
        id=token_id,
        token_hash=_hash(token),
        role=role,
        seller_id=seller_id,
        name=label,
        created_at=now,
    )
    return token, Principal(token_id, role, seller_id, label)


def authenticate(uow: UnitOfWork, token: str) -> Principal | None:
    row = uow.tokens.by_hash(_hash(token))
    if row is None:
        return None
    return Principal(row["id"], row["role"], row["seller_id"], row["name"])
