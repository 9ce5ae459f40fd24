"""Sellers: the companies that own shops (interface.md `POST /v1/sellers`)."""

from __future__ import annotations

import re
from datetime import datetime

from depositdesk.domain.errors import Conflict, FieldProblem, NotFound, ValidationProblem
from depositdesk.domain.ids import is_marketplace_id, new_id
from depositdesk.domain.shop import Language, Seller
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.ports.uow import UnitOfWork

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def check_marketplace_id(value: str | None, field: str) -> str | None:
    """The marketplace's own id, if one is given (`[A-Za-z0-9_-]{1,64}`, full match)."""
    if value is None:
        return None
    if not is_marketplace_id(value):
        raise ValidationProblem(
            field, "marketplace_id", f"{field} must match [A-Za-z0-9_-]{{1,64}}"
        )
    return value


def create_seller(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    *,
    id: str | None,
    name: str,
    email: str,
    language: str | None,
) -> Seller:
    require(who, Role.PLATFORM_ADMIN)
    problems = []
    seller_id = check_marketplace_id(id, "id") or new_id("sel")
    if not name.strip():
        problems.append(FieldProblem("name", "required", "name must not be empty"))
    if not EMAIL.fullmatch(email):
        problems.append(FieldProblem("email", "email", f"{email!r} is not an email address"))
    languages = [lang.value for lang in Language]
    if language is not None and language not in languages:
        problems.append(
            FieldProblem(
                "language", "supported_language", f"language must be one of {', '.join(languages)}"
            )
        )
    if problems:
        raise ValidationProblem(problems)
    if uow.sellers.get(seller_id) is not None:
        raise Conflict(f"seller {seller_id} already exists")
    seller = Seller(seller_id, name.strip(), email, Language(language or Language.EN), now)
    uow.sellers.add(seller)
    return seller


def get_seller(uow: UnitOfWork, who: Principal, now: datetime, seller_id: str) -> Seller:
    seller = uow.sellers.get(seller_id)
    if seller is None or (who.is_seller and who.seller_id != seller_id):
        raise NotFound(f"seller {seller_id} not found")
    return seller
