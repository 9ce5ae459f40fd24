"""Identifiers: the marketplace's own ids, and the ids depositdesk makes."""

from __future__ import annotations

import re
import secrets

# Sellers and shops may carry the marketplace's own id (interface.md): full-matched,
# so a trailing newline never passes.
MARKETPLACE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def is_marketplace_id(value: object) -> bool:
    return isinstance(value, str) and MARKETPLACE_ID.fullmatch(value) is not None


def new_id(prefix: str) -> str:
    """A random id with a readable prefix: `sel_…`, `shop_…`, `ntc_…`."""
    return f"{prefix}_{secrets.token_hex(8)}"
