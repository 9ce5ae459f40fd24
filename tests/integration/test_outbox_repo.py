"""The outbox and timer tables on SQLite and PostgreSQL: one message per change,
due rows oldest first, and workers that share the work (SKIP LOCKED)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import TracebackType

import pytest
from sqlalchemy import Connection, Engine, delete

from depositdesk.adapters.db.outbox_repo import OutboxRepository
from depositdesk.adapters.db.tables import outbox, timers
from depositdesk.adapters.db.timer_repo import TimerRepository
from depositdesk.adapters.db.webhook_repo import WebhookEndpointRepository
from depositdesk.domain.outbox import (
    Channel,
    DeliveryStatus,
    OutboxMessage,
    email_payload,
    webhook_payload,
)
from depositdesk.domain.timers import Timer
from depositdesk.domain.webhook_endpoints import WebhookEndpoint
from depositdesk.services.outbox import LEASE, send_due
from depositdesk.services.paging import CreatedCursor
from tests.fakes import FakeSenders, FakeWebhookSender

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def notice(key: str, available_at: datetime = NOW, created_at: datetime = NOW) -> OutboxMessage:
    payload = email_payload("s1@example.com", "补缴保证金", "Please top up 500.00 GBP.", "zh")
    message = OutboxMessage.new(Channel.EMAIL, "notice.topup", key, payload, created_at)
    return replace(message, available_at=available_at)


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as connection:
        connection.begin()
        yield connection


def repos(conn: Connection) -> tuple[OutboxRepository, TimerRepository]:
    postgres = conn.dialect.name == "postgresql"
    return OutboxRepository(conn, postgres), TimerRepository(conn, postgres)


def test_dep5_same_change_stores_one_message(conn: Connection) -> None:
    messages, _ = repos(conn)
    first = notice("notice:topup:shop1:1")

    assert messages.add(first) is True
    assert messages.add(notice("notice:topup:shop1:1")) is False  # another id, same change
    assert messages.add(notice("notice:topup:shop1:2")) is True
    assert messages.pending_count() == 2
    assert messages.get(first.id) == first  # payload, times and enums come back as stored


def test_claim_due_returns_pending_due_rows_oldest_first(conn: Connection) -> None:
    messages, _ = repos(conn)
    late = notice("late", available_at=NOW - MINUTE)
    early = notice("early", available_at=NOW - 2 * MINUTE)
    now_due = notice("now")
    future = notice("future", available_at=NOW + MINUTE)
    sent, failed = notice("sent", NOW - 5 * MINUTE), notice("failed", NOW - 5 * MINUTE)
    for message in (late, early, now_due, future, sent, failed):
        messages.add(message)
    messages.mark_sent(sent.id, NOW)
    messages.mark_failed(failed.id, NOW, "HTTP 500")

    assert [m.id for m in messages.claim_due(NOW, 10)] == [early.id, late.id, now_due.id]
    assert [m.id for m in messages.claim_due(NOW, 2)] == [early.id, late.id]
    assert messages.pending_count() == 4


def test_mark_retry_and_failed_are_stored(conn: Connection) -> None:
    messages, _ = repos(conn)
    message = notice("k")
    messages.add(message)

    messages.mark_retry(message.id, 2, NOW + 2 * MINUTE, "HTTP 503")
    retried = messages.get(message.id)
    assert retried is not None
    assert (retried.attempts, retried.available_at, retried.last_error) == (
        2,
        NOW + 2 * MINUTE,
        "HTTP 503",
    )
    messages.mark_failed(message.id, NOW + 3 * MINUTE, "gave up")
    failed = messages.get(message.id)
    assert failed is not None and failed.failed_at == NOW + 3 * MINUTE
    assert not failed.pending and messages.pending_count() == 0


def hook(key: str, endpoint_id: str, created_at: datetime = NOW) -> OutboxMessage:
    payload = webhook_payload(endpoint_id, f"evt_{key}", {"shop_id": "shop1"})
    return OutboxMessage.new(
        Channel.WEBHOOK, "shop.funded", key, payload, created_at, endpoint_id=endpoint_id
    )


def test_webhook_rows_keep_their_endpoint_and_list_newest_first(conn: Connection) -> None:
    messages, _ = repos(conn)
    rows = [hook(f"k{n}", "whe_a", NOW + n * MINUTE) for n in range(4)]
    for message in [*rows, hook("other", "whe_b"), notice("mail")]:
        messages.add(message)
    messages.mark_sent(rows[0].id, NOW)
    messages.mark_failed(rows[1].id, NOW, "HTTP 500")

    assert messages.get(rows[0].id) == replace(rows[0], sent_at=NOW)
    listed = messages.for_endpoint("whe_a", None, None, 10)
    assert [m.id for m in listed] == [m.id for m in reversed(rows)]
    first = messages.for_endpoint("whe_a", None, None, 2)
    after = CreatedCursor(first[-1].created_at, first[-1].id)
    assert [m.id for m in messages.for_endpoint("whe_a", None, after, 10)] == [
        rows[1].id,
        rows[0].id,
    ]
    assert [m.id for m in messages.for_endpoint("whe_a", DeliveryStatus.FAILED, None, 10)] == [
        rows[1].id
    ]
    pending = messages.for_endpoint("whe_a", DeliveryStatus.PENDING, None, 10)
    assert [m.id for m in pending] == [rows[3].id, rows[2].id]
    assert [m.event_id for m in pending] == ["evt_k3", "evt_k2"]
    assert messages.counts_by_endpoint(["whe_a", "whe_b", "whe_none"]) == {
        "whe_a": {DeliveryStatus.PENDING: 2, DeliveryStatus.SENT: 1, DeliveryStatus.FAILED: 1},
        "whe_b": {DeliveryStatus.PENDING: 1, DeliveryStatus.SENT: 0, DeliveryStatus.FAILED: 0},
        "whe_none": {DeliveryStatus.PENDING: 0, DeliveryStatus.SENT: 0, DeliveryStatus.FAILED: 0},
    }
    assert messages.counts_by_endpoint([]) == {}


def test_rows_of_one_instant_page_by_id(conn: Connection) -> None:
    messages, _ = repos(conn)
    rows = [hook(f"k{n}", "whe_a") for n in range(5)]  # one created_at for all
    for message in rows:
        messages.add(message)
    seen: list[str] = []
    after = None
    while True:
        page = messages.for_endpoint("whe_a", None, after, 2)
        seen += [m.id for m in page]
        if len(page) < 2:
            break
        after = CreatedCursor(page[-1].created_at, page[-1].id)
    assert seen == sorted((m.id for m in rows), reverse=True)


class ConnectionUow:
    """A unit of work with only the outbox and the webhook endpoints, on the test engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __enter__(self) -> ConnectionUow:
        self.conn = self.engine.connect()
        self.conn.begin()
        self.outbox = OutboxRepository(self.conn, self.conn.dialect.name == "postgresql")
        self.webhook_endpoints = WebhookEndpointRepository(self.conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.conn.close()  # rolls back what was not committed

    def commit(self) -> None:
        self.conn.commit()


def test_send_due_against_the_database_sends_once(engine: Engine) -> None:
    with ConnectionUow(engine) as uow:
        uow.outbox.add(message := notice("notice:topup:shop1:1"))
        uow.commit()
    senders = FakeSenders()

    report = send_due(lambda: ConnectionUow(engine), senders, NOW)
    again = send_due(lambda: ConnectionUow(engine), senders, NOW + LEASE)

    assert (report.sent, again.claimed) == (1, 0)
    assert [m.message_id for m in senders.mailer.sent] == [message.id]
    with ConnectionUow(engine) as uow:
        stored = uow.outbox.get(message.id)
    assert stored is not None and (stored.sent_at, stored.attempts) == (NOW, 1)


def test_send_due_against_the_database_delivers_a_webhook_to_its_endpoint(
    engine: Engine,
) -> None:
    endpoint = WebhookEndpoint(
        "whe_0123456789abcdef", "https://hooks.example.com/dd", ("*",), "whsec_1", NOW, "test"
    )
    with ConnectionUow(engine) as uow:
        uow.webhook_endpoints.add(endpoint)
        uow.outbox.add(message := hook("shop.funded:shop1:1", endpoint.id))
        uow.commit()
    senders = FakeSenders(webhooks=FakeWebhookSender(fail_times=1))

    first = send_due(lambda: ConnectionUow(engine), senders, NOW)
    second = send_due(lambda: ConnectionUow(engine), senders, NOW + LEASE)

    assert (first.retrying, second.sent) == (1, 1)
    assert [(d.id, d.url, d.secret) for d in senders.webhooks.attempts] == [
        ("evt_shop.funded:shop1:1", endpoint.url, endpoint.secret)
    ] * 2
    with ConnectionUow(engine) as uow:
        stored = uow.outbox.get(message.id)
    assert stored is not None and (stored.status, stored.attempts) == (DeliveryStatus.SENT, 2)


def test_timers_fire_once_due_and_are_completed(conn: Connection) -> None:
    _, clock_rows = repos(conn)
    topup = Timer.new("topup.due", "shop1", NOW + 30 * timedelta(days=1), NOW, {"notice": "n1"})
    review = Timer.new("review.sla", "refund1", NOW + timedelta(days=2), NOW)
    clock_rows.schedule(topup)
    clock_rows.schedule(review)

    assert clock_rows.next_due() == NOW + timedelta(days=2)
    assert clock_rows.claim_due(NOW + timedelta(days=1), 10) == []
    assert clock_rows.claim_due(NOW + timedelta(days=40), 10) == [review, topup]

    clock_rows.complete(review.id, NOW + timedelta(days=2))
    done = clock_rows.get(review.id)
    assert done is not None and done.done_at == NOW + timedelta(days=2) and not done.cancelled
    assert clock_rows.next_due() == topup.due_at
    assert clock_rows.claim_due(NOW + timedelta(days=40), 10) == [topup]


def test_dep6_topping_up_cancels_the_pending_timers(conn: Connection) -> None:
    _, clock_rows = repos(conn)
    for days in (30, 37):
        clock_rows.schedule(Timer.new("enforcement.step", "shop1", NOW + timedelta(days), NOW))
    other_shop = Timer.new("enforcement.step", "shop2", NOW + timedelta(days=30), NOW)
    clock_rows.schedule(other_shop)

    assert clock_rows.cancel("enforcement.step", "shop1", NOW) == 2
    assert clock_rows.cancel("enforcement.step", "shop1", NOW) == 0
    assert clock_rows.claim_due(NOW + timedelta(days=60), 10) == [other_shop]
    assert clock_rows.next_due() == other_shop.due_at


def test_no_timers_means_nothing_is_due(conn: Connection) -> None:
    _, clock_rows = repos(conn)
    assert clock_rows.next_due() is None


@pytest.mark.postgres
def test_postgres_workers_claim_disjoint_outbox_rows(pg_engine: Engine) -> None:
    with pg_engine.begin() as setup:
        setup.execute(delete(outbox))
        for n in range(6):
            OutboxRepository(setup, True).add(notice(f"k{n}", NOW - n * MINUTE))
    with pg_engine.connect() as one, pg_engine.connect() as two:
        one.begin()
        two.begin()
        first = OutboxRepository(one, True).claim_due(NOW, 4)
        second = OutboxRepository(two, True).claim_due(NOW, 4)  # skips, does not wait

        assert len(first) == 4 and len(second) == 2
        assert {m.id for m in first}.isdisjoint(m.id for m in second)


@pytest.mark.postgres
def test_postgres_workers_claim_disjoint_timers(pg_engine: Engine) -> None:
    with pg_engine.begin() as setup:
        setup.execute(delete(timers))
        for n in range(5):
            TimerRepository(setup, True).schedule(Timer.new("t", f"s{n}", NOW, NOW))
    with pg_engine.connect() as one, pg_engine.connect() as two:
        one.begin()
        two.begin()
        first = TimerRepository(one, True).claim_due(NOW, 3)
        second = TimerRepository(two, True).claim_due(NOW, 3)

        assert (len(first), len(second)) == (3, 2)
        assert {t.id for t in first}.isdisjoint(t.id for t in second)
