"""Returning a deduction after rectification over HTTP (DEP-9, with DEP-3 and DEP-8).

`POST /v1/shops/{id}/violations/{vid}/return` and `GET /v1/shops/{id}/violations`.
Shop `shop1` (gb, apparel: 1000.00 GBP required) is paid in full; violation V1
(consumer loss 300.00 GBP) is recorded on 2026-03-01 10:00 and rectified two hours
later; now is 2026-03-02 09:00, and gb's rectification period is 30 days.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from depositdesk.adapters.db.tables import (
    idempotency_keys,
    journal_entries,
    notices,
    outbox,
    postings,
    violation_returns,
)
from depositdesk.bootstrap import App
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.webhook_endpoints import WebhookEndpoint
from tests.builders import ev
from tests.conftest import START, Api

RECORDED = "2026-03-01T10:00:00Z"
RECTIFIED = "2026-03-01T12:00:00Z"
UNTIL = "2026-03-31T10:00:00Z"  # RECORDED + gb's rectification_days (30)
_n = 0


def gbp(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "GBP"}


def violation(
    api: Api,
    vid: str = "V1",
    loss: str = "300.00",
    at: str = RECORDED,
    rectified: str | None = RECTIFIED,
    vtype: str = "short_shipment",
) -> None:
    events = [
        ev(
            f"rec-{vid}",
            "violation.recorded",
            at,
            violation_id=vid,
            type=vtype,
            consumer_loss=loss,
            currency="GBP",
        )
    ]
    if rectified:
        events.append(ev(f"fix-{vid}", "violation.rectified", rectified, violation_id=vid))
    result = api.events(*events)
    assert result["accepted"] == len(events), result


def give_back(
    api: Api,
    amount: str,
    vid: str = "V1",
    *,
    key: str | None = None,
    headers: dict[str, str] | None = None,
    currency: str = "GBP",
    note: str | None = None,
    shop: str = "shop1",
) -> Any:
    global _n
    _n += 1
    body: dict[str, Any] = {"amount": {"amount": amount, "currency": currency}}
    if note is not None:
        body["note"] = note
    return api.c.post(
        f"/v1/shops/{shop}/violations/{vid}/return",
        headers={**(headers or api.auth("reviewer")), "Idempotency-Key": key or f"ret-{_n}"},
        json=body,
    )


@pytest.fixture
def funded(api: Api) -> Api:
    """shop1 with 1000.00 GBP held, then V1 (300.00) deducted and rectified: 700.00 held."""
    api.seller("s1")
    api.shop("shop1", "s1")
    assert api.pay_in("shop1", "1000.00").status_code == 201
    violation(api)
    assert api.deposit("shop1")["held"]["amount"] == "700.00"
    return api


def stored(app: App) -> dict[str, int]:
    """Rows of every table a return writes (or might write)."""
    tables = {
        "entries": journal_entries,
        "postings": postings,
        "returns": violation_returns,
        "outbox": outbox,
        "idempotency": idempotency_keys,
        "notices": notices,
    }
    with app.engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for name, t in tables.items()
        }


def ledger(api: Api) -> dict[str, Any]:
    r = api.c.get("/v1/shops/shop1/ledger", headers=api.admin)
    assert r.status_code == 200, r.text
    return r.json()


def minor(money: dict[str, str]) -> int:
    return int(money["amount"].replace(".", ""))


def subscribe(app: App) -> None:
    """A webhook endpoint for every event type, so that changes write outbox rows."""
    with app.uow() as uow:
        uow.webhook_endpoints.add(
            WebhookEndpoint(
                "whe_test", "https://hooks.example.com/dd", ("*",), "s" * 40, START, "t"
            )
        )
        uow.commit()


def test_dep9_returned_in_two_parts_then_a_third_past_what_is_left_is_refused(
    funded: Api, app: App
) -> None:
    api = funded
    first = give_back(api, "100.00", note="fine paid, products delisted")
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["shop_id"] == "shop1" and body["violation_id"] == "V1"
    assert body["id"].startswith("ret_")
    assert body["amount"] == gbp("100.00")
    assert body["returned_total"] == gbp("100.00")
    assert body["remaining"] == gbp("200.00")
    assert body["at"] == "2026-03-02T09:00:00Z"
    assert body["deposit"] == api.deposit("shop1")
    assert body["deposit"]["held"] == gbp("800.00")

    second = give_back(api, "200.00")
    assert second.status_code == 201, second.text
    assert second.json()["returned_total"] == gbp("300.00")
    assert second.json()["remaining"] == gbp("0.00")
    assert second.json()["deposit"]["held"] == gbp("1000.00")
    assert second.json()["deposit"]["status"] == "funded"  # DEP-9 may fund the shop again
    # The seller is told of each return, then that the deposit is whole again (DEP-6).
    kinds = [n["kind"] for n in second.json()["deposit"]["notices"]]
    assert kinds[:3] == ["funded", "returned", "returned"]
    assert "£200.00" in second.json()["deposit"]["notices"][1]["subject"]

    before = stored(app)
    third = give_back(api, "0.01")
    assert third.status_code == 422
    assert third.headers["content-type"] == "application/problem+json"
    problem = third.json()
    assert problem["code"] == "return_exceeds_deduction"
    assert problem["errors"] == [
        {
            "field": "amount.amount",
            "rule": "return_exceeds_deduction",
            "message": problem["detail"].removeprefix("amount.amount: "),
        }
    ]
    assert "at most 0.00 GBP is left" in problem["detail"]
    assert "300.00 GBP" in problem["detail"]
    assert stored(app) == before
    with app.engine.connect() as conn:
        rows = conn.execute(select(violation_returns).order_by(violation_returns.c.at)).all()
    assert sorted(r.amount_minor for r in rows) == [10_000, 20_000]
    notes = {r.amount_minor: r.note for r in rows}
    assert notes == {10_000: "fine paid, products delisted", 20_000: ""}
    assert {r.by.split(":")[0] for r in rows} == {"reviewer"}


def test_dep9_a_return_over_what_is_left_says_what_is_left(funded: Api) -> None:
    assert give_back(funded, "120.00").status_code == 201
    r = give_back(funded, "180.01")
    assert r.status_code == 422
    assert r.json()["code"] == "return_exceeds_deduction"
    assert "at most 180.00 GBP is left" in r.json()["detail"]
    assert give_back(funded, "180.00").status_code == 201


def test_dep3_dep9_the_return_entry_balances_and_held_rises_by_exactly_the_amount(
    funded: Api,
) -> None:
    api = funded
    held = minor(api.deposit("shop1")["held"])
    r = give_back(api, "123.45")
    assert r.status_code == 201, r.text
    assert minor(api.deposit("shop1")["held"]) == held + 12_345
    entry = ledger(api)["entries"][0]
    assert entry["id"] == r.json()["entry_id"]
    assert entry["kind"] == "violation_return"
    assert entry["source"] == f"return:V1:{r.json()['id']}"
    assert sum(minor(p["amount"]) for p in entry["postings"]) == 0
    by_account = {p["account"]: minor(p["amount"]) for p in entry["postings"]}
    assert by_account == {"cash": 12_345, "deposit_held": -12_345}
    balances = ledger(api)["balances"]
    assert balances["cash"] == gbp("823.45")  # 1000.00 - 300.00 + 123.45
    assert balances["deposit_held"] == gbp("-823.45")


def test_dep8_dep9_an_uncovered_loss_cancels_the_receivable_before_refilling(
    api: Api,
) -> None:
    api.seller("s1")
    api.shop("shop1", "s1")
    api.pay_in("shop1", "1000.00")
    violation(api, loss="1500.00")  # 1000.00 from the deposit, 500.00 owed
    deposit = api.deposit("shop1")
    assert deposit["held"] == gbp("0.00") and deposit["receivable"] == gbp("500.00")

    r = give_back(api, "300.00")
    assert r.status_code == 201, r.text
    assert r.json()["deposit"]["receivable"] == gbp("200.00")
    assert r.json()["deposit"]["held"] == gbp("0.00")
    entry = ledger(api)["entries"][0]
    assert {p["account"]: minor(p["amount"]) for p in entry["postings"]} == {
        "cash": 30_000,
        "receivable": -30_000,
    }

    r = give_back(api, "700.00")
    assert r.status_code == 201, r.text
    assert r.json()["deposit"]["receivable"] == gbp("0.00")
    assert r.json()["deposit"]["held"] == gbp("500.00")
    entry = ledger(api)["entries"][0]
    assert sum(minor(p["amount"]) for p in entry["postings"]) == 0
    assert {p["account"]: minor(p["amount"]) for p in entry["postings"]} == {
        "cash": 70_000,
        "receivable": -20_000,
        "deposit_held": -50_000,
    }
    assert r.json()["remaining"] == gbp("500.00")


def test_dep9_a_return_after_the_rectification_period_is_refused(
    funded: Api, app: App, clock: FixedClock
) -> None:
    until = datetime(2026, 3, 31, 10, 0, tzinfo=UTC)
    clock.set(until)  # the last moment it is possible
    assert give_back(funded, "10.00").status_code == 201
    clock.set(until + timedelta(seconds=1))
    before = stored(app)
    r = give_back(funded, "10.00")
    assert r.status_code == 422
    problem = r.json()
    assert problem["code"] == "rectification_period_over"
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [
        ("violation_id", "rectification_period_over")
    ]
    assert UNTIL in problem["detail"]
    assert stored(app) == before


def test_dep9_a_violation_not_rectified_is_409_not_rectified(api: Api, app: App) -> None:
    api.seller("s1")
    api.shop("shop1", "s1")
    api.pay_in("shop1", "1000.00")
    violation(api, rectified=None)
    before = stored(app)
    r = give_back(api, "10.00")
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "not_rectified"
    assert stored(app) == before
    # rectified later: the return goes through
    api.events(ev("fix", "violation.rectified", "2026-03-02T08:00:00Z", violation_id="V1"))
    assert give_back(api, "10.00").status_code == 201


def test_dep9_unknown_shop_or_violation_is_404(funded: Api, app: App) -> None:
    api = funded
    # known only from its rectification: never recorded, nothing deducted
    api.events(ev("fix-V9", "violation.rectified", RECTIFIED, violation_id="V9"))
    before = stored(app)
    for shop, vid in (("nope", "V1"), ("shop1", "V2"), ("shop1", "V9")):
        r = give_back(api, "10.00", vid, shop=shop)
        assert r.status_code == 404, (shop, vid, r.text)
        assert r.json()["code"] == "not_found"
    # a fine with the same id is not a violation
    api.events(
        ev("fine", "fine.issued", RECORDED, fine_id="F1", amount="5.00", currency="GBP", reason="x")
    )
    assert give_back(api, "1.00", "F1").status_code == 404
    assert stored(app) == before


@pytest.mark.parametrize(
    ("amount", "currency", "field", "rule"),
    [
        ("0.00", "GBP", "amount", "positive"),
        ("-5.00", "GBP", "amount", "positive"),
        ("10.00", "CNY", "amount.currency", "market_currency"),
        ("10.001", "GBP", "amount.amount", "currency_precision"),
        ("1000000000000.01", "GBP", "amount.amount", "max_amount"),  # past the amount_limit
    ],
)
def test_dep9_bad_amounts_are_422_and_store_nothing(
    funded: Api, app: App, amount: str, currency: str, field: str, rule: str
) -> None:
    subscribe(app)
    before = stored(app)
    r = give_back(funded, amount, currency=currency)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == "validation_error"
    assert [(e["field"], e["rule"]) for e in r.json()["errors"]] == [(field, rule)]
    assert stored(app) == before
    assert funded.deposit("shop1")["held"] == gbp("700.00")


@pytest.mark.parametrize("role", ["owner", "admin", "staff"])
def test_dep9_the_shops_own_seller_gets_403_another_seller_404(
    funded: Api, app: App, role: str
) -> None:
    api = funded
    api.seller("s2")
    before = stored(app)
    own = give_back(api, "10.00", headers=api.auth(role, seller="s1"))
    assert own.status_code == 403
    assert own.json()["code"] == "forbidden"
    other = give_back(api, "10.00", headers=api.auth(role, seller="s2"))
    assert other.status_code == 404
    assert other.json()["code"] == "not_found"
    assert stored(app) == before


@pytest.mark.parametrize("role", ["integration", "auditor"])
def test_dep9_integration_and_auditor_get_403(funded: Api, app: App, role: str) -> None:
    before = stored(app)
    r = give_back(funded, "10.00", headers=funded.auth(role))
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    # also for a shop that does not exist: the role is refused first
    assert give_back(funded, "10.00", headers=funded.auth(role), shop="nope").status_code == 403
    assert stored(app) == before


def test_dep9_reviewer_and_platform_admin_may_return(funded: Api) -> None:
    assert give_back(funded, "10.00", headers=funded.auth("reviewer")).status_code == 201
    assert give_back(funded, "10.00", headers=funded.admin).status_code == 201
    assert funded.deposit("shop1")["held"] == gbp("720.00")


def test_dep3_same_key_and_body_replays_the_first_answer_moving_nothing_twice(
    funded: Api, app: App, clock: FixedClock
) -> None:
    api = funded
    subscribe(app)
    first = give_back(api, "50.00", key="k-1", note="delisted")
    assert first.status_code == 201, first.text
    after_first = stored(app)
    clock.advance(timedelta(hours=1))
    # the same key from another platform token of the same party is the same request
    again = give_back(api, "50.00", key="k-1", note="delisted", headers=api.admin)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert stored(app) == after_first
    assert api.deposit("shop1")["held"] == gbp("750.00")
    # even once the period is over, the first answer is replayed
    clock.advance(timedelta(days=60))
    late = give_back(api, "50.00", key="k-1", note="delisted")
    assert late.status_code == 201 and late.json() == first.json()


def test_dep3_same_key_with_another_body_is_409_idempotency_conflict(funded: Api, app: App) -> None:
    api = funded
    assert give_back(api, "50.00", key="k-2").status_code == 201
    before = stored(app)
    for amount, vid, note in (
        ("60.00", "V1", None),
        ("50.00", "V1", "other"),
        ("50.00", "V2", None),
    ):
        r = give_back(api, amount, vid, key="k-2", note=note)
        assert r.status_code == 409, (amount, vid, note, r.text)
        assert r.json()["code"] == "idempotency_conflict"
    assert stored(app) == before
    assert api.deposit("shop1")["held"] == gbp("750.00")


def test_dep3_a_return_needs_an_idempotency_key(funded: Api) -> None:
    r = funded.c.post(
        "/v1/shops/shop1/violations/V1/return",
        headers=funded.auth("reviewer"),
        json={"amount": gbp("10.00")},
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "Idempotency-Key"
    assert funded.deposit("shop1")["held"] == gbp("700.00")


def test_dep9_the_return_publishes_deposit_returned_once(funded: Api, app: App) -> None:
    api = funded
    subscribe(app)
    r = give_back(api, "100.00", key="k-w")
    give_back(api, "100.00", key="k-w")  # a replay publishes nothing more
    with app.engine.connect() as conn:
        rows = conn.execute(select(outbox).where(outbox.c.topic == "deposit.returned")).all()
    assert len(rows) == 1
    payload = json.loads(rows[0].payload)
    assert payload["endpoint_id"] == "whe_test"
    assert payload["data"] == {
        "shop_id": "shop1",
        "violation_id": "V1",
        "return_id": r.json()["id"],
        "amount": gbp("100.00"),
        "returned_total": gbp("100.00"),
        "held": gbp("800.00"),
    }


def test_dep9_a_violation_id_with_a_slash_is_one_path_parameter(funded: Api) -> None:
    violation(funded, "V/2", loss="40.00")
    r = give_back(funded, "40.00", "V%2F2")
    assert r.status_code == 201, r.text
    assert r.json()["violation_id"] == "V/2"
    assert r.json()["remaining"] == gbp("0.00")
    # not a pattern the event ids allow: refused before anything is looked up
    bad = give_back(funded, "1.00", "V%202")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "violation_id"


def test_dep9_violations_list_newest_first_with_totals_and_deadlines(funded: Api, app: App) -> None:
    api = funded
    violation(api, "V2", loss="20.00", at="2026-03-01T11:00:00Z", rectified=None)
    violation(api, "V3", loss="5.00", at="2026-02-20T08:00:00Z")
    assert give_back(api, "100.00").status_code == 201
    r = api.c.get("/v1/shops/shop1/violations", headers=api.auth("owner", seller="s1"))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [v["id"] for v in items] == ["V2", "V1", "V3"]
    assert r.json()["next_cursor"] is None
    v1 = items[1]
    assert v1 == {
        "id": "V1",
        "type": "short_shipment",
        "recorded_at": RECORDED,
        "consumer_loss": gbp("300.00"),
        "rectified_at": RECTIFIED,
        "returned": gbp("100.00"),
        "remaining": gbp("200.00"),
        "returnable_until": UNTIL,
    }
    assert items[0]["rectified_at"] is None
    assert items[0]["returned"] == gbp("0.00")
    assert items[2]["returnable_until"] == "2026-03-22T08:00:00Z"


def test_violations_list_is_paginated_and_its_cursor_bound_to_the_shop(funded: Api) -> None:
    api = funded
    violation(api, "V2", loss="1.00", at="2026-03-01T10:00:00Z")  # same time as V1
    violation(api, "V3", loss="1.00", at="2026-02-28T10:00:00Z")
    url = "/v1/shops/shop1/violations"
    first = api.c.get(url, params={"limit": 2}, headers=api.admin).json()
    assert [v["id"] for v in first["items"]] == ["V2", "V1"]
    second = api.c.get(
        url, params={"limit": 2, "cursor": first["next_cursor"]}, headers=api.admin
    ).json()
    assert [v["id"] for v in second["items"]] == ["V3"]
    assert second["next_cursor"] is None
    api.shop("shop2", "s1")
    other = api.c.get(
        "/v1/shops/shop2/violations", params={"cursor": first["next_cursor"]}, headers=api.admin
    )
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "cursor"


def test_violations_list_roles(funded: Api) -> None:
    api = funded
    api.seller("s2")
    url = "/v1/shops/shop1/violations"
    for role in ("owner", "admin", "staff"):
        assert api.c.get(url, headers=api.auth(role, seller="s1")).status_code == 200
        assert api.c.get(url, headers=api.auth(role, seller="s2")).status_code == 404
    for role in ("platform_admin", "reviewer", "auditor", "integration"):
        assert api.c.get(url, headers=api.auth(role)).status_code == 200
    assert api.c.get("/v1/shops/nope/violations", headers=api.admin).status_code == 404
