"""DEP-5..8 through the API: the enforcement ladder, lifting it, deductions and their
notices, closure-grade violations and offsets from proceeds."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from depositdesk.adapters.db.tables import outbox, timers
from depositdesk.bootstrap import App
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.webhook_endpoints import WebhookEndpoint
from depositdesk.entrypoints.worker import tick
from tests.builders import ev
from tests.conftest import START, Api


def _subscribe(app: App, events: tuple[str, ...] = ("*",)) -> None:
    """A webhook receiver, stored the way the endpoint API stores one."""
    with app.uow() as uow:
        uow.webhook_endpoints.add(
            WebhookEndpoint("whe_test", "https://hooks.example/dd", events, "whsec_t", START, "t")
        )
        uow.commit()


def _webhooks(app: App, event_type: str) -> list[dict[str, Any]]:
    with app.engine.connect() as conn:
        rows = conn.execute(
            select(outbox.c.payload).where(outbox.c.topic == event_type).order_by(outbox.c.id)
        ).scalars()
        return [json.loads(r)["data"] for r in rows]


def _underfunded(api: Api, shop: str = "shop1") -> None:
    """Funded at 1,000 GBP, then jewellery raises the requirement to 4,000 (DEP-5)."""
    api.shop(shop, categories=["apparel"])
    assert api.pay_in(shop, "1000.00").status_code == 201
    r = api.c.put(
        f"/v1/shops/{shop}/categories",
        headers=api.admin,
        json={"categories": ["apparel", "jewellery"]},
    )
    assert r.status_code == 200, r.text


def _kinds(api: Api, shop: str = "shop1") -> list[str]:
    return [n["kind"] for n in reversed(api.deposit(shop)["notices"])]  # oldest first


def test_dep6_the_ladder_escalates_on_the_policy_offsets_and_paying_lifts_it(sandbox) -> None:
    """gb ladder: 0, 7, 14, 30, 45, 60 days after the due date (30 days after the notice)."""
    c, admin, integ = sandbox
    c.post("/v1/sellers", headers=admin, json={"id": "s1", "name": "S", "email": "s@ex.com"})
    shop = {"id": "shop1", "seller_id": "s1", "name": "S", "market": "gb"}
    c.post("/v1/shops", headers=admin, json={**shop, "categories": ["apparel"]})
    payin = {"amount": {"amount": "1000.00", "currency": "GBP"}, "reference": "R1"}
    headers = {**integ, "Idempotency-Key": "p1"}
    assert c.post("/v1/shops/shop1/deposit/payins", headers=headers, json=payin).status_code == 201
    c.put("/v1/shops/shop1/categories", headers=admin, json={"categories": ["jewellery"]})
    deposit = c.get("/v1/shops/shop1/deposit", headers=admin).json()
    due = datetime.fromisoformat(deposit["enforcement"]["due_at"])
    assert deposit["enforcement_step"] is None
    assert deposit["enforcement"]["next_step"] == "warning"
    assert datetime.fromisoformat(deposit["enforcement"]["next_step_at"]) == due

    def advance(period: str) -> tuple[dict[str, Any], dict[str, Any]]:
        r = c.post("/v1/sandbox/clock", headers=admin, json={"advance": period})
        assert r.status_code == 200, r.text
        shop = c.get("/v1/shops/shop1", headers=admin).json()
        return shop, c.get("/v1/shops/shop1/deposit", headers=admin).json()

    shop_now, deposit = advance("P29D")
    assert shop_now["status"] == "active" and shop_now["restrictions"] == []
    shop_now, deposit = advance("P1D")  # the due date: the formal warning
    assert shop_now["status"] == "restricted" and shop_now["restrictions"] == ["warning"]
    assert deposit["enforcement_step"] == "warning"
    shop_now, deposit = advance("P7D")
    assert shop_now["restrictions"] == ["warning", "listing_suspended"]
    assert deposit["enforcement"]["next_step"] == "delisted"
    notices = [n for n in deposit["notices"] if n["kind"] == "enforcement"]
    assert [n["data"]["step"] for n in notices] == ["listing_suspended", "warning"]
    assert "£3,000.00" in notices[0]["subject"]

    # Paying the shortfall lifts every step at once (DEP-6) ...
    payin = {"amount": {"amount": "3000.00", "currency": "GBP"}, "reference": "R2"}
    headers = {**integ, "Idempotency-Key": "p2"}
    assert c.post("/v1/shops/shop1/deposit/payins", headers=headers, json=payin).status_code == 201
    shop_now = c.get("/v1/shops/shop1", headers=admin).json()
    deposit = c.get("/v1/shops/shop1/deposit", headers=admin).json()
    assert shop_now["status"] == "active" and shop_now["restrictions"] == []
    assert deposit["status"] == "funded" and deposit["enforcement"] is None
    assert deposit["notices"][0]["kind"] == "funded"
    assert deposit["notices"][0]["data"]["lifted"] == "warning,listing_suspended"
    # ... and cancels the pending timers: nothing more happens.
    shop_now, deposit = advance("P90D")
    assert shop_now["status"] == "active" and deposit["enforcement_step"] is None


def test_dep6_a_late_worker_applies_every_due_step_in_order(
    api: Api, app: App, clock: FixedClock
) -> None:
    api.seller()
    _underfunded(api)
    clock.advance(timedelta(days=30 + 20))  # due date + 20 days: steps at 0, 7 and 14
    assert tick(app).timers == 1
    assert api.c.get("/v1/shops/shop1", headers=api.admin).json()["restrictions"] == [
        "warning",
        "listing_suspended",
        "delisted",
    ]
    assert _kinds(api).count("enforcement") == 3
    with app.engine.connect() as conn:  # the next step's timer waits for day 30
        pending = (
            conn.execute(
                select(timers.c.due_at).where(
                    timers.c.done_at.is_(None), timers.c.kind == "enforcement.step"
                )
            )
            .scalars()
            .all()
        )
    assert pending == [START + timedelta(days=30 + 30)]
    assert tick(app).timers == 0  # fired once: running again does nothing


def test_dep5_a_second_case_after_funding_gets_its_own_notice_and_ladder(
    api: Api, app: App, clock: FixedClock
) -> None:
    api.seller()
    _underfunded(api)
    assert api.pay_in("shop1", "3000.00").status_code == 201
    clock.advance(timedelta(days=5))
    r = api.events(
        ev(
            "v1",
            "violation.recorded",
            clock.now().isoformat(),
            violation_id="v1",
            type="short_shipment",
            consumer_loss="50.00",
            currency="GBP",
        )
    )
    assert r["accepted"] == 1
    deposit = api.deposit("shop1")
    assert deposit["owed"]["amount"] == "50.00"
    due = datetime.fromisoformat(deposit["enforcement"]["due_at"])
    assert due == clock.now() + timedelta(days=30)  # a new case: a new due date
    assert _kinds(api) == ["topup", "funded", "deduction", "topup"]


def test_dep8_a_deduction_is_notified_and_sent_as_deposit_deducted(api: Api, app: App) -> None:
    _subscribe(app)
    api.seller()
    api.shop(categories=["apparel"])
    api.pay_in("shop1", "1000.00")
    at = START.isoformat()
    violation = {"type": "short_shipment", "consumer_loss": "1200.00", "currency": "GBP"}
    api.events(ev("e1", "violation.recorded", at, violation_id="v1", **violation))
    api.events(ev("e1", "violation.recorded", at, violation_id="v1", **violation))  # a resend
    deposit = api.deposit("shop1")
    assert deposit["held"]["amount"] == "0.00" and deposit["receivable"]["amount"] == "200.00"
    deduction = next(n for n in deposit["notices"] if n["kind"] == "deduction")
    assert "£1,200.00" in deduction["subject"] and "£200.00" in deduction["body"]
    [sent] = _webhooks(app, "deposit.deducted")  # once, though the event came twice
    assert sent["consumer_loss"] == {"amount": "1200.00", "currency": "GBP"}
    assert sent["covered"]["amount"] == "1000.00" and sent["receivable_added"]["amount"] == "200.00"
    assert sent["closure_flagged"] is False
    [underfunded] = _webhooks(app, "deposit.underfunded")
    assert underfunded["owed"] == {"amount": "1200.00", "currency": "GBP"}
    assert {d["kind"] for d in _webhooks(app, "notice.sent")} == {"deduction", "topup"}
    shop = api.c.get("/v1/shops/shop1", headers=api.admin).json()
    assert shop["closure_flag"] is None


def test_dep8_a_closure_grade_violation_flags_the_shop(api: Api, app: App) -> None:
    _subscribe(app, ("shop.*",))
    api.seller()
    api.shop(categories=["apparel"])
    api.pay_in("shop1", "1000.00")
    at = START.isoformat()
    api.events(
        ev(
            "e1",
            "violation.recorded",
            at,
            violation_id="v1",
            type="counterfeit",
            consumer_loss="10.00",
            currency="GBP",
        ),
        ev(
            "e2",
            "violation.recorded",
            at,
            violation_id="v2",
            type="empty_parcel",
            consumer_loss="10.00",
            currency="GBP",
        ),
    )
    shop = api.c.get("/v1/shops/shop1", headers=api.admin).json()
    assert shop["closure_flag"]["violation_id"] == "v1"  # the first one flags it
    assert shop["closure_flag"]["type"] == "counterfeit"
    assert [d["violation_id"] for d in _webhooks(app, "shop.flagged_for_closure")] == ["v1"]
    assert _webhooks(app, "deposit.deducted") == []  # not subscribed


def test_dep7_proceeds_pay_an_open_shortfall_and_the_seller_is_told_after(
    api: Api, app: App
) -> None:
    _subscribe(app)
    api.seller()
    api.shop(categories=["apparel"])
    api.pay_in("shop1", "1000.00")
    at, later = START.isoformat(), (START + timedelta(hours=1)).isoformat()
    api.events(
        ev(
            "v",
            "violation.recorded",
            at,
            violation_id="v1",
            type="short_shipment",
            consumer_loss="1100.00",
            currency="GBP",
        ),
        ev("p1", "proceeds.available", later, amount="300.00", currency="GBP"),
    )
    deposit = api.deposit("shop1")
    # 1,100 owed (1,000 shortfall + 100 receivable); 300 taken: the receivable first.
    assert deposit["receivable"]["amount"] == "0.00" and deposit["held"]["amount"] == "200.00"
    assert deposit["proceeds"]["amount"] == "0.00" and deposit["status"] == "underfunded"
    api.events(ev("p2", "proceeds.available", later, amount="5000.00", currency="GBP"))
    deposit = api.deposit("shop1")
    assert deposit["held"]["amount"] == "1000.00" and deposit["proceeds"]["amount"] == "4200.00"
    assert deposit["status"] == "funded" and deposit["enforcement"] is None
    assert _kinds(api) == ["deduction", "topup", "offset", "offset", "funded"]
    ledger = api.c.get("/v1/shops/shop1/ledger", headers=api.admin).json()
    offsets = [e for e in ledger["entries"] if e["kind"] == "offset"]
    assert [e["source"] for e in offsets] == ["event:p2", "event:p1"]  # each names its event
    for entry in offsets:
        assert sum(int(p["amount"]["amount"].replace(".", "")) for p in entry["postings"]) == 0
    offset_amounts = sorted(d["amount"]["amount"] for d in _webhooks(app, "deposit.offset"))
    assert offset_amounts == ["300.00", "800.00"]
    # shop.funded twice: the first deposit (DEP-4) and the offset that closed the case.
    funded = _webhooks(app, "shop.funded")
    assert len(funded) == 2 and all(f["lifted"] == [] for f in funded)


def test_dep7_proceeds_of_a_funded_shop_stay_proceeds(api: Api) -> None:
    api.seller()
    api.shop(categories=["apparel"])
    api.pay_in("shop1", "1000.00")
    api.events(ev("p1", "proceeds.available", START.isoformat(), amount="300.00", currency="GBP"))
    deposit = api.deposit("shop1")
    assert deposit["proceeds"]["amount"] == "300.00" and deposit["notices"] == []


def test_bad_violations_are_rejected_and_change_nothing(api: Api, client: TestClient) -> None:
    api.seller()
    api.shop(categories=["apparel"])
    api.pay_in("shop1", "1000.00")
    at = START.isoformat()
    base = {"violation_id": "v1", "type": "short_shipment", "currency": "GBP"}
    result = api.events(
        ev("z", "violation.recorded", at, consumer_loss="0.00", **base),
        ev("n", "violation.recorded", at, consumer_loss="-5.00", **base),
        ev("c", "violation.recorded", at, consumer_loss="5.00", **{**base, "currency": "USD"}),
        ev("u", "violation.recorded", at, shop="nope", consumer_loss="5.00", **base),
        ev("p", "proceeds.available", at, amount="0.00", currency="GBP"),
    )
    got = {r["id"]: (r["reason"], r["field"]) for r in result["rejected"]}
    assert got == {
        "z": ("bad_value", "data.consumer_loss"),
        "n": ("bad_value", "data.consumer_loss"),
        "c": ("bad_value", "data.currency"),
        "u": ("unknown_shop", "shop_id"),
        "p": ("bad_value", "data.amount"),
    }
    deposit = api.deposit("shop1")
    assert deposit["held"]["amount"] == "1000.00" and deposit["notices"] == []
