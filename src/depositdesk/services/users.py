"""Seller users (issue 10): created by a platform admin or the seller's owner, with
a strong password (argon2id) and an email address verified by a mailed link."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

from argon2 import PasswordHasher
from zxcvbn import zxcvbn  # type: ignore[import-untyped]

from depositdesk.domain.errors import Conflict, FieldProblem, Forbidden, NotFound, ValidationProblem
from depositdesk.domain.ids import new_ordered_id
from depositdesk.domain.outbox import Channel, OutboxMessage, email_payload
from depositdesk.domain.users import (
    PASSWORD_MAX,
    PASSWORD_MIN,
    VERIFY_LINK_LIFETIME,
    User,
    normalize_email,
)
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.ports.uow import UnitOfWork

# argon2id with the library's defaults (RFC 9106's second recommended option).
HASHER = PasswordHasher()
SELLER_USER_ROLES = (Role.OWNER, Role.ADMIN, Role.STAFF)
MIN_SCORE = 3  # zxcvbn: "safely unguessable" against an offline slow-hash attack


@dataclass(frozen=True, slots=True)
class UserView:
    id: str
    seller_id: str | None  # None: a platform user
    email: str
    role: str
    email_verified: bool
    totp: bool
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            user.id,
            user.seller_id,
            user.email,
            user.role,
            user.email_verified_at is not None,
            user.has_totp,
            user.created_at,
        )


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check_password(password: str, email: str) -> None:
    """At least PASSWORD_MIN characters, and not guessable: zxcvbn's score (its lists
    of common and breached passwords, names, words, keyboard patterns, dates, and the
    user's own email) must reach MIN_SCORE."""
    if not PASSWORD_MIN <= len(password) <= PASSWORD_MAX:
        raise ValidationProblem(
            "password",
            "password_length",
            f"a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters",
        )
    verdict = zxcvbn(password, user_inputs=[email, *email.split("@")])
    if verdict["score"] < MIN_SCORE:
        advice = verdict["feedback"].get("warning") or "it is too easy to guess"
        tips = " ".join(verdict["feedback"].get("suggestions") or [])
        raise ValidationProblem(
            [FieldProblem("password", "password_strength", f"{advice}. {tips}".strip())]
        )


def create_user(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    seller_id: str,
    *,
    email: str,
    password: str,
    role: str,
    email_verified: bool | None = None,
    link_base: str = "http://127.0.0.1:8000",
) -> UserView:
    """A user of `seller_id`: by a platform admin, or by that seller's owner. Only a
    platform admin may mark the address verified (one the marketplace checked);
    otherwise a verification link is mailed through the outbox."""
    if who.is_seller:
        if who.role is not Role.OWNER or who.seller_id != seller_id:
            if who.seller_id != seller_id:
                raise NotFound(f"seller {seller_id} not found")
            raise Forbidden("only the seller's owner (or a platform admin) adds users")
        if email_verified:
            raise Forbidden("only a platform admin may mark an address verified")
    else:
        require(who, Role.PLATFORM_ADMIN)
    seller = uow.sellers.get(seller_id)
    if seller is None:
        raise NotFound(f"seller {seller_id} not found")
    roles = [r.value for r in SELLER_USER_ROLES]
    if role not in roles:
        raise ValidationProblem("role", "seller_role", f"role must be one of {', '.join(roles)}")
    address = normalize_email(email)
    check_password(password, address)
    user = User(
        id=new_ordered_id("usr"),
        seller_id=seller_id,
        email=address,
        password_hash=HASHER.hash(password),
        role=role,
        created_at=now,
        email_verified_at=now if email_verified else None,
    )
    if not uow.users.add(user):
        raise Conflict(f"a user with the email {address} exists already")
    if user.email_verified_at is None:
        token = secrets.token_urlsafe(32)
        uow.users.add_verification(_sha(token), user.id, now + VERIFY_LINK_LIFETIME)
        link = f"{link_base.rstrip('/')}/v1/auth/verify-email?token={token}"
        text = (
            f"A depositdesk sign-in was made for {address} ({seller.name}).\n\n"
            f"Confirm this address within 48 hours by opening:\n{link}\n\n"
            "If you did not expect this, ignore this email."
        )
        payload = email_payload(address, "Confirm your email address", text, seller.language.value)
        uow.outbox.add(
            OutboxMessage.new(Channel.EMAIL, "user.verify_email", f"{user.id}:verify", payload, now)
        )
    return UserView.of(user)


PLATFORM_USER_ROLES = (Role.REVIEWER, Role.PLATFORM_ADMIN, Role.AUDITOR)


def create_platform_user(
    uow: UnitOfWork, who: Principal, now: datetime, *, email: str, password: str, role: str
) -> UserView:
    """A user of the marketplace itself, with no seller (the operations console's
    reviewers, admins and auditors): by a platform admin only, who vouches for the
    address (it is the marketplace's own staff's), so it is verified from the start.
    Sign-in, sessions and the second factor are a seller user's (`sessions.login`)."""
    require(who, Role.PLATFORM_ADMIN)
    roles = [r.value for r in PLATFORM_USER_ROLES]
    if role not in roles:
        raise ValidationProblem("role", "platform_role", f"role must be one of {', '.join(roles)}")
    address = normalize_email(email)
    check_password(password, address)
    user = User(
        id=new_ordered_id("usr"),
        seller_id=None,
        email=address,
        password_hash=HASHER.hash(password),
        role=role,
        created_at=now,
        email_verified_at=now,
    )
    if not uow.users.add(user):
        raise Conflict(f"a user with the email {address} exists already")
    return UserView.of(user)


def verify_email(uow: UnitOfWork, now: datetime, *, token: str) -> UserView:
    """The mailed link: the address is verified (once; the link lasts 48 hours)."""
    if not 20 <= len(token) <= 100:
        raise ValidationProblem("token", "verification_token", "the link's token is malformed")
    user_id = uow.users.use_verification(_sha(token), now)
    if user_id is None:
        raise NotFound("this verification link is unknown, used or expired")
    user = uow.users.get(user_id, lock=True)
    assert user is not None
    if user.email_verified_at is None:
        user = replace(user, email_verified_at=now)
        uow.users.save(user)
    return UserView.of(user)


def get_me(uow: UnitOfWork, who: Principal, now: datetime) -> UserView:
    if who.user_id is None:
        raise Forbidden("this is a machine token; /v1/me is for signed-in users")
    user = uow.users.get(who.user_id)
    if user is None:
        raise NotFound("user not found")
    return UserView.of(user)
