"""Webhook deliveries: signed HTTP POSTs for real, or a stub that sends nothing."""

from __future__ import annotations

from collections import deque

import httpx
import structlog

from depositdesk.domain.clock import Clock, SystemClock
from depositdesk.domain.gateway_messages import WebhookDelivery, WebhookResult
from depositdesk.domain.webhook_signing import SIGNATURE_HEADER, sign

log = structlog.get_logger("depositdesk.webhooks")


class HttpWebhookSender:
    """POSTs each delivery with its `Depositdesk-Signature` (interface.md "Webhooks").

    Never raises for network trouble or a non-2xx answer: the result carries the
    status or the error, and the outbox decides on a retry. Redirects are not
    followed (a 3xx is a failed delivery). The signature time is the real time,
    not the sandbox clock, because receivers check it against their own clocks.
    Pass `client` to share connections; it is then the caller's to close.
    """

    def __init__(
        self,
        timeout: float = 10.0,
        client: httpx.Client | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.timeout = timeout
        self.client = client
        self.clock = clock or SystemClock()

    def deliver(self, delivery: WebhookDelivery) -> WebhookResult:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "depositdesk-webhooks",
            SIGNATURE_HEADER: sign(delivery.secret, delivery.body, self.clock.now()),
        }
        try:
            if self.client is not None:
                response = self._post(self.client, delivery, headers)
            else:
                with httpx.Client(timeout=self.timeout) as client:
                    response = self._post(client, delivery, headers)
        except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
            return WebhookResult(None, f"{type(exc).__name__}: {exc}")
        if response.is_success:
            return WebhookResult(response.status_code)
        return WebhookResult(response.status_code, response.reason_phrase or None)

    def _post(
        self, client: httpx.Client, delivery: WebhookDelivery, headers: dict[str, str]
    ) -> httpx.Response:
        return client.post(
            delivery.url, content=delivery.body, headers=headers, timeout=self.timeout
        )


class StubWebhookSender:
    """A STUB: delivers nothing. It logs each delivery as not sent, keeps the last
    1,000 in `delivered` and answers as if the receiver said 200."""

    def __init__(self, keep: int = 1000) -> None:
        self.delivered: deque[WebhookDelivery] = deque(maxlen=keep)

    def deliver(self, delivery: WebhookDelivery) -> WebhookResult:
        self.delivered.append(delivery)
        log.info("stub webhook sender: delivery NOT sent", url=delivery.url, id=delivery.id)
        return WebhookResult(200)
