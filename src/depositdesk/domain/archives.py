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


# An object's keys by class (kept, personal, customer, text), per shape of object: a
# marketplace sends a few shapes a million times, so each object is copied whole (in
# C) and only its personal, customer and text keys, and any nested values, are redone.
_Plan = tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]
_PLANS: dict[tuple[str, ...], _Plan] = {}
_PLANS_KEPT = 4096


def _plan(keys: tuple[str, ...]) -> _Plan:
    plan = _PLANS.get(keys)
    if plan is None:
        keep: list[str] = []
        personal: list[str] = []
        customer: list[str] = []
        text: list[str] = []
        by_class = {_KEEP: keep, _PERSONAL: personal, _CUSTOMER: customer, _TEXT: text}
        for key in keys:
            by_class[_key_class(key)].append(key)
        plan = (tuple(keep), tuple(personal), tuple(customer), tuple(text))
        if len(_PLANS) < _PLANS_KEPT:
            _PLANS[keys] = plan
    return plan


def scrub(value: Any, customer: Callable[[str], str]) -> Any:
    """An event's data with personal fields removed (UNL-4): values under personal keys
    become "[removed]", customer ids become pseudonyms (`customer`), and free text
    loses email addresses and phone numbers. Ids, codes and amounts stay."""
    if isinstance(value, dict):
        keep, personal, customers, texts = _plan(tuple(value))
        out = dict(value)
        for k in keep:
            v = value[k]
            if isinstance(v, dict | list):
                out[k] = scrub(v, customer)
        for k in personal:
            out[k] = REMOVED
        for k in customers:
            v = value[k]
            if isinstance(v, str):
                out[k] = customer(v)
            elif isinstance(v, int):
                out[k] = customer(str(v))
            elif isinstance(v, dict | list):
                out[k] = scrub(v, customer)
        for k in texts:
            v = value[k]
            if isinstance(v, str):
                out[k] = scrub_text(v)
            elif isinstance(v, dict | list):
                out[k] = scrub(v, customer)
        return out
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
