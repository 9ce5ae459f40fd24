"""Identifiers: the marketplace's own ids, and the ids depositdesk makes."""

from __future__ import annotations

import re
import secrets
import time

# Sellers and shops may carry the marketplace's own id (interface.md): full-matched,
# so a trailing newline never passes.
MARKETPLACE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_marketplace_id(value: object) -> bool:
    return isinstance(value, str) and MARKETPLACE_ID.fullmatch(value) is not None


def new_id(prefix: str) -> str:
    """A random id with a readable prefix: `sel_…`, `shop_…`, `ntc_…`."""
    return f"{prefix}_{secrets.token_hex(8)}"


_last_ns = 0


def new_ordered_id(prefix: str) -> str:
    """An id that sorts in creation order within a process (nanoseconds, then a
    random tail): notices written in one transaction share a time, and are listed
    in the order they were written (a deduction before the top-up it caused)."""
    global _last_ns
    _last_ns = max(_last_ns + 1, time.time_ns())
    return f"{prefix}_{_last_ns:016x}{secrets.token_hex(2)}"
