"""Webhook signatures (interface.md "Webhooks"):
`Depositdesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from depositdesk.domain.webhook_signing import sign, verify

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SECRET = "whsec_test"
BODY = b'{"id":"evt_1","type":"shop.funded","created_at":"2026-03-02T09:00:00Z","data":{}}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    t = int(AT.timestamp())
    expected = hmac.new(SECRET.encode(), f"{t}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, AT) == f"t={t},v1={expected}"


def test_signed_delivery_verifies() -> None:
    assert verify(SECRET, BODY, sign(SECRET, BODY, AT), AT + timedelta(seconds=30))


def test_tampered_body_fails() -> None:
    header = sign(SECRET, BODY, AT)
    assert not verify(SECRET, BODY.replace(b"shop.funded", b"shop.closed"), header, AT)


def test_wrong_secret_fails() -> None:
    assert not verify("another", BODY, sign(SECRET, BODY, AT), AT)


def test_old_timestamp_fails_so_a_replay_is_refused() -> None:
    header = sign(SECRET, BODY, AT)
    assert verify(SECRET, BODY, header, AT + timedelta(minutes=5))
    assert not verify(SECRET, BODY, header, AT + timedelta(minutes=5, seconds=1))
    assert not verify(SECRET, BODY, header, AT - timedelta(minutes=6))  # from the future


def test_timestamp_cannot_be_swapped_without_the_secret() -> None:
    header = sign(SECRET, BODY, AT)
    later = int((AT + timedelta(hours=1)).timestamp())
    forged = f"t={later}," + header.split(",", 1)[1]
    assert not verify(SECRET, BODY, forged, AT + timedelta(hours=1))


def test_any_v1_may_match_while_a_secret_rotates() -> None:
    timestamp, ours = sign(SECRET, BODY, AT).split(",")
    _, old = sign("old-secret", BODY, AT).split(",")
    assert verify(SECRET, BODY, f"{timestamp},{old},{ours}", AT)
    assert not verify(SECRET, BODY, f"{timestamp},{old}", AT)


def test_malformed_headers_fail_without_raising() -> None:
    for header in ("", "t=abc,v1=00", "v1=00", f"t={int(AT.timestamp())}", "t=1,v1=é"):
        assert not verify(SECRET, BODY, header, AT)
