"""Events in, eligibility out (EVT-1..4, REF-1..3)."""

from __future__ import annotations

from tests.builders import ev, placed
from tests.conftest import Api

NOW = "2026-03-02T09:00:00Z"  # the fixed clock


def _closing_shop(api: Api, categories: list[str] | None = None) -> None:
    api.seller()
    api.shop(categories=categories or ["apparel"])
    api.pay_in("shop1", "1000.00" if not categories else "4000.00")


def test_evt1_bad_events_are_rejected_with_reasons_and_the_rest_taken(api: Api) -> None:
    api.seller()
    api.shop()
    result = api.events(
        placed("e1", "o1", "2026-03-01T10:00:00Z"),
        ev("e2", "order.teleported", "2026-03-01T10:00:00Z", order_id="o1"),
        ev("e3", "order.shipped", "2026-03-01T10:00:00Z"),  # no order_id
        placed("e4", "o2", "2026-03-01T10:00:00Z", amount="20.5"),
        placed("e5", "o3", "2026-03-01T10:00:00Z", currency="EUR", amount="20.00"),
        placed("e6", "o4", "2026-03-01T10:00:00Z", shop="nope"),
        ev("e7", "order.shipped", "yesterday", order_id="o1"),
    )
    assert result["accepted"] == 1
    reasons = {r["id"]: (r["reason"], r["field"]) for r in result["rejected"]}
    assert reasons == {
        "e2": ("unknown_type", "type"),
        "e3": ("missing_field", "data.order_id"),
        "e4": ("bad_value", "data.amount"),
        "e5": ("bad_value", "data.currency"),
        "e6": ("unknown_shop", "shop_id"),
        "e7": ("bad_value", "occurred_at"),
    }
    assert [r["index"] for r in result["rejected"]] == [1, 2, 3, 4, 5, 6]
    # nothing of a rejected event was applied: only o1 is open
    elig = api.eligibility("shop1")
    assert next(b for b in elig["blockers"] if b["code"] == "open_orders")["records"] == ["o1"]


def test_evt2_duplicates_by_id_are_ignored(api: Api) -> None:
    api.seller()
    api.shop()
    first = api.events(placed("e1", "o1", "2026-03-01T10:00:00Z"))
    again = api.events(
        placed("e1", "o1", "2026-03-01T10:00:00Z"), placed("e1", "o1", "2026-03-01T10:00:00Z")
    )
    assert first == {"accepted": 1, "duplicates": 0, "rejected": []}
    assert again == {"accepted": 0, "duplicates": 2, "rejected": []}


def test_evt2_delivery_before_placement_gives_the_same_state(api: Api) -> None:
    api.seller()
    api.shop("a")
    api.shop("b")
    for shop, order in (("a", ["p", "d"]), ("b", ["d", "p"])):
        events = {
            "p": placed(f"{shop}-p", "o1", "2026-02-01T10:00:00Z", shop=shop),
            "d": ev(f"{shop}-d", "order.delivered", "2026-02-05T10:00:00Z", shop, order_id="o1"),
        }
        for key in order:
            api.events(events[key])
    a, b = api.eligibility("a"), api.eligibility("b")
    assert a["blockers"] == b["blockers"]
    after_sales = next(x for x in a["blockers"] if x["code"] == "after_sales_period")
    # gb apparel after-sales: see the pack; delivered 2026-02-05 10:00
    assert after_sales["clears_at"].startswith("2026-03-")
    assert after_sales["records"] == ["o1"]


def test_evt4_orders_after_termination_are_refused_other_events_taken(api: Api) -> None:
    api.seller()
    api.shop()
    api.events(placed("e1", "o1", "2026-03-01T10:00:00Z"))
    api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"})
    result = api.events(
        placed("late", "o2", "2026-03-02T09:00:01Z"),
        placed("early", "o0", "2026-03-02T08:59:59Z"),  # arrived late, placed before cutoff
        ev("ship", "order.delivered", "2026-03-02T10:00:00Z", order_id="o1"),
    )
    assert result["accepted"] == 2
    [rejected] = result["rejected"]
    assert (rejected["index"], rejected["id"], rejected["reason"], rejected["field"]) == (
        0,
        "late",
        "shop_closed_for_orders",
        "occurred_at",
    )


def test_ref1_full_refund_blocked_until_shop_is_closing(api: Api) -> None:
    _closing_shop(api)
    elig = api.eligibility("shop1")
    assert elig["eligible"] is False
    assert [b["code"] for b in elig["blockers"]] == ["shop_not_closing"]
    assert elig["earliest_at"] is None
    api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"})
    elig = api.eligibility("shop1")
    assert elig["eligible"] is True
    assert elig["amount"] == {"amount": "1000.00", "currency": "GBP"}
    assert elig["earliest_at"] == NOW


def test_ref1_every_blocker_names_its_records_and_area(api: Api) -> None:
    _closing_shop(api)
    api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"})
    t = "2026-03-01T10:00:00Z"
    api.events(
        placed("e1", "o1", t),
        placed("e2", "o2", t),
        ev("e3", "order.delivered", t, order_id="o2"),
        ev("e4", "after_sales.opened", t, case_id="c1", order_id="o2"),
        ev("e5", "dispute.opened", t, dispute_id="d1", order_id="o2"),
        ev("e6", "complaint.opened", t, complaint_id="k1"),
        ev("e7", "fine.issued", t, fine_id="f1", amount="50.00", currency="GBP", reason="late"),
        ev(
            "e8",
            "violation.recorded",
            t,
            violation_id="v1",
            type="short_shipment",
            consumer_loss="5.00",
            currency="GBP",
        ),
        ev(
            "e9",
            "charge.billed",
            t,
            charge_id="ch1",
            kind="advertising",
            amount="10.00",
            currency="GBP",
        ),
    )
    elig = api.eligibility("shop1")
    got = {b["code"]: (b["area"], b["records"]) for b in elig["blockers"]}
    assert got == {
        "outstanding_charges": ("financial_reconciliation", ["ch1"]),
        "open_orders": ("order_completion", ["o1"]),
        "after_sales_period": ("order_completion", ["o2"]),
        "open_after_sales_cases": ("order_completion", ["c1"]),
        "open_disputes": ("order_completion", ["d1"]),
        "open_complaints": ("order_completion", ["k1"]),
        "unpaid_fines": ("policy_compliance", ["f1"]),
        "unrectified_violations": ("policy_compliance", ["v1"]),
    }
    assert all(b["message"] for b in elig["blockers"])
    # clearing each record clears its blocker
    api.events(
        ev("x1", "order.cancelled", t, order_id="o1"),
        ev("x2", "after_sales.closed", t, case_id="c1", order_id="o2"),
        ev("x3", "dispute.resolved", t, dispute_id="d1"),
        ev("x4", "complaint.resolved", t, complaint_id="k1"),
        ev("x5", "fine.paid", t, fine_id="f1"),
        ev("x6", "violation.rectified", t, violation_id="v1"),
        ev("x7", "charge.settled", t, charge_id="ch1"),
    )
    elig = api.eligibility("shop1")
    assert [b["code"] for b in elig["blockers"]] == ["after_sales_period"]


def test_ref3_time_only_blockers_give_clears_at_and_earliest_at(api: Api, clock) -> None:
    from datetime import timedelta

    _closing_shop(api)
    api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"})
    api.events(
        placed("e1", "o1", "2026-02-20T10:00:00Z"),
        ev("e2", "order.delivered", "2026-02-25T10:00:00Z", order_id="o1"),
    )
    elig = api.eligibility("shop1")
    [blocker] = elig["blockers"]
    assert blocker["code"] == "after_sales_period"
    assert elig["earliest_at"] == blocker["clears_at"]
    assert elig["timeline"]["apply_from"] == blocker["clears_at"]
    # time alone clears it
    clears = blocker["clears_at"]
    from datetime import datetime

    clock.set(datetime.fromisoformat(clears) + timedelta(seconds=1))
    assert api.eligibility("shop1")["eligible"] is True


def test_ref2_difference_refund_counts_only_the_category(api: Api) -> None:
    api.seller()
    api.shop(categories=["apparel", "jewellery"])  # 1000 and 4000 GBP
    api.pay_in("shop1", "4000.00")
    t = "2026-03-01T10:00:00Z"
    api.events(
        placed("e1", "o1", t, category="apparel"), placed("e2", "o2", t, category="jewellery")
    )
    blocked = api.eligibility("shop1", kind="difference", category="jewellery")
    assert [b["code"] for b in blocked["blockers"]] == ["category_active", "open_orders"]
    assert blocked["blockers"][1]["records"] == ["o2"]
    assert blocked["amount"]["amount"] == "3000.00"
    what_if = api.eligibility("shop1", kind="difference", category="jewellery", what_if="stop")
    assert [b["code"] for b in what_if["blockers"]] == ["open_orders"]
    api.events(
        ev("e3", "order.cancelled", t, order_id="o2"),
        # after the shop's categories were set (last write wins)
        ev("e4", "category.stopped", "2026-03-02T09:00:01Z", category="jewellery"),
    )
    ok = api.eligibility("shop1", kind="difference", category="jewellery")
    assert ok["eligible"] is True
    assert ok["amount"] == {"amount": "3000.00", "currency": "GBP"}
    # the apparel order still open does not block the jewellery difference, but blocks apparel
    apparel = api.eligibility("shop1", kind="difference", category="apparel", what_if="stop")
    assert [b["code"] for b in apparel["blockers"]] == ["open_orders"]
    assert apparel["blockers"][0]["records"] == ["o1"]


def test_ref1_receivable_blocks_full_refund(api: Api) -> None:
    _closing_shop(api)
    api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"})
    api.events(
        ev(
            "v",
            "violation.recorded",
            "2026-03-01T10:00:00Z",
            violation_id="v1",
            type="counterfeit",
            consumer_loss="1200.00",
            currency="GBP",
        ),
        ev("r", "violation.rectified", "2026-03-01T11:00:00Z", violation_id="v1"),
    )
    elig = api.eligibility("shop1")
    assert [b["code"] for b in elig["blockers"]] == ["no_deposit", "receivable"]
    assert "200.00 GBP" in elig["blockers"][1]["message"]
