"""Sending the outbox (services/outbox.py): sent once, retried with backoff under the
same id, given up after the channel's maximum age (interface.md "Webhooks")."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from depositdesk.domain.outbox import (
    RETRY_POLICIES,
    Channel,
    OutboxMessage,
    RetryPolicy,
    email_payload,
    next_attempt_at,
    retry_delay,
    webhook_payload,
)
from depositdesk.domain.webhook_endpoints import WebhookEndpoint
from depositdesk.services.outbox import LEASE, send_due
from tests.fakes import Crash, FakeMailer, FakeOutboxStore, FakeSenders, FakeWebhookSender

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


class FullDelay(random.Random):
    """Jitter that keeps the whole delay, so the times are exact."""

    def random(self) -> float:
        return 1.0


def topup_notice(store: FakeOutboxStore, shop: str = "shop1") -> OutboxMessage:
    message = OutboxMessage.new(
        Channel.EMAIL,
        "notice.topup",
        f"notice:topup:{shop}:1",
        email_payload("s1@example.com", "Top up your deposit", "Please pay 500.00 GBP.", "en"),
        NOW,
    )
    with store.uow() as uow:
        assert uow.outbox.add(message)
        uow.commit()
    return message


ENDPOINT = WebhookEndpoint(
    id="whe_0123456789abcdef",
    url="https://hooks.example.com/dd",
    events=("*",),
    secret="whsec_1",
    created_at=NOW,
    created_by="platform_admin:test",
)
EVENT_ID = "evt_5f0c"


def shop_funded(
    store: FakeOutboxStore,
    endpoint: WebhookEndpoint | None = ENDPOINT,
    payload: dict[str, object] | None = None,
) -> OutboxMessage:
    """A `shop.funded` webhook row for ENDPOINT, stored with the endpoint (or without
    it: `endpoint=None` leaves it unknown)."""
    message = OutboxMessage.new(
        Channel.WEBHOOK,
        "shop.funded",
        "shop.funded:shop1:1",
        payload or webhook_payload(ENDPOINT.id, EVENT_ID, {"shop_id": "shop1"}),
        NOW,
        endpoint_id=ENDPOINT.id,
    )
    with store.uow() as uow:
        if endpoint is not None:
            uow.webhook_endpoints.add(endpoint)
        uow.outbox.add(message)
        uow.commit()
    return message


def test_dep5_topup_notice_email_is_sent_once_and_marked_sent() -> None:
    store, senders = FakeOutboxStore(), FakeSenders()
    message = topup_notice(store)

    report = send_due(store.uow, senders, NOW)
    again = send_due(store.uow, senders, NOW + timedelta(days=1))

    assert (report.claimed, report.sent, again.claimed) == (1, 1, 0)
    [mail] = senders.mailer.sent
    assert (mail.message_id, mail.to, mail.subject) == (
        message.id,
        "s1@example.com",
        "Top up your deposit",
    )
    row = store.get(message.id)
    assert (row.sent_at, row.attempts, row.pending) == (NOW, 1, False)


def test_message_not_yet_available_is_not_sent() -> None:
    store, senders = FakeOutboxStore(), FakeSenders()
    message = OutboxMessage.new(
        Channel.EMAIL, "notice.topup", "k", email_payload("a@b.c", "s", "t", "en"), NOW
    )
    with store.uow() as uow:
        uow.outbox.add(replace(message, available_at=NOW + MINUTE))
        uow.commit()

    assert send_due(store.uow, senders, NOW).claimed == 0
    assert send_due(store.uow, senders, NOW + MINUTE).sent == 1


def test_failing_webhook_is_retried_with_backoff_and_keeps_its_id() -> None:
    store = FakeOutboxStore()
    senders = FakeSenders(webhooks=FakeWebhookSender(fail_times=2, status=503))
    message = shop_funded(store)

    first = send_due(store.uow, senders, NOW, rng=FullDelay())
    row = store.get(message.id)
    assert (first.retrying, row.attempts, row.available_at) == (1, 1, NOW + MINUTE)
    assert row.last_error == "HTTP 503: fake receiver failure"

    assert send_due(store.uow, senders, NOW + timedelta(seconds=30)).claimed == 0
    send_due(store.uow, senders, NOW + MINUTE, rng=FullDelay())
    assert store.get(message.id).available_at == NOW + 3 * MINUTE  # then 2 minutes
    third = send_due(store.uow, senders, NOW + 3 * MINUTE, rng=FullDelay())

    assert third.sent == 1
    assert store.get(message.id).sent_at == NOW + 3 * MINUTE
    # The event id, not the row id: the same in every attempt.
    assert [d.id for d in senders.webhooks.attempts] == [EVENT_ID] * 3
    assert {(d.url, d.secret) for d in senders.webhooks.attempts} == {
        ("https://hooks.example.com/dd", "whsec_1")
    }
    body = json.loads(senders.webhooks.attempts[-1].body)
    assert body == {
        "id": EVENT_ID,
        "type": "shop.funded",
        "created_at": "2026-03-02T09:00:00Z",
        "data": {"shop_id": "shop1"},
    }


def test_webhook_is_given_up_after_three_days_and_marked_failed() -> None:
    store = FakeOutboxStore()
    senders = FakeSenders(webhooks=FakeWebhookSender(fail_times=10**6))
    message = shop_funded(store)
    deadline = NOW + timedelta(days=3)

    at = NOW
    for _ in range(100):
        send_due(store.uow, senders, at, rng=random.Random(5))
        row = store.get(message.id)
        if not row.pending:
            break
        at = row.available_at
    assert row.failed_at == deadline  # the last try is pulled in to the deadline
    assert row.sent_at is None and row.last_error == "HTTP 500: fake receiver failure"
    assert 12 < row.attempts < 40  # backoff, not a retry storm
    assert {d.id for d in senders.webhooks.attempts} == {EVENT_ID}
    assert send_due(store.uow, senders, deadline + timedelta(days=1)).claimed == 0


def test_crash_after_sending_resends_the_same_id_after_the_lease() -> None:
    store = FakeOutboxStore(crash_on_commit=3)  # 1: add, 2: claim, 3: mark sent
    senders = FakeSenders()
    message = topup_notice(store)

    with pytest.raises(Crash):
        send_due(store.uow, senders, NOW)
    assert store.get(message.id).pending  # sent, but not marked
    assert send_due(store.uow, senders, NOW + LEASE - MINUTE).claimed == 0  # still leased
    send_due(store.uow, senders, NOW + LEASE)

    assert [m.message_id for m in senders.mailer.sent] == [message.id, message.id]
    assert store.get(message.id).sent_at == NOW + LEASE


def test_one_run_sends_at_most_limit_messages_oldest_first() -> None:
    store, senders = FakeOutboxStore(), FakeSenders()
    for n in range(3):
        message = OutboxMessage.new(
            Channel.EMAIL, "notice.topup", f"k{n}", email_payload("a@b.c", f"n{n}", "t", "en"), NOW
        )
        with store.uow() as uow:
            uow.outbox.add(replace(message, available_at=NOW - n * MINUTE))
            uow.commit()

    assert send_due(store.uow, senders, NOW, limit=2).sent == 2
    assert [m.subject for m in senders.mailer.sent] == ["n2", "n1"]
    assert send_due(store.uow, senders, NOW, limit=2).sent == 1


def test_failing_email_does_not_hold_up_the_others() -> None:
    store = FakeOutboxStore()
    senders = FakeSenders(mailer=FakeMailer(fail_times=1))
    first, second = topup_notice(store, "shop1"), topup_notice(store, "shop2")

    report = send_due(store.uow, senders, NOW)

    assert (report.sent, report.retrying) == (1, 1)
    rows = sorted((store.get(m.id) for m in (first, second)), key=lambda m: m.pending)
    assert rows[0].sent_at == NOW
    assert rows[1].last_error == "ConnectionError: fake SMTP server is down"


def test_payload_that_cannot_be_sent_fails_at_once() -> None:
    store, senders = FakeOutboxStore(), FakeSenders()
    broken = shop_funded(store, payload={"endpoint_id": ENDPOINT.id, "data": {}})

    report = send_due(store.uow, senders, NOW)

    assert report.failed == 1 and senders.webhooks.attempts == []
    assert store.get(broken.id).last_error == "undeliverable: event_id must be a non-empty string"


def test_webhook_row_without_an_endpoint_fails_at_once() -> None:
    store, senders = FakeOutboxStore(), FakeSenders()
    orphan = OutboxMessage.new(Channel.WEBHOOK, "shop.funded", "k", {"data": {}}, NOW)
    with store.uow() as uow:
        uow.outbox.add(orphan)
        uow.commit()

    report = send_due(store.uow, senders, NOW)

    assert (report.claimed, report.failed) == (1, 1) and senders.webhooks.attempts == []
    row = store.get(orphan.id)
    assert (row.failed_at, row.attempts) == (NOW, 0)
    assert row.last_error == "undeliverable: the message names no webhook endpoint"


def test_webhook_to_an_unknown_endpoint_fails_when_claimed() -> None:
    store, senders = FakeOutboxStore(), FakeSenders()
    message = shop_funded(store, endpoint=None)

    assert send_due(store.uow, senders, NOW).failed == 1
    assert senders.webhooks.attempts == []
    assert store.get(message.id).last_error == f"unknown endpoint {ENDPOINT.id}"


def test_pending_webhook_to_a_disabled_endpoint_fails_when_claimed() -> None:
    store = FakeOutboxStore()
    senders = FakeSenders(webhooks=FakeWebhookSender(fail_times=1))
    message = shop_funded(store)
    send_due(store.uow, senders, NOW, rng=FullDelay())  # one failed attempt, retry due later
    with store.uow() as uow:
        uow.webhook_endpoints.disable(ENDPOINT.id, NOW + MINUTE / 2)
        uow.commit()

    report = send_due(store.uow, senders, NOW + MINUTE)

    assert (report.claimed, report.failed) == (1, 1)
    assert len(senders.webhooks.attempts) == 1  # nothing more went out
    row = store.get(message.id)
    assert (row.failed_at, row.attempts, row.last_error) == (NOW + MINUTE, 1, "endpoint disabled")


def test_webhook_goes_to_the_endpoints_url_and_secret_as_read_when_claimed() -> None:
    store, senders = FakeOutboxStore(), FakeSenders()
    shop_funded(store)
    with store.uow() as uow:  # a later change of the endpoint is what counts
        uow.webhook_endpoints.rows[ENDPOINT.id] = replace(
            ENDPOINT, url="https://new.example.com/hooks", secret="whsec_2"
        )
        uow.commit()

    assert send_due(store.uow, senders, NOW).sent == 1
    [delivery] = senders.webhooks.attempts
    assert (delivery.url, delivery.secret) == ("https://new.example.com/hooks", "whsec_2")


def test_backoff_is_exponential_then_capped() -> None:
    policy = RetryPolicy(base=MINUTE, cap=timedelta(hours=1), max_age=timedelta(days=3))
    delays = [retry_delay(policy, n, jitter=1.0) / MINUTE for n in range(1, 10)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]
    assert retry_delay(policy, 10_000, jitter=1.0) == timedelta(hours=1)


def test_backoff_jitter_takes_off_at_most_half_the_delay() -> None:
    policy = RetryPolicy(base=MINUTE, cap=timedelta(hours=1), max_age=timedelta(days=3))
    assert retry_delay(policy, 3, jitter=0.0) == 2 * MINUTE
    rng = random.Random(1)
    delays = {retry_delay(policy, 3, rng.random()) for _ in range(50)}
    assert all(2 * MINUTE <= d <= 4 * MINUTE for d in delays) and len(delays) > 40


def test_webhook_retries_stop_three_days_after_the_message() -> None:
    policy = RETRY_POLICIES[Channel.WEBHOOK]
    assert policy.max_age == timedelta(days=3)
    deadline = NOW + timedelta(days=3)
    assert next_attempt_at(policy, NOW, 20, deadline - MINUTE, 1.0) == deadline
    assert next_attempt_at(policy, NOW, 20, deadline, 1.0) is None
    assert next_attempt_at(policy, NOW, 1, NOW, 1.0) == NOW + MINUTE
