"""DEP-5: a top-up notice is stored and emailed, over real SMTP (aiosmtpd), in the
seller's language, once; without SMTP it stays stored (SQLite and PostgreSQL)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import Engine

from depositdesk.bootstrap import App, build
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.worker import tick
from depositdesk.services import deposits, policies, sellers, shops
from depositdesk.services.usecase import read, run
from depositdesk.settings import Settings
from tests.conftest import ADMIN, INTEGRATION
from tests.integration.conftest import Inbox


def _underfunded_shop(app: App, seller_id: str, language: str) -> None:
    now = app.clock.now()
    email = f"{seller_id}@example.com"
    run(
        app,
        sellers.create_seller,
        ADMIN,
        now,
        id=seller_id,
        name=seller_id,
        email=email,
        language=language,
    )
    shop_id = f"{seller_id}-shop"
    run(
        app,
        shops.create_shop,
        ADMIN,
        now,
        id=shop_id,
        seller_id=seller_id,
        name=f"{seller_id} Shop",
        market="gb",
        categories=["apparel"],
    )
    run(
        app,
        deposits.pay_in,
        INTEGRATION,
        now,
        shop_id,
        amount="1000.00",
        currency="GBP",
        reference="R",
        idempotency_key=f"k-{seller_id}",
    )
    run(app, shops.set_categories, ADMIN, now, shop_id, categories=["apparel", "jewellery"])


def _part(message: EmailMessage, subtype: str) -> str:
    """The text/plain or text/html part of a received notice (plain text + HTML)."""
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None and part.get_content_subtype() == subtype
    return str(part.get_content())


def test_dep5_topup_notice_is_emailed_in_the_sellers_language_once(
    engine: Engine, clock: FixedClock, tmp_path: Path, smtp_server: tuple[str, Inbox]
) -> None:
    url, inbox = smtp_server
    settings = Settings(database_url=str(engine.url), smtp_url=url, data_dir=tmp_path)
    app = build(settings, clock=clock, engine=engine)
    run(app, policies.ensure_default_packs, ADMIN, clock.now())
    _underfunded_shop(app, "en-seller", "en")
    _underfunded_shop(app, "zh-seller", "zh")
    assert inbox.messages == []  # stored first; sent by the worker after commit

    done = tick(app)
    assert done.sent == 2
    by_to = {str(m["To"]): m for m in inbox.messages}
    en, zh = by_to["en-seller@example.com"], by_to["zh-seller@example.com"]
    assert (
        str(en["Subject"]) == "Top up the deposit of en-seller Shop: £3,000.00 due by April 1, 2026"
    )
    assert "Please pay £3,000.00 by April 1, 2026 (30 days)" in _part(en, "plain")
    assert "Please pay £3,000.00 by April 1, 2026 (30 days)" in _part(en, "html")
    assert str(zh["Subject"]).startswith("请为店铺 zh-seller Shop 补缴保证金：£3,000.00")
    assert "请于 2026年4月1日 前（30 天内）补缴 £3,000.00" in _part(zh, "plain")
    assert '<html lang="zh-Hans">' in _part(zh, "html")
    stored = read(app, deposits.deposit, None, clock.now(), "zh-seller-shop").notices
    assert [n.subject for n in stored] == [str(zh["Subject"])]  # the same words as stored

    assert tick(app).sent == 0  # never twice
    assert len(inbox.messages) == 2


def test_dep5_without_smtp_the_notice_stays_stored(app: App, clock: FixedClock) -> None:
    _underfunded_shop(app, "s9", "en")
    assert tick(app).sent == 1  # the stub mailer takes it and sends nothing
    [notice] = read(app, deposits.deposit, None, clock.now(), "s9-shop").notices
    assert "£3,000.00" in notice.subject
