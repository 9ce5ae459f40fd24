"""Webhook receivers and the event types they subscribe to (interface.md "Webhooks")."""

from __future__ import annotations

import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from depositdesk.domain.errors import FieldProblem

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


# Every pattern `valid_subscription` takes, for the API's documentation.
SUBSCRIPTIONS: tuple[str, ...] = (
    "*",
    *sorted(EVENT_TYPES),
    *sorted(f"{family}.*" for family in EVENT_FAMILIES),
)
MAX_URL_LENGTH = 2048
MAX_SUBSCRIPTIONS = 50
# Endpoint ids as domain/ids.new_id("whe") makes them, matched in full.
ENDPOINT_ID = re.compile(r"whe_[0-9a-f]{16}")
_HOST_LABELS = re.compile(r"[a-z0-9_-]+(\.[a-z0-9_-]+)*\.?")


def valid_subscription(pattern: str) -> bool:
    """`*`, a known type, or `<family>.*`."""
    if pattern == "*" or pattern in EVENT_TYPES:
        return True
    family, _, rest = pattern.partition(".")
    return rest == "*" and family in EVENT_FAMILIES


def new_secret() -> str:
    """A signing secret: `whsec_` and 32 random bytes, base64url."""
    return "whsec_" + secrets.token_urlsafe(32)


def url_problems(url: str, field: str = "url") -> list[FieldProblem]:
    """What keeps `url` from being a receiver's address (empty when nothing): an
    absolute http(s) URL with a host, at most 2,048 characters, printable, with no
    user name or password in it (a secret in a URL ends up in logs)."""
    if len(url) > MAX_URL_LENGTH:
        return [FieldProblem(field, "max_length", f"at most {MAX_URL_LENGTH} characters")]
    odd = next((ch for ch in url if ch.isspace() or not ch.isprintable()), None)
    if odd is not None:
        return [
            FieldProblem(
                field,
                "url_characters",
                f"holds U+{ord(odd):04X}: spaces and control characters are not allowed "
                "in a URL (percent-encode them)",
            )
        ]
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return [FieldProblem(field, "url_syntax", f"not a URL: {exc}")]
    if parts.scheme.lower() not in ("http", "https"):
        return [FieldProblem(field, "url_scheme", "must be an http:// or https:// URL")]
    if "@" in parts.netloc:
        return [
            FieldProblem(
                field,
                "url_credentials",
                "must not hold a user name or password; each delivery is signed instead",
            )
        ]
    if not parts.hostname or not _valid_host(parts.hostname):
        return [
            FieldProblem(field, "url_host", "must name a host, e.g. https://hooks.example.com/")
        ]
    try:
        parts.port  # noqa: B018 - raises for a port that is not 0-65535
    except ValueError:
        return [FieldProblem(field, "url_port", "the port must be a number from 0 to 65535")]
    return []


def _valid_host(host: str) -> bool:
    if ":" in host:  # an IPv6 literal (urlsplit has taken off the brackets)
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return False
        return True
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return _HOST_LABELS.fullmatch(ascii_host.lower()) is not None


def subscription_problems(events: list[str], field: str = "events") -> list[FieldProblem]:
    """What is wrong with a list of subscription patterns (empty when nothing): a
    non-empty list of at most 50 distinct patterns `valid_subscription` takes."""
    if not events:
        return [FieldProblem(field, "non_empty_list", "subscribe to at least one event type")]
    if len(events) > MAX_SUBSCRIPTIONS:
        return [FieldProblem(field, "max_items", f"at most {MAX_SUBSCRIPTIONS} patterns")]
    problems = []
    seen: set[str] = set()
    for i, pattern in enumerate(events):
        if not valid_subscription(pattern):
            problems.append(
                FieldProblem(
                    f"{field}[{i}]",
                    "known_event_type",
                    f"{pattern[:80]!r} is not an event type, a family (`enforcement.*`) or `*`",
                )
            )
        elif pattern in seen:
            problems.append(FieldProblem(f"{field}[{i}]", "unique", f"{pattern!r} is listed twice"))
        seen.add(pattern)
    return problems


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
