"""Seller users, sign-in and the second factor (issue 10)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints

from depositdesk.entrypoints.api.schemas.common import Out, Time
from depositdesk.entrypoints.api.schemas.requests import Body, _one_line
from depositdesk.services.sessions import Session
from depositdesk.services.users import UserView

Email = Annotated[str, StringConstraints(min_length=3, max_length=254), AfterValidator(_one_line)]
# Passwords may hold any printable character, spaces too; never a control character.
Password = Annotated[
    str, StringConstraints(min_length=1, max_length=128), AfterValidator(_one_line)
]
Code = Annotated[str, StringConstraints(min_length=6, max_length=13, pattern=r"^[0-9a-f-]+$")]


class UserIn(Body):
    email: Email
    password: Password = Field(description="at least 12 characters, not easy to guess")
    role: Literal["owner", "admin", "staff"]
    email_verified: bool | None = Field(
        default=None,
        description="platform_admin only: the marketplace verified this address already",
    )


class LoginIn(Body):
    email: Email
    password: Password
    totp: Code | None = Field(
        default=None,
        description="a code from the authenticator app (or a recovery code xxxxxx-xxxxxx)",
    )


class CodeIn(Body):
    code: Annotated[str, StringConstraints(pattern=r"^[0-9]{6}$")]


class UserOut(Out):
    id: str
    seller_id: str | None
    email: str
    role: str
    email_verified: bool
    totp: bool
    created_at: Time

    @classmethod
    def of(cls, v: UserView) -> UserOut:
        return cls(
            id=v.id,
            seller_id=v.seller_id,
            email=v.email,
            role=v.role,
            email_verified=v.email_verified,
            totp=v.totp,
            created_at=v.created_at,
        )


class SessionOut(Out):
    token: str = Field(description="send as Authorization: Bearer <token>; shown once")
    mfa: bool = Field(description="true when a valid second factor was given (step-up)")
    expires_at: Time
    role: str
    seller_id: str | None

    @classmethod
    def of(cls, s: Session) -> SessionOut:
        return cls(
            token=s.token,
            mfa=s.mfa,
            expires_at=s.expires_at,
            role=s.principal.role.value,
            seller_id=s.principal.seller_id,
        )


class EnrolmentOut(Out):
    secret: str = Field(description="base32; shown once")
    uri: str = Field(description="otpauth:// URI for an authenticator app")


class RecoveryCodesOut(Out):
    recovery_codes: list[str] = Field(description="single-use; shown once")
