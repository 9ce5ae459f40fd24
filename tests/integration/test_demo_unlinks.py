"""The demo's unlinks (issue 11): one in progress with some areas done, one held for
manual review, one unlinked whose full refund is under way (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console
from sqlalchemy import Engine

from depositdesk.bootstrap import App, build
from depositdesk.demo.seed import seed
from depositdesk.demo.unlinks import OWNER
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.refunds import RefundStatus
from depositdesk.domain.shop import ShopStatus
from depositdesk.domain.unlinks import CheckStatus, UnlinkStatus
from depositdesk.services import policies, refunds, shops, unlinks
from depositdesk.services.usecase import read, run
from depositdesk.settings import Settings
from tests.conftest import ADMIN


@pytest.fixture
def app(engine: Engine, clock: FixedClock, tmp_path: Path) -> App:
    settings = Settings(database_url=str(engine.url), data_dir=tmp_path / "data", sandbox=True)
    application = build(settings, clock=clock, engine=engine)
    run(application, policies.ensure_default_packs, ADMIN, clock.now())
    return application


def test_demo_has_an_unlink_in_progress_one_held_and_one_unlinked_with_its_refund(
    app: App,
) -> None:
    tokens = seed(app, Console(quiet=True))
    assert ("owner", "demo-gull") in {(role, who) for role, who, _ in tokens}
    now = app.clock.now()
    found = {
        u.shop_id: u
        for u in read(
            app,
            unlinks.review_queue,
            ADMIN,
            now,
            statuses=["preparing", "manual_review", "unlinked"],
            limit=50,
        )
    }
    progress = found["gull-uk-01"]
    assert progress.unlink.status is UnlinkStatus.PREPARING
    areas = {a.area.value: a.status for a in progress.checklist.areas}
    assert CheckStatus.OK in areas.values() and not progress.checklist.all_ok
    done = {
        c.code.value for a in progress.checklist.areas for c in a.checks if c.status.value == "ok"
    }
    assert {"agreement_accepted", "customers_notified", "tax_summary"} <= done
    assert found["gull-uk-02"].unlink.status is UnlinkStatus.MANUAL_REVIEW
    gone = found["gull-uk-03"].unlink
    assert gone.status is UnlinkStatus.UNLINKED and gone.refund_id is not None
    shop = read(app, shops.get_shop, OWNER, now, "gull-uk-03")
    assert shop.shop.status is ShopStatus.UNLINKED
    refund = read(app, refunds.get_refund, OWNER, now, gone.refund_id)
    assert refund.refund.status in (RefundStatus.APPROVED, RefundStatus.PAYING)
