"""Security signals (UNL-1): things that happened to a seller's account that make a
sensitive request (an unlink, a payout) wait for a person instead of going ahead.

They are recorded when they happen, once per source, and read back within the
policy's window (`[security]` of the pack). Today one kind is recorded: a refund
application that names another payout account than the one the deposit came from
(REF-4). Sign-in signals (failed second factors, a new device) come with sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SignalKind(StrEnum):
    PAYOUT_ACCOUNT_CHANGED = "payout_account_changed"


@dataclass(frozen=True, slots=True)
class SecuritySignal:
    id: str
    seller_id: str
    shop_id: str | None
    kind: SignalKind
    source: str  # what raised it ("refund:<id>"); one signal per kind and source
    detail: str  # for the reviewer: what changed, and the reason the seller gave
    at: datetime
