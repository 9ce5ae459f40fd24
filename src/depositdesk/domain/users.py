"""Seller users (issue 10, UNL-1): people who sign in, with a password and an
optional TOTP second factor.

Passwords are stored as argon2id hashes only; a TOTP secret is kept to check codes
(RFC 6238, 30-second steps, one step either side), and the last step used, so that a
code works once. The sign-in limits below are the same in every market.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from depositdesk.domain.errors import ValidationProblem

SESSION_LIFETIME = timedelta(hours=12)  # a session token ends this long after sign-in
MAX_FAILURES = 5  # failed sign-ins (per account, per client address) before a lock
FAILURE_WINDOW = timedelta(minutes=15)  # failures older than this are forgotten
LOCK = timedelta(minutes=15)  # how long the lock lasts
VERIFY_LINK_LIFETIME = timedelta(hours=48)  # an email verification link
RECOVERY_CODES = 10  # single-use codes a user gets at a time
PASSWORD_MIN = 12
PASSWORD_MAX = 128

_EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.)+[A-Za-z]{2,63}")


@dataclass(frozen=True, slots=True)
class User:
    id: str
    seller_id: str | None  # None: a platform user (reviewer, platform_admin, auditor)
    email: str  # lower case
    password_hash: str
    role: str  # a seller role: owner, admin, staff
    created_at: datetime
    email_verified_at: datetime | None = None
    totp_secret: str | None = None  # set once enrolment is verified
    totp_pending_secret: str | None = None
    totp_enabled_at: datetime | None = None
    totp_last_step: int | None = None
    failed_totp: int = 0

    @property
    def has_totp(self) -> bool:
        return self.totp_secret is not None


@dataclass(frozen=True, slots=True)
class Throttle:
    """Failed sign-ins of one key (an account or a client address)."""

    key: str
    failures: int
    first_at: datetime
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def failed(self, now: datetime) -> Throttle:
        """One more failure: counted within FAILURE_WINDOW; the MAX_FAILURES-th locks."""
        if now - self.first_at > FAILURE_WINDOW or (
            self.locked_until is not None and now >= self.locked_until
        ):
            fresh = Throttle(self.key, 1, now)
            return fresh
        failures = self.failures + 1
        until = now + LOCK if failures >= MAX_FAILURES else None
        return Throttle(self.key, failures, self.first_at, until)


def normalize_email(email: str, field: str = "email") -> str:
    text = email.strip().lower()
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise ValidationProblem(field, "email", "an email address such as ops@shop.example")
    return text
