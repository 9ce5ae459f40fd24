"""REF-2 and POL-4 through the API: when a category stops or a policy lowers the
required deposit and the difference can come back, the seller is told once, with the
amount and how to apply; when only an after-sales period stands in the way, the
notice waits for the date it ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from depositdesk.bootstrap import App
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.worker import tick
from depositdesk.services import policies
from depositdesk.services.usecase import run
from tests.builders import ev, placed, us_version_2
from tests.conftest import ADMIN, START, Api, TokenFactory

OFFER = "difference_available"


def offers(api: Api, shop_id: str = "shop1") -> list[dict[str, Any]]:
    """The shop's difference offers, oldest first."""
    notices = api.deposit(shop_id)["notices"]
    return [n for n in reversed(notices) if n["kind"] == OFFER]


def electronics_shop(api: Api, delivered: str) -> None:
    """gb shop1: apparel 1,000 + electronics 2,500 → 2,500 GBP required and paid; one
    electronics order delivered at `delivered` (60-day after-sales period)."""
    api.seller()
    api.shop(categories=["apparel", "electronics"])
    assert api.pay_in("shop1", "2500.00").status_code == 201
    api.events(
        placed("e1", "o1", "2025-10-01T10:00:00Z", category="electronics"),
        ev("e2", "order.shipped", "2025-10-02T10:00:00Z", order_id="o1"),
        ev("e3", "order.delivered", delivered, order_id="o1"),
    )


def set_categories(api: Api, *categories: str) -> None:
    r = api.c.put(
        "/v1/shops/shop1/categories", headers=api.admin, json={"categories": list(categories)}
    )
    assert r.status_code == 200, r.text


def test_ref2_a_stopped_category_is_offered_once_and_can_be_applied_for(
    api: Api, auth: TokenFactory
) -> None:
    electronics_shop(api, "2025-10-04T10:00:00Z")  # after-sales ended 2025-12-03
    assert offers(api) == []
    api.events(ev("e4", "category.stopped", "2026-03-02T09:30:00Z", category="electronics"))

    [offer] = offers(api)
    assert offer["data"] == {
        "offer": "category:electronics",
        "category": "electronics",
        "amount_minor": 150_000,
        "currency": "GBP",
        "required_minor": 100_000,
    }
    assert offer["subject"] == "A difference refund of £1,500.00 is available for Shop shop1"
    body = offer["body"]
    assert "no longer sells in category Electronics" in body
    assert "fell from £2,500.00 to £1,000.00" in body and "holds £2,500.00" in body
    assert 'kind "difference" and category "electronics"' in body
    assert offer["due_at"] is None and offer["policy"] == {"pack": "gb", "version": 1}

    # Stopped again after selling in it again: the same category is not offered twice.
    set_categories(api, "apparel", "electronics")
    set_categories(api, "apparel")
    api.events(ev("e5", "category.stopped", "2026-03-02T10:30:00Z", category="electronics"))
    assert len(offers(api)) == 1

    # What the notice says works: the seller applies for exactly that amount.
    r = api.c.post(
        "/v1/shops/shop1/refunds",
        headers={**auth("owner", seller="s1"), "Idempotency-Key": "k1"},
        json={"kind": "difference", "category": "electronics", "reason": "stopped electronics"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["amount"] == {"amount": "1500.00", "currency": "GBP"}


def test_ref2_a_cheaper_category_stopping_offers_nothing(api: Api) -> None:
    electronics_shop(api, "2025-10-04T10:00:00Z")
    set_categories(api, "electronics")  # apparel stopped: still 2,500 required
    api.events(ev("e4", "category.stopped", "2026-03-02T09:30:00Z", category="apparel"))
    assert offers(api) == []


def test_ref2_the_offer_waits_until_the_after_sales_period_ends(
    app: App, api: Api, clock: FixedClock
) -> None:
    electronics_shop(api, "2026-02-20T10:00:00Z")  # after-sales until 2026-04-21 10:00
    set_categories(api, "apparel")  # through the API this time
    assert offers(api) == []
    elig = api.eligibility("shop1", kind="difference", category="electronics")
    [blocker] = elig["blockers"]
    assert blocker["code"] == "after_sales_period"
    assert blocker["clears_at"] == "2026-04-21T10:00:00Z"

    clock.set(datetime(2026, 4, 21, 9, 59, tzinfo=UTC))
    assert tick(app).timers == 0 and offers(api) == []
    clock.set(datetime(2026, 4, 21, 10, 0, 1, tzinfo=UTC))
    assert tick(app).timers == 1
    [offer] = offers(api)
    assert offer["data"]["amount_minor"] == 150_000
    assert offer["created_at"] == "2026-04-21T10:00:01Z"
    clock.advance(timedelta(days=40))
    assert tick(app).timers == 0 and len(offers(api)) == 1


def test_ref2_records_that_need_the_sellers_action_leave_nothing_to_offer(
    app: App, api: Api, clock: FixedClock
) -> None:
    electronics_shop(api, "2025-10-04T10:00:00Z")
    api.events(ev("e4", "dispute.opened", "2026-02-01T10:00:00Z", dispute_id="d1", order_id="o1"))
    api.events(ev("e5", "category.stopped", "2026-03-02T09:30:00Z", category="electronics"))
    assert offers(api) == []
    clock.advance(timedelta(days=90))
    assert tick(app).timers == 0 and offers(api) == []  # no timer: time does not clear it


def test_pol4_a_lowered_requirement_is_offered_once_per_version(app: App, api: Api) -> None:
    api.seller()
    api.shop(market="us", categories=["apparel"])  # 500 USD
    api.pay_in("shop1", "500.00", "USD")
    api.shop("shop2", market="us", categories=["apparel"])
    api.pay_in("shop2", "150.00", "USD")  # under-funded: nothing above the new 200

    v2 = us_version_2(app, "200.00")
    v3 = us_version_2(app, "100.00").replace("version = 2", "version = 3")
    run(app, policies.load_version, ADMIN, START, document=v2)
    [offer] = offers(api)
    assert offer["data"] == {
        "offer": "policy:us:2",
        "amount_minor": 30_000,
        "currency": "USD",
        "required_minor": 20_000,
    }
    assert offer["policy"] == {"pack": "us", "version": 2}
    assert "Version 2 of the us policy lowered" in offer["body"]
    assert "from $500.00 to $200.00" in offer["body"] and 'kind "difference")' in offer["body"]
    assert offers(api, "shop2") == []

    # A further lowering is another offer; the version before is not offered again.
    run(app, policies.load_version, ADMIN, START, document=v3)
    assert [o["data"]["offer"] for o in offers(api)] == ["policy:us:2", "policy:us:3"]
    assert offers(api)[1]["data"]["amount_minor"] == 40_000
    assert [o["data"]["amount_minor"] for o in offers(api, "shop2")] == [5_000]


def test_pol4_a_version_that_takes_effect_later_offers_then_once(
    app: App, api: Api, clock: FixedClock
) -> None:
    api.seller()
    api.shop(market="us", categories=["apparel"])
    api.pay_in("shop1", "500.00", "USD")
    later = us_version_2(app, "200.00", "2026-04-01")
    run(app, policies.load_version, ADMIN, START, document=later)
    assert offers(api) == []
    clock.set(datetime(2026, 4, 1, 0, 0, 1, tzinfo=UTC))
    assert tick(app).timers == 1
    [offer] = offers(api)
    assert offer["data"]["offer"] == "policy:us:2" and offer["data"]["amount_minor"] == 30_000
    clock.advance(timedelta(days=1))
    tick(app)
    assert len(offers(api)) == 1


def test_ref2_a_leaving_shop_is_offered_nothing(api: Api) -> None:
    electronics_shop(api, "2025-10-04T10:00:00Z")
    r = api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"})
    assert r.status_code == 200, r.text
    api.events(ev("e4", "category.stopped", "2026-03-02T09:30:00Z", category="electronics"))
    assert offers(api) == []  # its whole deposit comes back under REF-1


def test_ref2_after_a_policy_lowering_the_seller_applies_without_a_category(
    app: App, api: Api, auth: TokenFactory
) -> None:
    """REF-2 "or a policy lowers it": `kind=difference` with no category is the
    lowered requirement; eligibility and the application agree on the amount."""
    api.seller()
    api.shop(market="us", categories=["apparel"])  # 500 USD
    api.pay_in("shop1", "500.00", "USD")
    run(app, policies.load_version, ADMIN, START, document=us_version_2(app, "200.00"))
    elig = api.eligibility("shop1", kind="difference")
    assert elig["eligible"] is True and elig["amount"]["amount"] == "300.00"
    owner = auth("owner", seller="s1")
    r = api.c.post(
        "/v1/shops/shop1/refunds",
        headers={**owner, "Idempotency-Key": "lowered"},
        json={"kind": "difference", "reason": "the us policy lowered the deposit"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["amount"] == {"amount": "300.00", "currency": "USD"}
    assert r.json()["category"] is None
    deposit = api.deposit("shop1")
    assert deposit["held"]["amount"] == "200.00" and deposit["status"] == "funded"
    again = api.eligibility("shop1", kind="difference")
    assert {b["code"] for b in again["blockers"]} == {"no_deposit", "pending_refund"}
