"""Security signals (UNL-1): things that happened to a seller's account that make a
sensitive request (an unlink, a payout) wait for a person instead of going ahead.

They are recorded when they happen, once per source, and read back within the
policy's window (`[security]` of the pack). Today one kind is recorded: a refund
application that names another payout account than the one the deposit came from
(REF-4), wrong second-factor codes reaching the policy's count, and a sign-in from
a device the user never used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class SignalKind(StrEnum):
    PAYOUT_ACCOUNT_CHANGED = "payout_account_changed"
    FAILED_SECOND_FACTOR = "failed_second_factor"  # the policy's count of wrong codes
    NEW_DEVICE = "new_device"  # a sign-in from a device the user never used


@dataclass(frozen=True, slots=True)
class SecuritySignal:
    id: str
    seller_id: str
    shop_id: str | None
    kind: SignalKind
    source: str  # what raised it ("refund:<id>"); one signal per kind and source
    detail: str  # for the reviewer: what changed, and the reason the seller gave
    at: datetime
