"""Webhooks end to end (interface.md "Webhooks"): an endpoint registered over the API, a
change that publishes an event, the worker's send loop with the real HttpWebhookSender,
and a real HTTP receiver on loopback that checks every signature. Retries keep the
event id; three days of failures end in `failed`, shown in the endpoint's deliveries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from depositdesk.adapters.webhooks import HttpWebhookSender
from depositdesk.bootstrap import App
from depositdesk.domain.webhook_signing import SIGNATURE_HEADER, verify
from depositdesk.services.outbox import send_due
from tests.conftest import START, Api


@dataclass(frozen=True)
class Received:
    body: dict[str, Any]
    signed: bool  # the signature verified with the endpoint's secret
    answered: int


class SigningReceiver(BaseHTTPRequestHandler):
    """Verifies each POST's Depositdesk-Signature, then answers the next status of
    `server.answers` (200 once they run out; 401 for a bad signature)."""

    server: ReceiverServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        server = self.server
        signed = verify(
            server.secret, body, self.headers.get(SIGNATURE_HEADER, ""), datetime.now(UTC)
        )
        status = (server.answers.pop(0) if server.answers else 200) if signed else 401
        server.received.append(Received(json.loads(body), signed, status))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


class ReceiverServer(ThreadingHTTPServer):
    secret = ""
    answers: list[int]
    received: list[Received]

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/hooks/depositdesk"


@pytest.fixture
def receiver() -> Iterator[ReceiverServer]:
    server = ReceiverServer(("127.0.0.1", 0), SigningReceiver)
    server.answers, server.received = [], []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def register(api: Api, receiver: ReceiverServer) -> str:
    r = api.c.post(
        "/v1/webhook-endpoints",
        headers=api.admin,
        json={"url": receiver.url, "events": ["shop.funded"]},
    )
    assert r.status_code == 201, r.text
    receiver.secret = r.json()["secret"]
    return str(r.json()["id"])


def fund_a_shop(api: Api) -> None:
    """DEP-4: a shop's first full pay-in publishes `shop.funded`."""
    api.seller("s1")
    required = api.shop("shop1", "s1")["required_deposit"]
    r = api.pay_in("shop1", required["amount"], required["currency"])
    assert r.status_code == 201, r.text


def deliveries(api: Api, endpoint_id: str, **params: str) -> list[dict[str, Any]]:
    r = api.c.get(
        f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=api.admin, params=params
    )
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_dep4_shop_funded_is_retried_with_the_same_id_until_the_receiver_takes_it(
    api: Api, app: App, receiver: ReceiverServer
) -> None:
    endpoint_id = register(api, receiver)
    fund_a_shop(api)
    [queued] = deliveries(api, endpoint_id)
    assert (queued["type"], queued["status"]) == ("shop.funded", "pending")
    receiver.answers = [500, 500]  # then 200
    assert isinstance(app.gateways.webhooks, HttpWebhookSender)

    now = START
    for _ in range(3):
        send_due(app.uow, app.gateways, now)
        [row] = deliveries(api, endpoint_id)
        if row["status"] != "pending":
            break
        assert row["last_error"] == "HTTP 500: Internal Server Error"
        assert at(row["next_attempt_at"]) > now  # backoff: not due again at once
        now = at(row["next_attempt_at"])  # the worker's clock reaches the retry

    assert [(r.signed, r.answered) for r in receiver.received] == [
        (True, 500),
        (True, 500),
        (True, 200),
    ]
    assert [r.body["id"] for r in receiver.received] == [queued["event_id"]] * 3
    body = receiver.received[-1].body
    assert (body["type"], body["created_at"]) == ("shop.funded", "2026-03-02T09:00:00Z")
    assert body["data"]["shop_id"] == "shop1"
    assert receiver.received[0].body == body  # every attempt the same document
    assert (row["status"], row["attempts"], at(row["sent_at"])) == ("sent", 3, now)
    assert send_due(app.uow, app.gateways, now + timedelta(days=1)).claimed == 0
    assert len(receiver.received) == 3


def test_a_delivery_failing_for_three_days_ends_failed_and_shows_its_last_error(
    api: Api, app: App, receiver: ReceiverServer
) -> None:
    endpoint_id = register(api, receiver)
    fund_a_shop(api)
    receiver.answers = [503] * 1000

    now = START
    for _ in range(100):
        send_due(app.uow, app.gateways, now)
        [row] = deliveries(api, endpoint_id)
        if row["status"] != "pending":
            break
        now = at(row["next_attempt_at"])

    [failed] = deliveries(api, endpoint_id, status="failed")
    assert failed["failed_at"] == "2026-03-05T09:00:00Z"  # created_at + 3 days
    assert failed["last_error"] == "HTTP 503: Service Unavailable"
    assert failed["next_attempt_at"] is None and failed["sent_at"] is None
    assert 12 < failed["attempts"] == len(receiver.received) < 40
    assert {r.body["id"] for r in receiver.received} == {failed["event_id"]}
    assert all(r.signed for r in receiver.received)
    listed = api.c.get("/v1/webhook-endpoints", headers=api.admin).json()["items"]
    assert listed[0]["deliveries"] == {"pending": 0, "sent": 0, "failed": 1}
