"""What crosses the gateways (services/ports/gateways.py): mail, webhook deliveries,
payout instructions and receipts, stored files. Plain values; no I/O here."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from depositdesk.domain.money import Money


@dataclass(frozen=True, slots=True)
class EmailMessage:
    """One email. `message_id` becomes the Message-ID header, so a resend of the
    same outbox message is recognisable as the same mail."""

    to: str
    subject: str
    text: str
    message_id: str
    language: str = "en"
    html: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One POST to one endpoint; `id` is the event id the receiver deduplicates on."""

    id: str
    url: str
    secret: str
    body: bytes

    @classmethod
    def for_event(
        cls,
        id: str,
        url: str,
        secret: str,
        type: str,
        created_at: datetime,
        data: dict[str, object],
    ) -> WebhookDelivery:
        """The body of interface.md "Webhooks": `{id, type, created_at, data}`."""
        document = {
            "id": id,
            "type": type,
            "created_at": created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": data,
        }
        body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        return cls(id, url, secret, body)


@dataclass(frozen=True, slots=True)
class WebhookResult:
    """How a delivery went: the HTTP status if an answer came, else the error."""

    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def describe(self) -> str:
        if self.ok:
            return f"HTTP {self.status_code}"
        if self.status_code is not None:
            return f"HTTP {self.status_code}" + (f": {self.error}" if self.error else "")
        return self.error or "no answer"


@dataclass(frozen=True, slots=True)
class PayoutInstruction:
    """Pay `amount` to the shop's original route (REF-6).

    `payout_key` is unique per payout and is shown to the gateway, which pays a key
    at most once: resending the same instruction after a crash cannot pay twice.
    `amount` is in the deposit's currency (the ledger's); when the destination
    account holds another currency, `dest_amount` is what the bank transfers, converted
    at the payout day's rate (REF-7, `domain/fx.convert`). `route` is text; the bank
    file parses it as `domain/bank_route.PayoutRoute` (`iban:…;bic:…;name:…`).
    """

    payout_key: str
    shop_id: str
    amount: Money
    route: str  # the original payout route, as the gateway names it
    reference: str  # shown to the seller on their statement
    dest_amount: Money | None = None  # REF-7: set when the destination currency differs

    @property
    def payable(self) -> Money:
        """What the bank transfers: `dest_amount` when set, else `amount`."""
        return self.dest_amount if self.dest_amount is not None else self.amount


@dataclass(frozen=True, slots=True)
class PayoutReceipt:
    """The gateway took the instruction. A bank's result (paid or failed) comes later:
    the sandbox says when (`settles_at`) and how (`settles_as`, with
    `failure_reason`); the bank file names the `file` the payout is in (relative to
    `DEPOSITDESK_DATA_DIR`), and the operator reports the bank's answer."""

    payout_key: str
    gateway_reference: str
    accepted_at: datetime
    settles_at: datetime | None = None
    settles_as: Literal["paid", "failed"] | None = None
    failure_reason: str | None = None
    file: str | None = None


class PayoutKeyReused(ValueError):
    """The same payout key came with a different instruction: a bug, never paid."""


class PayoutGatewayError(RuntimeError):
    """The gateway could not take the instruction (unreachable, misconfigured, or a
    route it cannot pay to). Nothing was recorded or paid: the caller may retry the
    same payout key later, or return the payout to review."""


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file in the content-addressed store: its key is the SHA-256 of its bytes."""

    sha256: str
    size: int

    @property
    def key(self) -> str:
        return self.sha256
