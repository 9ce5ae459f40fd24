"""Shops, required deposits, pay-ins and the ledger over HTTP (DEP-1..5)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.conftest import Api
from tests.races import race_for_a_key


def test_dep1_required_deposit_is_the_highest_category_not_the_sum(api: Api) -> None:
    api.seller()
    shop = api.shop(market="cn-crossborder", categories=["apparel", "home"])
    assert shop["required_deposit"] == {"amount": "5000.00", "currency": "CNY"}
    assert shop["status"] == "pending_deposit"
    assert shop["policy"] == {"pack": "cn-crossborder", "version": 1}


def test_dep4_shop_is_pending_until_paid_in_full_then_active(api: Api) -> None:
    api.seller()
    api.shop(categories=["jewellery"])  # gb jewellery: 4000.00 GBP
    assert api.pay_in("shop1", "1000.00").status_code == 201
    assert api.c.get("/v1/shops/shop1", headers=api.admin).json()["status"] == "pending_deposit"
    r = api.pay_in("shop1", "3000.00")
    assert r.status_code == 201
    assert r.json()["deposit"]["status"] == "funded"
    assert api.c.get("/v1/shops/shop1", headers=api.admin).json()["status"] == "active"
    deposit = api.deposit("shop1")
    assert deposit["held"] == {"amount": "4000.00", "currency": "GBP"}
    assert deposit["shortfall"] == {"amount": "0.00", "currency": "GBP"}


def test_dep3_ledger_entries_balance_and_balances_are_their_sums(api: Api) -> None:
    api.seller()
    api.shop()
    api.pay_in("shop1", "600.00")
    api.pay_in("shop1", "400.00")
    ledger = api.c.get("/v1/shops/shop1/ledger", headers=api.admin).json()
    assert [e["kind"] for e in ledger["entries"]] == ["payin", "payin"]
    assert [e["source"] for e in ledger["entries"]] == ["payin:key-2", "payin:key-1"]
    for entry in ledger["entries"]:
        total = sum(int(p["amount"]["amount"].replace(".", "")) for p in entry["postings"])
        assert total == 0
    assert ledger["balances"]["deposit_held"] == {"amount": "-1000.00", "currency": "GBP"}
    assert ledger["balances"]["cash"] == {"amount": "1000.00", "currency": "GBP"}


def test_dep3_same_idempotency_key_and_body_replays_without_moving_money(api: Api) -> None:
    api.seller()
    api.shop()
    first = api.pay_in("shop1", "1000.00", key="pay-1")
    again = api.pay_in("shop1", "1000.00", key="pay-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.json()["entry_id"] == first.json()["entry_id"]
    ledger = api.c.get("/v1/shops/shop1/ledger", headers=api.admin).json()
    assert len(ledger["entries"]) == 1
    assert api.deposit("shop1")["held"]["amount"] == "1000.00"


def test_dep3_same_idempotency_key_with_other_body_is_409(api: Api) -> None:
    api.seller()
    api.shop()
    body = {"amount": {"amount": "1000.00", "currency": "GBP"}, "reference": "BANK-A"}
    headers = {**api.integration, "Idempotency-Key": "pay-x"}
    assert (
        api.c.post("/v1/shops/shop1/deposit/payins", json=body, headers=headers).status_code == 201
    )
    body["amount"]["amount"] = "2000.00"
    r = api.c.post("/v1/shops/shop1/deposit/payins", json=body, headers=headers)
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "idempotency_conflict"
    assert api.deposit("shop1")["held"]["amount"] == "1000.00"


def test_dep3_pay_in_without_idempotency_key_is_refused(api: Api) -> None:
    api.seller()
    api.shop()
    r = api.c.post(
        "/v1/shops/shop1/deposit/payins",
        headers=api.integration,
        json={"amount": {"amount": "1.00", "currency": "GBP"}, "reference": "X"},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert api.deposit("shop1")["held"]["amount"] == "0.00"


def test_dep5_category_change_raising_requirement_issues_topup_notice(api: Api) -> None:
    api.seller()
    api.shop(categories=["apparel"])  # 1000.00 GBP
    api.pay_in("shop1", "1000.00")
    r = api.c.put(
        "/v1/shops/shop1/categories",
        headers=api.admin,
        json={"categories": ["apparel", "jewellery"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["required_deposit"]["amount"] == "4000.00"
    deposit = api.deposit("shop1")
    assert deposit["status"] == "underfunded"
    assert deposit["shortfall"]["amount"] == "3000.00"
    [notice] = deposit["notices"]
    assert notice["kind"] == "topup"
    assert notice["due_at"] == "2026-04-01T09:00:00Z"  # 30 days (gb topup_grace_days)
    assert "£3,000.00" in notice["subject"]
    listed = api.c.get("/v1/notices", params={"shop_id": "shop1"}, headers=api.admin).json()
    assert [n["id"] for n in listed["items"]] == [notice["id"]]


def test_dep5_lowering_categories_issues_no_topup_notice(api: Api) -> None:
    api.seller()
    api.shop(categories=["apparel", "jewellery"])
    api.pay_in("shop1", "4000.00")
    r = api.c.put("/v1/shops/shop1/categories", headers=api.admin, json={"categories": ["apparel"]})
    assert r.json()["required_deposit"]["amount"] == "1000.00"
    # Only the offer of the difference (REF-2, tests/api/test_difference_offers.py).
    [notice] = api.deposit("shop1")["notices"]
    assert notice["kind"] == "difference_available" and "£3,000.00" in notice["subject"]


def test_dep8_violation_deducts_consumer_loss_and_uncovered_part_is_receivable(api: Api) -> None:
    api.seller()
    api.shop()
    api.pay_in("shop1", "1000.00")
    api.events(
        {
            "id": "v",
            "type": "violation.recorded",
            "shop_id": "shop1",
            "occurred_at": "2026-03-01T10:00:00Z",
            "data": {
                "violation_id": "V1",
                "type": "counterfeit",
                "consumer_loss": "1500.00",
                "currency": "GBP",
            },
        }
    )
    deposit = api.deposit("shop1")
    assert deposit["held"]["amount"] == "0.00"
    assert deposit["receivable"]["amount"] == "500.00"
    assert deposit["status"] == "underfunded"
    # a later pay-in repays the receivable first, then refills the deposit
    api.pay_in("shop1", "700.00")
    deposit = api.deposit("shop1")
    assert deposit["receivable"]["amount"] == "0.00"
    assert deposit["held"]["amount"] == "200.00"


def test_ref9_termination_sets_the_order_cutoff(api: Api) -> None:
    api.seller()
    api.shop()
    r = api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "fraud"})
    assert r.status_code == 200
    assert r.json()["status"] == "terminated"
    assert r.json()["orders_cutoff_at"] == "2026-03-02T09:00:00Z"
    again = api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "x"})
    assert again.status_code == 409


def test_shops_list_is_paginated_newest_first(api: Api, clock) -> None:
    from datetime import timedelta

    api.seller()
    for i in range(5):
        api.shop(f"shop{i}")
        clock.advance(timedelta(seconds=1))
    first = api.c.get("/v1/shops", params={"limit": 2}, headers=api.admin).json()
    assert [s["id"] for s in first["items"]] == ["shop4", "shop3"]
    second = api.c.get(
        "/v1/shops", params={"limit": 2, "cursor": first["next_cursor"]}, headers=api.admin
    ).json()
    assert [s["id"] for s in second["items"]] == ["shop2", "shop1"]
    third = api.c.get(
        "/v1/shops", params={"limit": 2, "cursor": second["next_cursor"]}, headers=api.admin
    ).json()
    assert [s["id"] for s in third["items"]] == ["shop0"]
    assert third["next_cursor"] is None


def test_pol1_policies_endpoint_lists_default_packs(api: Api) -> None:
    r = api.c.get("/v1/policies", headers=api.auth("staff", seller=api.seller()["id"]))
    packs = {p["pack"]: p for p in r.json()["items"]}
    assert set(packs) == {"cn-crossborder", "gb", "us"}
    assert {c["deposit"]["amount"] for c in packs["us"]["categories"]} == {"500.00"}
    one = api.c.get("/v1/policies/gb", headers=api.admin).json()
    assert one["versions"] == [{"version": 1, "effective_from": "2024-01-01"}]


def test_dep3_one_key_on_two_shops_at_once_over_http_is_201_and_409(
    api: Api, engine: Engine
) -> None:
    """The race of test_concurrency_postgres over HTTP, where the use case runs in the
    request's own transaction: the loser runs again in a new one and answers 409."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's writers take turns: two can never find a key free together")
    api.seller()
    api.shop("shop1")
    api.shop("shop2")
    answers = race_for_a_key(
        engine,
        lambda: api.pay_in("shop1", "100.00", key="shared"),
        lambda: api.pay_in("shop2", "100.00", key="shared"),
    )
    assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
    refused = next(r for r in answers if r.status_code == 409).json()
    assert refused["code"] == "idempotency_conflict"
    assert "different request" in refused["detail"]
    booked = next(r for r in answers if r.status_code == 201).json()
    held = {shop: api.deposit(shop)["held"]["amount"] for shop in ("shop1", "shop2")}
    assert held == {
        booked["shop_id"]: "100.00",
        ({"shop1", "shop2"} - {booked["shop_id"]}).pop(): "0.00",
    }
    verify = api.c.get("/v1/audit/verify", headers=api.admin).json()
    assert verify["ok"] is True
