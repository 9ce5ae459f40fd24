"""The TOTP second factor (issue 10): enrolment, codes that work once, recovery
codes, and the security signal of repeated wrong codes (UNL-1).

RFC 6238 through `pyotp`: 30-second steps, six digits, one step either side
accepted. The step of the last code used is stored, so a code (or an older one)
is refused within its window: a replayed code never signs in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime

import pyotp

from depositdesk.domain.errors import Conflict, Forbidden, NotFound, Refused, ValidationProblem
from depositdesk.domain.ids import new_ordered_id
from depositdesk.domain.security_signals import SecuritySignal, SignalKind
from depositdesk.domain.users import MAX_FAILURES, RECOVERY_CODES, User
from depositdesk.services.access import Principal
from depositdesk.services.ports.uow import UnitOfWork
from depositdesk.services.shop_view import load_shop

ISSUER = "depositdesk"
STEP = 30  # seconds


@dataclass(frozen=True, slots=True)
class Enrolment:
    secret: str  # base32, shown once
    uri: str  # otpauth://totp/…, for an authenticator app (the pages show a QR code)


@dataclass(frozen=True, slots=True)
class CodeRefusal:
    code: str
    detail: str


def _user(uow: UnitOfWork, who: Principal) -> User:
    if who.user_id is None:
        raise Forbidden("a second factor belongs to a signed-in user, not a machine token")
    user = uow.users.get(who.user_id, lock=True)
    if user is None:
        raise NotFound("user not found")
    return user


def start_enrolment(uow: UnitOfWork, who: Principal, now: datetime) -> Enrolment:
    """A new secret, pending until a code from it is verified."""
    user = _user(uow, who)
    if user.has_totp:
        raise Conflict("a second factor is enrolled already")
    secret = pyotp.random_base32()
    uow.users.save(replace(user, totp_pending_secret=secret))
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret, uri)


def _step_of(secret: str, code: str, now: datetime) -> int | None:
    """The time step (of now-1, now, now+1) whose code `code` is, or None."""
    totp = pyotp.TOTP(secret)
    here = int(now.timestamp()) // STEP
    for step in (here - 1, here, here + 1):
        if secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def _check_shape(code: str) -> None:
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationProblem("code", "totp_code", "a code has six digits")


def finish_enrolment(
    uow: UnitOfWork, who: Principal, now: datetime, *, code: str
) -> tuple[str, ...]:
    """A code from the pending secret turns the second factor on; the answer is the
    first set of recovery codes (shown once)."""
    _check_shape(code)
    user = _user(uow, who)
    if user.totp_pending_secret is None:
        raise Conflict("start the enrolment first (POST /v1/me/totp)")
    step = _step_of(user.totp_pending_secret, code, now)
    if step is None:
        raise Refused("invalid_totp", "this code does not match: check the device's time", 422)
    user = replace(
        user,
        totp_secret=user.totp_pending_secret,
        totp_pending_secret=None,
        totp_enabled_at=now,
        totp_last_step=step,
        failed_totp=0,
    )
    uow.users.save(user)
    return _new_recovery_codes(uow, user, now)


def new_recovery_codes(uow: UnitOfWork, who: Principal, now: datetime) -> tuple[str, ...]:
    """A fresh set of single-use recovery codes; the old ones stop working."""
    user = _user(uow, who)
    if not user.has_totp:
        raise Conflict("recovery codes come with a second factor: enrol one first")
    return _new_recovery_codes(uow, user, now)


def _new_recovery_codes(uow: UnitOfWork, user: User, now: datetime) -> tuple[str, ...]:
    codes = tuple(f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES))
    uow.users.replace_recovery_codes(user.id, [_sha(c) for c in codes], now)
    return codes


def _sha(text: str) -> str:
    return hashlib.sha256(text.strip().lower().encode()).hexdigest()


def check_code(
    uow: UnitOfWork, user: User, code: str, now: datetime
) -> tuple[CodeRefusal | None, User]:
    """A TOTP code (or a recovery code, `xxxxxx-xxxxxx`) for `user`: None when it
    passes (and can never pass again), else why not. Wrong codes are counted; the
    policy's count of them in a row is a security signal."""
    secret = user.totp_secret
    assert secret is not None
    if "-" in code and len(code) == 13:
        if uow.users.use_recovery_code(user.id, _sha(code), now):
            user = replace(user, failed_totp=0)
            uow.users.save(user)
            return None, user
        return _wrong(uow, user, now, "invalid_totp", "this recovery code is unknown or used")
    if not (len(code) == 6 and code.isdigit()):
        return _wrong(uow, user, now, "invalid_totp", "a code has six digits")
    step = _step_of(secret, code, now)
    if step is None:
        return _wrong(uow, user, now, "invalid_totp", "this code does not match")
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return _wrong(
            uow, user, now, "totp_reused", "this code was used already; wait for the next"
        )
    user = replace(user, totp_last_step=step, failed_totp=0)
    uow.users.save(user)
    return None, user


def _wrong(
    uow: UnitOfWork, user: User, now: datetime, code: str, detail: str
) -> tuple[CodeRefusal, User]:
    user = replace(user, failed_totp=user.failed_totp + 1)
    uow.users.save(user)
    limit = second_factor_limit(uow, user.seller_id, now) if user.seller_id else MAX_FAILURES
    if user.failed_totp >= limit and user.failed_totp % limit == 0:
        signal(
            uow,
            user,
            now,
            SignalKind.FAILED_SECOND_FACTOR,
            f"totp:{user.id}:{now.isoformat()}",
            f"{user.failed_totp} wrong second-factor codes in a row for {user.email}",
        )
    return CodeRefusal(code, detail), user


def second_factor_limit(uow: UnitOfWork, seller_id: str, now: datetime) -> int:
    """The policy's `security.max_failed_second_factor`: the lowest among the packs of
    the seller's markets (the default when it has no shop)."""
    limits = {
        load_shop(uow, None, now, shop_id).pack.security.max_failed_second_factor
        for shop_id in uow.shops.ids_of_seller(seller_id)[:50]
    }
    return min(limits, default=MAX_FAILURES)


def signal(
    uow: UnitOfWork, user: User, now: datetime, kind: SignalKind, source: str, detail: str
) -> None:
    if user.seller_id is None:
        return  # UNL-1's signals are a seller's; a platform user's sign-ins are audited
    uow.signals.add(
        SecuritySignal(new_ordered_id("sig"), user.seller_id, None, kind, source, detail, now)
    )
