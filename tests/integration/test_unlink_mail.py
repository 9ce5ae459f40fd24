"""UNL-6 over real SMTP (aiosmtpd), SQLite and PostgreSQL: `notify-customers` mails
each customer of the last 30 days once, however often it is retried; after the
cutoff a `ticket.opened` gets one automatic reply with the support contact."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from depositdesk.bootstrap import App, build
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.api.app import create_app
from depositdesk.entrypoints.worker import tick
from depositdesk.services import policies
from depositdesk.services import unlinks as unlink_service
from depositdesk.services.tokens import create_token
from depositdesk.services.usecase import run
from depositdesk.settings import Settings
from tests.api.test_unlink_actions import STEPS, Shop, order
from tests.builders import ev
from tests.conftest import ADMIN, Api
from tests.integration.conftest import Inbox


@pytest.fixture
def mailing(
    engine: Engine, clock: FixedClock, tmp_path: Path, smtp_server: tuple[str, Inbox]
) -> Iterator[tuple[App, Api, Inbox]]:
    url, inbox = smtp_server
    settings = Settings(
        database_url=str(engine.url),
        smtp_url=url,
        data_dir=tmp_path / "data",
        payout_gateway="sandbox",
    )
    app = build(settings, clock=clock, engine=engine)
    run(app, policies.ensure_default_packs, ADMIN, clock.now())

    def auth(role: str, seller: str | None = None) -> dict[str, str]:
        issued = run(app, create_token, ADMIN, clock.now(), role=role, seller_id=seller)
        return {"Authorization": f"Bearer {issued.token}"}

    with TestClient(create_app(app)) as client:
        yield app, Api(client, auth), inbox


def _to(inbox: Inbox, needle: str) -> list[str]:
    return sorted(str(m["To"]) for m in inbox.messages if needle in str(m["Subject"]))


def test_unl6_notify_customers_mails_each_customer_once_when_retried(
    mailing: tuple[App, Api, Inbox], clock: FixedClock
) -> None:
    app, api, inbox = mailing
    s = Shop(app, api, api.auth, clock)
    api.events(order("e8", "o8", "ann@example.com", at="2026-03-01T11:00:00Z"))  # ann again
    for attempt in range(3):
        r = s.action("notify-customers", headers={**s.owner, "Idempotency-Key": f"n{attempt}"})
        assert r.status_code == 200, r.text
        tick(app)
    assert _to(inbox, "is closing on 2026-06-30") == ["ann@example.com", "bob@example.com"]
    body = next(m for m in inbox.messages if str(m["To"]) == "bob@example.com")
    text = body.get_body(preferencelist=("plain",))
    assert text is not None and "returns@falcon.example" in str(text.get_content())


def test_unl6_a_ticket_after_the_cutoff_gets_one_auto_reply_with_the_support_contact(
    mailing: tuple[App, Api, Inbox], clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, api, inbox = mailing
    s = Shop(app, api, api.auth, clock)
    for step in ("events", "cancel", "withdraw", "tax", "notify"):
        STEPS[step](s)
    monkeypatch.setattr(unlink_service, "archive_ready", lambda uow, shop_id: True)
    api.c.post("/v1/shops/shop1/closure-notice", headers=s.owner)
    api.c.post(f"/v1/unlinks/{s.id}/agreement", headers=s.owner, json={"version": "v1"})
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    assert api.c.post(f"/v1/unlinks/{s.id}/confirm", headers=s.owner).status_code == 200
    tick(app)
    inbox.messages.clear()
    clock.set(datetime(2026, 6, 27, 9, 0, tzinfo=UTC))  # the cutoff was 06-26 23:00
    ticket = ev(
        "t2",
        "ticket.opened",
        "2026-06-27T08:00:00Z",
        ticket_id="tk2",
        subject="Where is my parcel?",
        customer_email="cy@example.com",
    )
    api.events(
        ev(
            "t1",
            "ticket.opened",
            "2026-06-26T10:00:00Z",  # before the cutoff: the seller answers it
            ticket_id="tk1",
            subject="Sizes?",
            customer_email="dee@example.com",
        ),
        ticket,
    )
    api.events(ticket)  # sent again: a duplicate
    tick(app)
    assert _to(inbox, "Re: ") == ["cy@example.com"]
    reply = inbox.messages[0].get_body(preferencelist=("plain",))
    assert reply is not None
    assert "returns@falcon.example" in str(reply.get_content())
    assert "Where is my parcel?" in str(inbox.messages[0]["Subject"])
