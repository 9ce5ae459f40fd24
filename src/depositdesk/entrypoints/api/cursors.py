"""Cursors as the API hands them out: opaque, signed, and bound to the caller.

A cursor names a position in one list for one party (the platform, or one seller,
and for a ledger one shop). It is signed with the secret key, so it cannot be made
up, and a cursor of another list or party is refused: passing another seller's
shop id can no longer tell whether that shop exists.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

from depositdesk.domain.errors import ValidationProblem
from depositdesk.services.paging import CreatedCursor, Cursor, EntryCursor, ShopCursor

_SIG_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(secret: str, scope: str, payload: str) -> str:
    mac = hmac.new(secret.encode(), f"{scope}|{payload}".encode(), hashlib.sha256)
    return _b64(mac.digest()[:_SIG_BYTES])


def encode(cursor: Cursor | None, scope: str, secret: str) -> str | None:
    if cursor is None:
        return None
    if isinstance(cursor, ShopCursor):
        fields: list[object] = ["s", cursor.created_at.isoformat(), cursor.shop_id]
    elif isinstance(cursor, CreatedCursor):
        fields = ["c", cursor.created_at.isoformat(), cursor.id]
    else:
        fields = ["e", cursor.before_id]
    payload = _b64(json.dumps(fields, separators=(",", ":")).encode())
    return f"{payload}.{_sign(secret, scope, payload)}"


def _refuse() -> ValidationProblem:
    return ValidationProblem(
        "cursor", "cursor", "cursor must be the next_cursor of the previous page, as given"
    )


def decode_shop(token: str | None, scope: str, secret: str) -> ShopCursor | None:
    fields = _fields(token, scope, secret)
    if fields is None:
        return None
    if len(fields) != 3 or fields[0] != "s":
        raise _refuse()
    try:
        return ShopCursor(datetime.fromisoformat(str(fields[1])), str(fields[2]))
    except ValueError:
        raise _refuse() from None


def decode_created(token: str | None, scope: str, secret: str) -> CreatedCursor | None:
    fields = _fields(token, scope, secret)
    if fields is None:
        return None
    if len(fields) != 3 or fields[0] != "c" or not isinstance(fields[2], str):
        raise _refuse()
    try:
        at = datetime.fromisoformat(str(fields[1]))
    except ValueError:
        raise _refuse() from None
    if at.tzinfo is None:
        raise _refuse()
    return CreatedCursor(at, fields[2])


def decode_entry(token: str | None, scope: str, secret: str) -> EntryCursor | None:
    fields = _fields(token, scope, secret)
    if fields is None:
        return None
    if len(fields) != 2 or fields[0] != "e" or not isinstance(fields[1], int):
        raise _refuse()
    return EntryCursor(fields[1])


def _fields(token: str | None, scope: str, secret: str) -> list[object] | None:
    if token is None:
        return None
    if not token.isascii():  # a cursor we gave is base64url; compare_digest needs ASCII
        raise _refuse()
    payload, _, signature = token.partition(".")
    expected = _sign(secret, scope, payload)
    if not signature or not hmac.compare_digest(signature.encode(), expected.encode()):
        raise _refuse()
    try:
        fields = json.loads(_unb64(payload))
    except ValueError:
        raise _refuse() from None
    if not isinstance(fields, list):
        raise _refuse()
    return fields
