"""The real gateway adapters against local servers: SMTP (aiosmtpd), a webhook
receiver (http.server), and the content-addressed file store on disk."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from depositdesk.adapters.files import LocalFileStore
from depositdesk.adapters.gateways import build_gateways
from depositdesk.adapters.mail import SmtpMailer, StubMailer
from depositdesk.adapters.payouts import BankFilePayoutGateway, StubPayoutGateway
from depositdesk.adapters.webhooks import HttpWebhookSender
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.gateway_messages import (
    EmailMessage,
    PayoutInstruction,
    PayoutKeyReused,
    WebhookDelivery,
)
from depositdesk.domain.money import Money
from depositdesk.domain.webhook_signing import SIGNATURE_HEADER, verify
from depositdesk.settings import Settings
from tests.integration.conftest import Inbox, free_port

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_dep5_notice_goes_out_over_smtp_with_its_message_id(
    smtp_server: tuple[str, Inbox],
) -> None:
    url, inbox = smtp_server
    notice = EmailMessage(
        to="s1@example.com",
        subject="请补缴保证金 / Top up your deposit",
        text="Please pay 500.00 GBP by 1 April 2026.",
        message_id="0f3c9a",
        language="zh",
        html="<p>Please pay <b>500.00 GBP</b>.</p>",
    )

    SmtpMailer(url, sender="depositdesk <noreply@example.com>").send(notice)

    [received] = inbox.messages
    assert received["Subject"] == "请补缴保证金 / Top up your deposit"
    assert received["Message-ID"] == "<0f3c9a@depositdesk>"
    assert received["To"] == "s1@example.com"
    assert received["Content-Language"] == "zh"
    text_part = received.get_body(("plain",))
    html_part = received.get_body(("html",))
    assert text_part is not None and html_part is not None
    assert text_part.get_content().strip() == "Please pay 500.00 GBP by 1 April 2026."
    assert "<b>500.00 GBP</b>" in html_part.get_content()


def test_smtp_url_must_name_smtp() -> None:
    with pytest.raises(ValueError, match="smtp://"):
        SmtpMailer("http://127.0.0.1:25")


class Receiver(BaseHTTPRequestHandler):
    """Answers `server.status` and keeps (headers, body) of every POST."""

    server: ReceiverServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((dict(self.headers), body))
        self.send_response(self.server.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


class ReceiverServer(ThreadingHTTPServer):
    status = 200
    received: list[tuple[dict[str, str], bytes]]


@pytest.fixture
def receiver() -> Iterator[ReceiverServer]:
    server = ReceiverServer(("127.0.0.1", 0), Receiver)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def delivery_to(server: ReceiverServer) -> WebhookDelivery:
    host, port = server.server_address[:2]
    return WebhookDelivery.for_event(
        id="evt_1",
        url=f"http://{host!s}:{port}/hooks",
        secret="whsec_test",
        type="shop.funded",
        created_at=NOW,
        data={"shop_id": "shop1"},
    )


def test_webhook_delivery_is_signed_so_the_receiver_can_verify_it(
    receiver: ReceiverServer,
) -> None:
    delivery = delivery_to(receiver)

    result = HttpWebhookSender(timeout=5).deliver(delivery)

    assert result.ok and result.status_code == 200
    [(headers, body)] = receiver.received
    assert body == delivery.body
    assert headers["Content-Type"] == "application/json"
    assert verify("whsec_test", body, headers[SIGNATURE_HEADER], datetime.now(UTC))
    assert not verify("another-secret", body, headers[SIGNATURE_HEADER], datetime.now(UTC))


def test_webhook_500_answer_is_a_failed_result_not_an_exception(
    receiver: ReceiverServer,
) -> None:
    receiver.status = 500

    result = HttpWebhookSender(timeout=5).deliver(delivery_to(receiver))

    assert not result.ok and result.status_code == 500
    assert result.describe() == "HTTP 500: Internal Server Error"


def test_webhook_to_nobody_is_a_failed_result_not_an_exception() -> None:
    closed = WebhookDelivery("evt_1", f"http://127.0.0.1:{free_port()}/", "s", b"{}")
    unusable = WebhookDelivery("evt_2", "not a url", "s", b"{}")

    for delivery in (closed, unusable):
        result = HttpWebhookSender(timeout=2).deliver(delivery)
        assert result.status_code is None and not result.ok and result.error


def test_file_store_is_content_addressed(tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / "files")

    stored = store.put(b"archive of shop1")
    again = store.put(b"archive of shop1")

    assert stored == again and stored.size == 16
    assert stored.key == hashlib.sha256(b"archive of shop1").hexdigest()
    assert store.read(stored.key) == b"archive of shop1"
    with store.open(stored.key) as file:
        assert file.read() == b"archive of shop1"
    files = [p for p in (tmp_path / "files").rglob("*") if p.is_file()]
    assert [p.name for p in files] == [stored.sha256]  # no temporary files left behind


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "../../" + "a" * 58, "A" * 64, "a" * 63, "", "a" * 64 + "/x"]
)
def test_file_store_refuses_keys_that_are_not_a_hash(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="not a file key"):
        LocalFileStore(tmp_path).read(key)


def test_file_store_missing_file_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        LocalFileStore(tmp_path).read("0" * 64)


def test_ref6_stub_payout_gateway_pays_a_key_once() -> None:
    gateway = StubPayoutGateway(FixedClock(NOW))
    payout = PayoutInstruction("payout-r1", "shop1", Money("GBP", 150_000), "route-1", "R1")

    first = gateway.send(payout)
    resent = gateway.send(payout)

    assert first == resent and first.accepted_at == NOW
    assert list(gateway.instructions) == ["payout-r1"]
    with pytest.raises(PayoutKeyReused):
        gateway.send(PayoutInstruction("payout-r1", "shop1", Money("GBP", 1), "route-1", "R1"))


def test_stub_mailer_says_it_sent_nothing_and_keeps_the_message() -> None:
    stub = StubMailer()
    notice = EmailMessage("s1@example.com", "Top up", "Please pay.", "m1")

    with capture_logs() as logs:
        stub.send(notice)

    assert list(stub.sent) == [notice]
    assert [entry["event"] for entry in logs] == [
        "stub mailer: email NOT sent (no SMTP configured)"
    ]
    assert "links" not in logs[0]


def test_stub_mailer_logs_the_links_so_a_demo_user_can_verify_an_address() -> None:
    """Issue 10: without SMTP (the demo), the verification link is in the log."""
    link = "http://127.0.0.1:8000/v1/auth/verify-email?token=abc-123_x"
    mail = EmailMessage("u@example.com", "Confirm", f"Open {link}\nwithin 24 hours.", "m2")
    with capture_logs() as logs:
        StubMailer().send(mail)
    assert logs[0]["links"] == [link]


def test_settings_choose_stub_mail_without_smtp_url(tmp_path: Path) -> None:
    stubbed = build_gateways(Settings(data_dir=tmp_path))
    real = build_gateways(Settings(data_dir=tmp_path, smtp_url="smtp://mail.example:2525"))

    assert isinstance(stubbed.mailer, StubMailer)
    assert "STUB" in (StubMailer.__doc__ or "")
    assert isinstance(real.mailer, SmtpMailer) and real.mailer.port == 2525
    assert isinstance(stubbed.webhooks, HttpWebhookSender)
    # Payouts: bank files unless DEPOSITDESK_PAYOUT_GATEWAY says otherwise.
    assert isinstance(stubbed.payouts, BankFilePayoutGateway)
    assert isinstance(stubbed.files, LocalFileStore)
    assert stubbed.files.root == tmp_path / "files"
