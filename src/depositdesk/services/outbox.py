"""Sending the outbox: the half of the worker that talks to mail and webhook receivers.

`send_due` takes the due messages one at a time, in three steps, so no message is
lost and none is sent twice within an attempt:

1. **Claim** (one short transaction): take the oldest due message (PostgreSQL skips
   rows another worker holds), count the attempt and push `available_at` to
   `now + lease`, then commit. The row is now leased: no other worker takes it
   until the lease runs out. A webhook row reads its endpoint (url, secret) here;
   if the endpoint is unknown or disabled the row is marked failed at once.
2. **Send** it, outside any transaction (no lock is held while a receiver is slow).
3. **Mark** it in a second short transaction: sent, retry at the backoff time
   (domain/outbox.py), or failed once the channel's maximum age has passed or the
   payload cannot be sent at all.

One message per claim keeps the lease about one send, not a whole batch: a lease of
minutes is far above the senders' timeouts (10 s webhooks, 30 s SMTP).

Crashes: before step 1 commits, nothing happened. Between 1 and 3 the lease runs
out and a later run sends the message again, with the same id (the same email
Message-ID, the same webhook `id`): a receiver may see one message twice, never two
ids for one change (interface.md "Webhooks").

A webhook is delivered as `{id, type, created_at, data}` (interface.md "Webhooks"):
`id` is the event id `services/webhooks.publish` stored in the payload, `type` the
row's topic, `created_at` the time of the change; all three are the same in every
attempt. The sender signs the body with the endpoint's secret.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

from depositdesk.domain.gateway_messages import EmailMessage, WebhookDelivery
from depositdesk.domain.outbox import RETRY_POLICIES, Channel, OutboxMessage, next_attempt_at
from depositdesk.domain.webhook_endpoints import WebhookEndpoint
from depositdesk.services.ports.gateways import Mailer, WebhookSender
from depositdesk.services.ports.outbox import OutboxRepository, WebhookEndpointRepository
from depositdesk.services.ports.uow import Transaction

LEASE = timedelta(minutes=5)
MAX_ERROR = 1000  # characters of the last error kept on the row


class OutboxUnitOfWork(Transaction, Protocol):
    """The part of the unit of work `send_due` needs."""

    @property
    def outbox(self) -> OutboxRepository: ...

    @property
    def webhook_endpoints(self) -> WebhookEndpointRepository: ...


class Senders(Protocol):
    """Where each channel goes (adapters/gateways.py `Gateways` is one)."""

    @property
    def mailer(self) -> Mailer: ...

    @property
    def webhooks(self) -> WebhookSender: ...


Outcome = Literal["sent", "retrying", "failed"]


@dataclass(frozen=True, slots=True)
class SendReport:
    """What one `send_due` run did: attempts made, and how they ended."""

    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


class Undeliverable(ValueError):
    """The payload cannot make a message: retrying would not help."""


@dataclass(frozen=True, slots=True)
class Claimed:
    """A leased message and, for a webhook, its endpoint as the claim read it."""

    message: OutboxMessage
    endpoint: WebhookEndpoint | None = None


def send_due(
    uow_factory: Callable[[], OutboxUnitOfWork],
    senders: Senders,
    now: datetime,
    limit: int = 100,
    *,
    lease: timedelta = LEASE,
    rng: random.Random | None = None,
) -> SendReport:
    """Send up to `limit` messages due at `now` (see the module docstring)."""
    rng = rng or random.Random()
    outcomes: Counter[Outcome] = Counter()
    for _ in range(limit):
        claimed = _claim_one(uow_factory, now, lease)
        if claimed is None:
            break
        if claimed == "failed":
            outcomes["failed"] += 1
            continue
        error, permanent = _send(claimed, senders)
        outcomes[_record(uow_factory, claimed.message, error, permanent, now, rng)] += 1
    return SendReport(
        claimed=outcomes.total(),
        sent=outcomes["sent"],
        retrying=outcomes["retrying"],
        failed=outcomes["failed"],
    )


def _claim_one(
    uow_factory: Callable[[], OutboxUnitOfWork], now: datetime, lease: timedelta
) -> Claimed | Literal["failed"] | None:
    """The oldest due message, leased until `now + lease`, its attempt counted, with
    its endpoint if it is a webhook. A webhook whose endpoint is unknown or disabled
    is marked failed instead ("failed"); None when nothing is due."""
    with uow_factory() as uow:
        due = uow.outbox.claim_due(now, 1)
        if not due:
            return None
        endpoint = None
        if due[0].channel is Channel.WEBHOOK:
            endpoint_id = due[0].endpoint_id
            endpoint = uow.webhook_endpoints.get(endpoint_id) if endpoint_id else None
            refusal = _refusal(endpoint_id, endpoint)
            if refusal is not None:
                uow.outbox.mark_failed(due[0].id, now, refusal)
                uow.commit()
                return "failed"
        message = replace(due[0], attempts=due[0].attempts + 1, available_at=now + lease)
        uow.outbox.mark_retry(
            message.id, message.attempts, message.available_at, message.last_error
        )
        uow.commit()
        return Claimed(message, endpoint)


def _refusal(endpoint_id: str | None, endpoint: WebhookEndpoint | None) -> str | None:
    """Why a webhook row cannot go to its endpoint at all (None: it can)."""
    if endpoint_id is None:
        return "undeliverable: the message names no webhook endpoint"
    if endpoint is None:
        return f"unknown endpoint {endpoint_id}"
    if endpoint.disabled_at is not None:
        return "endpoint disabled"
    return None


def _record(
    uow_factory: Callable[[], OutboxUnitOfWork],
    message: OutboxMessage,
    error: str | None,
    permanent: bool,
    now: datetime,
    rng: random.Random,
) -> Outcome:
    """Mark how the attempt went, in its own transaction."""
    retry_at = None
    if error is not None and not permanent:
        policy = RETRY_POLICIES[message.channel]
        retry_at = next_attempt_at(policy, message.created_at, message.attempts, now, rng.random())
    outcome: Outcome
    with uow_factory() as uow:
        if error is None:
            uow.outbox.mark_sent(message.id, now)
            outcome = "sent"
        elif retry_at is None:
            uow.outbox.mark_failed(message.id, now, error)
            outcome = "failed"
        else:
            uow.outbox.mark_retry(message.id, message.attempts, retry_at, error)
            outcome = "retrying"
        uow.commit()
    return outcome


def _send(claimed: Claimed, senders: Senders) -> tuple[str | None, bool]:
    """(None, _) when sent; else (the error, whether retrying is pointless)."""
    message = claimed.message
    try:
        if message.channel is Channel.EMAIL:
            senders.mailer.send(email_of(message))
            return None, False
        if claimed.endpoint is None:
            raise Undeliverable("the webhook endpoint was not read")
        result = senders.webhooks.deliver(delivery_of(message, claimed.endpoint))
    except Undeliverable as exc:
        return _short(f"undeliverable: {exc}"), True
    except Exception as exc:  # any gateway failure is a failed attempt, never a lost message
        return _short(f"{type(exc).__name__}: {exc}"), False
    return (None, False) if result.ok else (_short(result.describe()), False)


def email_of(message: OutboxMessage) -> EmailMessage:
    """The mail an email outbox message stands for (payload: domain/outbox.py)."""
    payload = message.payload
    html = payload.get("html")
    if html is not None and not isinstance(html, str):
        raise Undeliverable("html must be a string")
    return EmailMessage(
        to=_text(payload, "to"),
        subject=_text(payload, "subject"),
        text=_text(payload, "text"),
        message_id=message.id,
        language=_text(payload, "language"),
        html=html,
    )


def delivery_of(message: OutboxMessage, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """The POST a webhook outbox message stands for, to `endpoint` and signed with its
    secret: `{id, type, created_at, data}`, `id` the event id of the payload."""
    data = message.payload.get("data")
    if not isinstance(data, dict):
        raise Undeliverable("data must be an object")
    return WebhookDelivery.for_event(
        id=_text(message.payload, "event_id"),
        url=endpoint.url,
        secret=endpoint.secret,
        type=message.topic,
        created_at=message.created_at,
        data=data,
    )


def _text(payload: dict[str, object], name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value:
        raise Undeliverable(f"{name} must be a non-empty string")
    return value


def _short(error: str) -> str:
    return error if len(error) <= MAX_ERROR else error[: MAX_ERROR - 1] + "…"
