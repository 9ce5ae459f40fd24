"""Signing in and out (issue 10): a password, optionally a TOTP code, a session
token that expires, failed attempts limited per account and per client address.

`login` never raises for a wrong password or code: it returns the refusal, so the
caller commits what the attempt changed (the failure counts, the lock, the security
signal) before answering with it. Every attempt is reported to the audit log by the
route (its own transaction for refusals).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from argon2.exceptions import InvalidHashError, VerificationError

from depositdesk.domain.errors import Refused
from depositdesk.domain.security_signals import SignalKind
from depositdesk.domain.users import SESSION_LIFETIME, Throttle, User, normalize_email
from depositdesk.services import audit
from depositdesk.services.access import Principal, Role
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.second_factor import check_code, signal
from depositdesk.services.tokens import token_hash
from depositdesk.services.users import HASHER

# Verified against when the email is unknown, so an unknown address takes as long
# as a wrong password (no account enumeration by timing).
_DUMMY_HASH = HASHER.hash("not a password of anyone: timing only")


@dataclass(frozen=True, slots=True)
class Session:
    token: str  # shown once
    principal: Principal
    expires_at: datetime
    mfa: bool


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """A session, or the refusal to answer with (after committing)."""

    session: Session | None = None
    refusal: Refused | None = None
    user_id: str | None = None  # whom the attempt was for, when known


def _keys(email: str, client: str) -> tuple[str, str]:
    return f"email:{email}", f"addr:{client}"


def _locked(uow: UnitOfWork, keys: tuple[str, ...], now: datetime) -> datetime | None:
    until = [
        t.locked_until
        for t in (uow.users.throttle(k) for k in keys)
        if t is not None and t.locked(now) and t.locked_until is not None
    ]
    return max(until) if until else None


def _fail(uow: UnitOfWork, keys: tuple[str, ...], now: datetime, code: str, detail: str) -> Refused:
    lock: datetime | None = None
    for key in keys:
        current = uow.users.throttle(key) or Throttle(key, 0, now)
        updated = current.failed(now)
        uow.users.save_throttle(updated)
        if updated.locked_until is not None:
            lock = max(lock or updated.locked_until, updated.locked_until)
    if lock is not None:
        return Refused(
            "too_many_attempts",
            f"{detail} Too many failed sign-ins: try again after the lock ends.",
            429,
            locked_until=lock,
        )
    return Refused(code, detail)


def login(
    uow: UnitOfWork,
    now: datetime,
    *,
    email: str,
    password: str,
    totp: str | None = None,
    client: str = "unknown",
    device: str = "",
) -> LoginOutcome:
    """Check the password (and the TOTP code when given); a session token whose `mfa`
    says whether the second factor was passed (step-up, issue 10). Every attempt,
    signed in or refused, is one audit record (AUD-1) in this transaction: the
    account tried, the outcome, the client address; never the password or the code."""
    address = normalize_email(email)
    outcome = _login(uow, now, address, password, totp, client, device)
    session = outcome.session
    audit.record(
        uow,
        session.principal if session is not None else None,
        now,
        "sessions.login" if session is not None else "sessions.login_refused",
        target=f"user:{outcome.user_id}" if outcome.user_id else f"email:{address}",
        after={
            "outcome": "signed_in" if session is not None else _code(outcome),
            "mfa": session.mfa if session is not None else False,
            "client": client,
            **({"session": session.principal.token_id} if session is not None else {}),
        },
    )
    return outcome


def _code(outcome: LoginOutcome) -> str:
    return outcome.refusal.code if outcome.refusal is not None else "refused"


def _login(
    uow: UnitOfWork,
    now: datetime,
    address: str,
    password: str,
    totp: str | None,
    client: str,
    device: str,
) -> LoginOutcome:
    keys = _keys(address, client)
    lock = _locked(uow, keys, now)
    if lock is not None:
        HASHER.verify(_DUMMY_HASH, "not a password of anyone: timing only")
        return LoginOutcome(
            refusal=Refused(
                "too_many_attempts",
                "too many failed sign-ins for this account or from this address",
                429,
                locked_until=lock,
            )
        )
    user = uow.users.by_email(address, lock=True)
    try:
        HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        refusal = _fail(
            uow, keys, now, "invalid_credentials", "the email or the password is wrong."
        )
        return LoginOutcome(refusal=refusal, user_id=user.id if user else None)
    if user.email_verified_at is None:
        return LoginOutcome(
            refusal=Refused(
                "email_unverified",
                "confirm your email address first: open the link we mailed to it",
                403,
            ),
            user_id=user.id,
        )
    mfa = False
    if totp is not None:
        if not user.has_totp:
            return LoginOutcome(
                refusal=Refused("totp_not_enrolled", "this account has no second factor yet", 422),
                user_id=user.id,
            )
        verdict, user = check_code(uow, user, totp, now)
        if verdict is not None:
            # Wrong codes count against the account like wrong passwords, and against
            # the user's second factor: enough of them is a security signal (UNL-1).
            refusal = _fail(uow, keys, now, verdict.code, verdict.detail)
            return LoginOutcome(refusal=refusal, user_id=user.id)
        mfa = True
    for key in keys[:1]:  # a success clears the account's count, not the address's
        uow.users.clear_throttle(key)
    if device:
        # UNL-1: a sign-in from a device the user never used is a security signal
        # (the first sign-in ever is not).
        digest = hashlib.sha256(device.encode()).hexdigest()
        had_devices = uow.users.has_devices(user.id)
        if uow.users.seen_device(user.id, digest, now) and had_devices:
            signal(
                uow,
                user,
                now,
                SignalKind.NEW_DEVICE,
                f"device:{user.id}:{digest}",
                f"{user.email} signed in from a device not seen before",
            )
    session = _session(uow, user, now, mfa)
    return LoginOutcome(session=session, user_id=user.id)


def _session(uow: UnitOfWork, user: User, now: datetime, mfa: bool) -> Session:
    token_id = secrets.token_hex(6)
    token = f"dds_{token_id}_{secrets.token_urlsafe(24)}"
    principal = Principal(
        token_id,
        Role(user.role),
        user.seller_id,
        f"session of {user.email}",
        user_id=user.id,
        mfa_at=now if mfa else None,
    )
    expires = now + SESSION_LIFETIME
    uow.tokens.add_session(principal, token_hash(token), now, expires)
    return Session(token, principal, expires, mfa)


def sandbox_session(uow: UnitOfWork, now: datetime, *, email: str) -> Session:
    """The sandbox's one-click sign-in (the link `depositdesk demo` prints; the page
    refuses it unless DEPOSITDESK_SANDBOX=1): a session for a demo user without the
    password, the second factor not passed. Audited like any sign-in (AUD-1)."""
    user = uow.users.by_email(normalize_email(email))
    if user is None:
        raise Refused("invalid_credentials", "no such user")
    session = _session(uow, user, now, False)
    audit.record(
        uow,
        session.principal,
        now,
        "sessions.login",
        target=f"user:{user.id}",
        after={"outcome": "signed_in", "mfa": False, "client": "sandbox link"},
    )
    return session


def logout(uow: UnitOfWork, who: Principal, now: datetime) -> None:
    """End this session (a machine token is revoked with `depositdesk token revoke`)."""
    if who.user_id is None:
        raise Refused(
            "not_a_session",
            "this is a machine token, not a session: revoke it with `depositdesk token revoke`",
            403,
        )
    uow.tokens.revoke(who.token_id, now)


def step_up(uow: UnitOfWork, who: Principal, now: datetime, *, code: str) -> LoginOutcome:
    """Step-up inside a signed-in session (UNL-1, the pages' "enter your code again"):
    the authenticator's code (or a recovery code) gives a new session whose second
    factor is fresh, and this session ends. Like `login`, a wrong code is returned
    rather than raised, so its count (and the signal it may raise) is committed."""
    if who.user_id is None:
        raise Refused("not_a_session", "a machine token has no second factor to pass again", 403)
    user = uow.users.get(who.user_id, lock=True)
    if user is None or not user.has_totp:
        return LoginOutcome(
            refusal=Refused("totp_not_enrolled", "this account has no second factor yet", 422),
            user_id=who.user_id,
        )
    verdict, user = check_code(uow, user, code.replace(" ", "").strip(), now)
    if verdict is not None:
        return LoginOutcome(refusal=Refused(verdict.code, verdict.detail, 401), user_id=user.id)
    uow.tokens.revoke(who.token_id, now)
    return LoginOutcome(session=_session(uow, user, now, True), user_id=user.id)
