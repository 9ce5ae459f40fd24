"""Webhook receivers and the event types they subscribe to (interface.md "Webhooks")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Every type depositdesk sends today, with what it means. A receiver subscribes to
# some of them, to a family (`"enforcement.*"`) or to all (`"*"`); families that
# later issues add (refund.*, payout.*, unlink.*) can be subscribed to already.
EVENT_TYPES: dict[str, str] = {
    "shop.funded": "a shop's deposit is paid in full again; every enforcement step is lifted",
    "deposit.underfunded": "a top-up notice was issued (DEP-5)",
    "deposit.deducted": "a violation was deducted from the deposit (DEP-8)",
    "deposit.offset": "a shortfall was taken from sales proceeds (DEP-7)",
    "deposit.returned": "a deduction was returned after rectification (DEP-9)",
    "enforcement.step": "an enforcement ladder step was applied (DEP-6)",
    "shop.flagged_for_closure": "a closure-grade violation flagged the shop (DEP-8)",
    "notice.sent": "a written notice was issued to a seller",
}
EVENT_FAMILIES: frozenset[str] = frozenset(
    {t.split(".")[0] for t in EVENT_TYPES} | {"refund", "payout", "unlink"}
)


def valid_subscription(pattern: str) -> bool:
    """`*`, a known type, or `<family>.*`."""
    if pattern == "*" or pattern in EVENT_TYPES:
        return True
    family, _, rest = pattern.partition(".")
    return rest == "*" and family in EVENT_FAMILIES


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: str
    url: str
    events: tuple[str, ...]  # subscription patterns (see valid_subscription)
    secret: str  # signs every delivery; shown once, when the endpoint is created
    created_at: datetime
    created_by: str
    disabled_at: datetime | None = None

    def wants(self, event_type: str) -> bool:
        if self.disabled_at is not None:
            return False
        family = event_type.split(".")[0]
        return any(p in ("*", event_type, f"{family}.*") for p in self.events)
