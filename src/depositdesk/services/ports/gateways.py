"""Gateway Protocols: how the services reach the outside world.

Each has a real adapter, a stub that says it is one (adapters/*.py; settings choose
in adapters/gateways.py) and a fake for unit tests (tests/fakes.py).
"""

from __future__ import annotations

from typing import BinaryIO, Protocol

from depositdesk.domain.gateway_messages import (
    EmailMessage,
    PayoutInstruction,
    PayoutReceipt,
    StoredFile,
    WebhookDelivery,
    WebhookResult,
)


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Hand `message` to the mail system, or raise. Its `message_id` becomes the
        Message-ID header, so a resend after a crash is the same mail."""
        ...


class WebhookSender(Protocol):
    def deliver(self, delivery: WebhookDelivery) -> WebhookResult:
        """POST `delivery.body` to `delivery.url`, signed with `delivery.secret`
        (domain/webhook_signing.py). Never raises for network trouble or a non-2xx
        answer: the result says what happened, and the caller decides on a retry."""
        ...


class PayoutGateway(Protocol):
    def send(self, instruction: PayoutInstruction) -> PayoutReceipt:
        """Ask the bank to pay (REF-6). The gateway pays a `payout_key` at most once:
        sending the same instruction again returns the first receipt and pays
        nothing more; the same key with a different instruction raises
        `PayoutKeyReused`."""
        ...


class FileStore(Protocol):
    def put(self, data: bytes) -> StoredFile:
        """Store `data` under the hex SHA-256 of its bytes (the same bytes, the same
        key; storing twice is harmless) and return that record."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Open a stored file for reading; FileNotFoundError if there is none,
        ValueError if `key` is not a hex SHA-256."""
        ...

    def read(self, key: str) -> bytes:
        """All the bytes of a stored file (errors as `open`)."""
        ...
