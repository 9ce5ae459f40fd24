"""Sellers and shops as the rest of the system sees them (DEP-4, REF-9)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from depositdesk.domain.enforcement import Case


class ShopStatus(StrEnum):
    """Public shop statuses (interface.md, `GET /v1/shops/{id}`)."""

    PENDING_DEPOSIT = "pending_deposit"  # DEP-4: until the first deposit is paid in full
    ACTIVE = "active"
    RESTRICTED = "restricted"  # DEP-6: an enforcement step is in force
    CLOSING = "closing"  # unlinking (UNL)
    TERMINATED = "terminated"  # REF-9
    UNLINKED = "unlinked"

    @property
    def is_closing(self) -> bool:
        """REF-1: a full refund is only for a shop that is leaving."""
        return self in (ShopStatus.CLOSING, ShopStatus.UNLINKED, ShopStatus.TERMINATED)

    @property
    def is_final(self) -> bool:
        """Nothing about the shop's trading changes any more."""
        return self in (ShopStatus.TERMINATED, ShopStatus.UNLINKED)


class Language(StrEnum):
    """Languages notices and pages are written in."""

    EN = "en"
    ZH = "zh"


@dataclass(frozen=True, slots=True)
class Seller:
    id: str
    name: str
    email: str
    language: Language
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ClosureFlag:
    """DEP-8: a violation of a closure-grade type (policy) flagged the shop for closure."""

    violation_id: str
    violation_type: str
    flagged_at: datetime


@dataclass(frozen=True, slots=True)
class Shop:
    id: str
    seller_id: str
    name: str
    market: str  # the name of its policy pack
    status: ShopStatus
    created_at: datetime
    funded_at: datetime | None = None
    orders_cutoff_at: datetime | None = None  # EVT-4: no order placed after this
    terminated_at: datetime | None = None
    termination_reason: str | None = None
    case: Case | None = None  # DEP-5/6: the open under-funding case, if any
    closure_flag: ClosureFlag | None = None  # DEP-8
    # REF-4/6: the account the deposit came from (route text, domain/bank_route), as
    # the latest pay-in that named one gave it; refunds "to the original route" go here.
    payin_route: str | None = None

    @property
    def enforcement_step(self) -> str | None:
        return self.case.step if self.case is not None else None
