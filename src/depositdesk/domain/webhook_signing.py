"""Signing webhook deliveries (interface.md "Webhooks").

Header: `Depositdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`,
keyed with the endpoint's secret. The timestamp is signed with the body, so a
receiver that refuses old timestamps also refuses a replayed delivery.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

SIGNATURE_HEADER = "Depositdesk-Signature"
DEFAULT_TOLERANCE = timedelta(minutes=5)


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, at: datetime) -> str:
    """The header value for `body` sent at `at` (timezone-aware)."""
    timestamp = int(at.timestamp())
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    now: datetime,
    tolerance: timedelta = DEFAULT_TOLERANCE,
) -> bool:
    """True if `header` signs `body` with `secret` and its time is within `tolerance`
    of `now`. Any `v1` value may match (several are sent while a secret rotates)."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    if abs(now.timestamp() - timestamp) > tolerance.total_seconds():
        return False
    expected = _digest(secret, timestamp, body).encode("ascii")
    return any(hmac.compare_digest(expected, c.encode("utf-8")) for c in candidates)
