"""The shop data archive (UNL-4): what it holds, its states, and anonymisation.

An archive is a zip of CSV and Parquet files, one pair per kind of data, and a
`manifest.json` with each file's name, rows and SHA-256. Anonymised, every customer
is a pseudonym (keyed HMAC-SHA256: the same customer of a shop is the same pseudonym
in every file and every archive of that shop), and names, emails, phones and
addresses are taken out of what the marketplace's events carried.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

FORMAT_VERSION = 1  # of the archive's layout (manifest, files, columns)
PSEUDONYM_CONTEXT = b"depositdesk archive customer pseudonyms v1"
REMOVED = "[removed]"


class ArchiveStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    READY = "ready"
    FAILED = "failed"

    @property
    def is_open(self) -> bool:
        """Queued or running: a second request for the shop is refused."""
        return self in (ArchiveStatus.QUEUED, ArchiveStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class ArchiveFile:
    """One file of a ready archive, as its manifest lists it."""

    name: str
    kind: str
    format: str  # csv | parquet
    rows: int
    sha256: str
    bytes: int


@dataclass(frozen=True, slots=True)
class Archive:
    id: str
    shop_id: str
    status: ArchiveStatus
    anonymize_customers: bool
    progress: int  # percent
    created_at: datetime
    created_by: str
    attempts: int = 0
    lease_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    files: tuple[ArchiveFile, ...] = ()
    size: int | None = None  # of the zip, once ready
    sha256: str | None = None  # of the zip


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of data in the archive: its file stem, what it holds, its columns
    (name, type: `string` or `int64`; times are RFC 3339 UTC strings, amounts integer
    minor units of the row's currency)."""

    name: str
    holds: str
    columns: tuple[tuple[str, str], ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c for c, _ in self.columns)


S, N = "string", "int64"
KINDS: tuple[Kind, ...] = (
    Kind(
        "orders",
        "every order of the shop as depositdesk's order projection holds it",
        (
            ("order_id", S),
            ("state", S),
            ("category", S),
            ("amount_minor", N),
            ("currency", S),
            ("customer", S),
            ("placed_at", S),
            ("shipped_at", S),
            ("delivered_at", S),
            ("cancelled_at", S),
            ("after_sales_ends_at", S),
        ),
    ),
    Kind(
        "sales_history",
        "every event the marketplace sent about the shop (orders, after-sales cases, "
        "disputes, complaints, fines, charges, proceeds, campaigns, creators), oldest "
        "first, with its data as received (anonymised: personal fields removed)",
        (("event_id", S), ("type", S), ("occurred_at", S), ("received_at", S), ("data", S)),
    ),
    Kind(
        "ledger_entries",
        "the shop's deposit ledger: one row per posting of each journal entry",
        (
            ("entry_id", N),
            ("at", S),
            ("kind", S),
            ("memo", S),
            ("source", S),
            ("account", S),
            ("currency", S),
            ("amount_minor", N),
        ),
    ),
    Kind(
        "listings",
        "the categories the shop may list in, whether active, and each one's last order "
        "(the marketplace sends depositdesk no product-level listings)",
        (
            ("category", S),
            ("active", S),
            ("changed_at", S),
            ("changed_by", S),
            ("last_order_at", S),
        ),
    ),
    Kind(
        "customers",
        "each customer with orders: order count, first and last order, amount spent per "
        "currency; `details` the personal fields of their latest order event (empty when "
        "anonymised, and `customer` a pseudonym)",
        (
            ("customer", S),
            ("currency", S),
            ("orders", N),
            ("spent_minor", N),
            ("first_order_at", S),
            ("last_order_at", S),
            ("details", S),
        ),
    ),
    Kind(
        "tickets",
        "support tickets and their communications: every ticket.opened / ticket.closed "
        "event, with its data as received (anonymised: personal fields removed)",
        (
            ("event_id", S),
            ("ticket_id", S),
            ("type", S),
            ("occurred_at", S),
            ("subject", S),
            ("data", S),
        ),
    ),
    Kind(
        "customer_messages",
        "the emails depositdesk sent the shop's customers while unlinking (UNL-3, UNL-6): "
        "`kind` notify (the change and the new contact; `about` the customer), cancel (an "
        "order cancelled; `about` the order) or auto_reply (`about` the ticket); `email` "
        "the address written to (empty when anonymised or none was known)",
        (("unlink_id", S), ("kind", S), ("about", S), ("email", S), ("sent_at", S)),
    ),
    Kind(
        "notices",
        "the notices depositdesk sent the seller about the shop",
        (
            ("notice_id", S),
            ("kind", S),
            ("subject", S),
            ("body", S),
            ("created_at", S),
            ("due_at", S),
            ("policy_pack", S),
            ("policy_version", N),
        ),
    ),
    Kind(
        "tax_summary",
        "sales per month (UTC) and currency from the order projection: orders placed, "
        "cancelled, gross sales of the orders not cancelled; `tax_minor` the sum of the "
        "`tax` amounts the order events carried (empty when none did)",
        (
            ("month", S),
            ("currency", S),
            ("orders", N),
            ("cancelled_orders", N),
            ("sales_minor", N),
            ("tax_minor", N),
        ),
    ),
)
KIND_BY_NAME = {k.name: k for k in KINDS}


def pseudonym_key(secret: str) -> bytes:
    """The pseudonyms' key, derived from the server's secret (DEPOSITDESK_SECRET_KEY)."""
    return hmac.digest(secret.encode(), PSEUDONYM_CONTEXT, "sha256")


def pseudonym(key: bytes, shop_id: str, customer_id: str) -> str:
    """UNL-4: a customer's stable pseudonym within a shop (keyed HMAC-SHA256): the
    same in every file and archive of the shop; not reversible without the key."""
    digest = hmac.digest(key, f"{shop_id}\x00{customer_id}".encode(), "sha256")
    return "cus_" + digest[:12].hex()


# Payload keys that name a person or reach them (matched anywhere in the key, any
# case): their values are removed. Keys naming a customer id are pseudonymised.
_PERSONAL_KEY = re.compile(
    r"name|e_?mail|phone|mobile|(?:^|_)tel(?:ephone)?$|fax|address|(?:^|_)addr$|street|"
    r"(?:^|_)city$|town|post_?code|zip|postal|contact|recipient|birth|(?:^|_)ip$|ip_?addr|"
    r"national_?id|passport|iban|card",
    re.IGNORECASE,
)
_CUSTOMER_KEY = re.compile(r"^(customer|buyer|user)(_?id)?$", re.IGNORECASE)
# Free text (a ticket's subject, a message) may quote an address or a number.
_EMAIL = re.compile(r"[^\s@\"<>(),;:]+@[^\s@\"<>(),;:]+")
_PHONE = re.compile(r"\+?\d[\d ().\-]{6,}\d")
# Values that are ids, codes or amounts: never free text, never scrubbed as one.
_STRUCTURED = frozenset(
    {
        "order_id",
        "case_id",
        "dispute_id",
        "complaint_id",
        "fine_id",
        "violation_id",
        "charge_id",
        "campaign_id",
        "creator_id",
        "ticket_id",
        "category",
        "currency",
        "amount",
        "consumer_loss",
        "tax",
        "type",
        "kind",
    }
)


def scrub_text(text: str) -> str:
    """Email addresses and phone-like numbers in free text, removed."""
    if "@" in text:
        text = _EMAIL.sub(REMOVED, text)
    if sum(c.isdigit() for c in text[:200]) < 8 and len(text) <= 200:
        return text  # too few digits for a phone number
    return _PHONE.sub(REMOVED, text)


def is_personal_key(key: str) -> bool:
    return _key_class(key) == _PERSONAL


_CUSTOMER, _PERSONAL, _KEEP, _TEXT = range(4)


@lru_cache(maxsize=4096)
def _key_class(key: str) -> int:
    """What a payload key holds (cached: a shop's events use a few keys a million
    times)."""
    if _CUSTOMER_KEY.match(key):
        return _CUSTOMER
    if _PERSONAL_KEY.search(key):
        return _PERSONAL
    return _KEEP if key in _STRUCTURED else _TEXT


# Objects are scrubbed by a function made for their shape (their keys, in order): a
# marketplace sends a few shapes a million times, so each object is copied whole (in
# C) and only its personal, customer and text keys, and nested values, are redone,
# with no per-key lookups. The function's source holds the keys only as `repr`
# literals, so no key can be read as code; shapes of more than _SHAPE_KEYS keys, and
# shapes past the first _SHAPES, take the general path.
_SHAPES = 4096
_SHAPE_KEYS = 64
_SCRUBBERS: dict[tuple[str, ...], Callable[[dict[str, Any], Callable[[str], str]], Any]] = {}


def _kept(v: Any, customer: Callable[[str], str]) -> Any:
    return scrub(v, customer) if isinstance(v, dict | list) else v


def _customer_value(v: Any, customer: Callable[[str], str]) -> Any:
    if isinstance(v, str):
        return customer(v)
    if isinstance(v, int):
        return customer(str(v))
    return _kept(v, customer)


def _text_value(v: Any, customer: Callable[[str], str]) -> Any:
    return scrub_text(v) if isinstance(v, str) else _kept(v, customer)


_BY_CLASS: dict[int, Callable[[Any, Callable[[str], str]], Any]] = {
    _PERSONAL: lambda v, c: REMOVED,
    _CUSTOMER: _customer_value,
    _KEEP: _kept,
    _TEXT: _text_value,
}


def _scrub_object(value: dict[str, Any], customer: Callable[[str], str]) -> dict[str, Any]:
    """The general path, key by key (what each made function does, unrolled)."""
    return {k: _BY_CLASS[_key_class(k)](v, customer) for k, v in value.items()}


def _scrubber(keys: tuple[str, ...]) -> Callable[[dict[str, Any], Callable[[str], str]], Any]:
    lines = ["def scrub_shape(v, c):", "    out = v.copy()"]
    for key in keys:
        k = repr(key)
        kind = _key_class(key)
        if kind == _PERSONAL:
            lines.append(f"    out[{k}] = REMOVED")
        elif kind == _KEEP:
            lines.append(f"    x = v[{k}]")
            lines.append(f"    if x.__class__ is not str: out[{k}] = kept(x, c)")
        elif kind == _CUSTOMER:
            lines.append(f"    x = v[{k}]")
            lines.append(f"    out[{k}] = c(x) if x.__class__ is str else customer_value(x, c)")
        else:
            lines.append(f"    x = v[{k}]")
            lines.append(f"    out[{k}] = text(x) if x.__class__ is str else kept(x, c)")
    lines.append("    return out")
    namespace: dict[str, Any] = {
        "REMOVED": REMOVED,
        "kept": _kept,
        "customer_value": _customer_value,
        "text": scrub_text,
    }
    exec("\n".join(lines), namespace)  # the keys enter as repr literals only
    made: Callable[[dict[str, Any], Callable[[str], str]], Any] = namespace["scrub_shape"]
    return made


def scrub(value: Any, customer: Callable[[str], str]) -> Any:
    """An event's data with personal fields removed (UNL-4): values under personal keys
    become "[removed]", customer ids become pseudonyms (`customer`), and free text
    loses email addresses and phone numbers. Ids, codes and amounts stay."""
    if isinstance(value, dict):
        keys = tuple(value)
        made = _SCRUBBERS.get(keys)
        if made is None:
            if len(keys) > _SHAPE_KEYS or len(_SCRUBBERS) >= _SHAPES:
                return _scrub_object(value, customer)
            made = _SCRUBBERS[keys] = _scrubber(keys)
        return made(value, customer)
    if isinstance(value, list):
        return [scrub(v, customer) for v in value]
    if isinstance(value, str):
        return scrub_text(value)
    return value


def personal_details(data: dict[str, Any]) -> dict[str, Any]:
    """The personal fields of an order event's data (for a non-anonymised archive's
    customers file), nested objects under personal keys kept whole."""
    found: dict[str, Any] = {}
    for k, v in data.items():
        if is_personal_key(k):
            found[k] = v
        elif isinstance(v, dict):
            inner = personal_details(v)
            if inner:
                found[k] = inner
    return found
