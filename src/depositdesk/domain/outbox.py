"""The outbox: messages written with the change that causes them, sent afterwards.

A notice (DEP-5, DEP-6), a `shop.funded` webhook or any other message to the outside
world is stored as an `OutboxMessage` in the same transaction as its cause, so a
rolled-back change sends nothing and a committed one is never lost. The worker sends
due messages and retries failures with capped exponential backoff until the
channel's maximum age (3 days for webhooks, interface.md "Webhooks").

Each change has one `dedupe_key`, so it yields at most one message and one `id`:
a receiver may see the same id twice (a resend), never two ids for one change.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"


class DeliveryStatus(StrEnum):
    """Where a message stands: still to be (re)tried, sent, or given up."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One message to send.

    `payload` is JSON-able and depends on the channel:
    - email: `{"to", "subject", "text", "language"}` and optionally `"html"`, already
      rendered when the change was written (see `email_payload`);
    - webhook: `{"endpoint_id", "event_id", "data"}` (see `webhook_payload`): the
      event's id, the same in every attempt, and its `data` object. The receiver's
      url and secret are not copied here: the worker reads them from the endpoint
      (`endpoint_id`, also a column, so an endpoint's deliveries can be listed) when
      it claims the row, so a disabled endpoint gets nothing more.
    """

    id: str
    channel: Channel
    topic: str  # "notice.topup", "shop.funded", …
    dedupe_key: str
    payload: dict[str, object]
    created_at: datetime
    available_at: datetime  # the next attempt is due then
    attempts: int = 0
    sent_at: datetime | None = None
    failed_at: datetime | None = None
    last_error: str | None = None
    endpoint_id: str | None = None  # webhooks: the receiving endpoint

    @classmethod
    def new(
        cls,
        channel: Channel,
        topic: str,
        dedupe_key: str,
        payload: dict[str, object],
        now: datetime,
        *,
        endpoint_id: str | None = None,
    ) -> OutboxMessage:
        """A message due at once, with a fresh id."""
        return cls(
            uuid.uuid4().hex, channel, topic, dedupe_key, payload, now, now, endpoint_id=endpoint_id
        )

    @property
    def pending(self) -> bool:
        return self.sent_at is None and self.failed_at is None

    @property
    def status(self) -> DeliveryStatus:
        if self.sent_at is not None:
            return DeliveryStatus.SENT
        if self.failed_at is not None:
            return DeliveryStatus.FAILED
        return DeliveryStatus.PENDING

    @property
    def event_id(self) -> str | None:
        """A webhook's event id (the `id` its receiver sees), None for other rows."""
        value = self.payload.get("event_id")
        return value if isinstance(value, str) else None


def email_payload(
    to: str, subject: str, text: str, language: str, html: str | None = None
) -> dict[str, object]:
    payload: dict[str, object] = {
        "to": to,
        "subject": subject,
        "text": text,
        "language": language,
    }
    if html is not None:
        payload["html"] = html
    return payload


def webhook_payload(endpoint_id: str, event_id: str, data: dict[str, object]) -> dict[str, object]:
    """One event for one endpoint (services/webhooks.publish writes these)."""
    return {"endpoint_id": endpoint_id, "event_id": event_id, "data": data}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Capped exponential backoff, given up `max_age` after the message was created."""

    base: timedelta
    cap: timedelta
    max_age: timedelta
    jitter_spread: float = 0.5  # share of each delay taken off at random


RETRY_POLICIES: dict[Channel, RetryPolicy] = {
    # interface.md "Webhooks": a non-2xx answer is retried with exponential backoff for 3 days.
    Channel.WEBHOOK: RetryPolicy(
        base=timedelta(minutes=1), cap=timedelta(hours=6), max_age=timedelta(days=3)
    ),
    # No figure in the spec for email; the same 3 days, with a shorter cap.
    Channel.EMAIL: RetryPolicy(
        base=timedelta(minutes=1), cap=timedelta(hours=1), max_age=timedelta(days=3)
    ),
}


def retry_delay(policy: RetryPolicy, attempts: int, jitter: float) -> timedelta:
    """The wait after the `attempts`-th failed attempt (1 for the first failure).

    `base * 2**(attempts-1)`, capped at `policy.cap`, then shortened by up to
    `jitter_spread` of itself: `jitter` in [0, 1] (e.g. `random.Random().random()`),
    1 keeping the full delay, so workers that failed together do not retry together.
    """
    if attempts < 1:
        raise ValueError("attempts counts failed attempts, from 1")
    if not 0.0 <= jitter <= 1.0:
        raise ValueError("jitter is a fraction in [0, 1]")
    # Compare exponents before multiplying: 2**attempts overflows timedelta quickly.
    doublings = attempts - 1
    raw = policy.cap
    if doublings < 64 and policy.base * (2**doublings) < policy.cap:
        raw = policy.base * (2**doublings)
    return raw * (1.0 - policy.jitter_spread * (1.0 - jitter))


def next_attempt_at(
    policy: RetryPolicy, created_at: datetime, attempts: int, now: datetime, jitter: float
) -> datetime | None:
    """When to try again after a failed attempt at `now`; None means give up.

    The last retry is pulled in to the deadline (`created_at + max_age`) rather than
    skipped, so a message is tried for the whole `max_age`; a failure at or after the
    deadline gives up.
    """
    deadline = created_at + policy.max_age
    if now >= deadline:
        return None
    return min(now + retry_delay(policy, attempts, jitter), deadline)
