"""The enforcement board's read (DEP-5, DEP-6): shops with an open under-funding
case, the earliest due first, with the step in force, what is owed and the days
overdue; platform staff only. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from depositdesk.bootstrap import App
from depositdesk.demo.events import violation_recorded
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.errors import Forbidden
from depositdesk.domain.money import Money
from depositdesk.entrypoints.worker import tick
from depositdesk.services.access import Principal, Role
from depositdesk.services.deposits import pay_in
from depositdesk.services.enforcement_board import board
from depositdesk.services.ingestion import ingest
from depositdesk.services.sellers import create_seller
from depositdesk.services.shops import create_shop
from depositdesk.services.usecase import read, run
from tests.conftest import ADMIN, INTEGRATION


def _shop(app: App, clock: FixedClock, shop_id: str) -> None:
    run(
        app,
        create_shop,
        ADMIN,
        clock.now(),
        id=shop_id,
        seller_id="s1",
        name=shop_id.upper(),
        market="gb",
        categories=["apparel"],
    )
    run(
        app,
        pay_in,
        INTEGRATION,
        clock.now(),
        shop_id,
        amount="1000.00",
        currency="GBP",
        reference=f"TRF-{shop_id}",
        idempotency_key=f"pay-{shop_id}",
        payer=None,
    )


def _deduct(app: App, clock: FixedClock, shop_id: str, loss: str) -> None:
    event = violation_recorded(
        f"v-{shop_id}",
        shop_id,
        clock.now(),
        violation_id=f"v-{shop_id}",
        type="short_shipment",
        consumer_loss=Money.parse(loss, "GBP"),
    )
    result = ingest(app.uow, INTEGRATION, clock.now, [event])
    assert not result.rejected, result.rejected


def test_dep6_the_board_lists_underfunded_shops_by_due_date_with_step_and_days_overdue(
    app: App, clock: FixedClock
) -> None:
    run(
        app,
        create_seller,
        ADMIN,
        clock.now(),
        id="s1",
        name="S1",
        email="s1@example.com",
        language="en",
    )
    for shop_id in ("funded", "late", "early"):
        _shop(app, clock, shop_id)
    _deduct(app, clock, "late", "300.00")
    clock.advance(timedelta(days=10))
    _deduct(app, clock, "early", "50.00")
    assert [r.shop_id for r in read(app, board, ADMIN, clock.now())] == ["late", "early"]

    clock.advance(timedelta(days=22))  # late's top-up was due 2 days ago: step 1
    tick(app)
    late, early = read(app, board, Principal.system(Role.AUDITOR, "t"), clock.now())
    assert (late.shop_id, late.step, late.days_overdue) == ("late", "warning", 2)
    assert late.owed == Money.parse("300.00", "GBP")
    assert (early.shop_id, early.step, early.days_overdue) == ("early", None, 0)
    assert early.owed == Money.parse("50.00", "GBP")


@pytest.mark.parametrize("role", [Role.INTEGRATION, Role.OWNER])
def test_the_board_is_for_platform_staff(app: App, clock: FixedClock, role: Role) -> None:
    who = Principal("t", role, "s1" if role.is_seller else None, "t")
    with pytest.raises(Forbidden):
        read(app, board, who, clock.now())
