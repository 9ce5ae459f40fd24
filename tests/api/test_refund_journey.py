"""REF-1..8 end to end through the HTTP API, with the sandbox bank: a closing shop
blocked by an after-sales period, the clock past it, an application paid to a CNY
account, review, a payout sent once at the day's rate, the bank's answer, and the
ledger at the end."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from pypdf import PdfWriter

from depositdesk.bootstrap import App
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.worker import tick
from tests.builders import ev, placed
from tests.conftest import START, Api, TokenFactory


def _refund(api: Api, refund_id: str, who: dict[str, str]) -> dict[str, Any]:
    r = api.c.get(f"/v1/refunds/{refund_id}", headers=who)
    assert r.status_code == 200, r.text
    return r.json()


def test_ref1_to_ref8_the_whole_journey(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock
) -> None:
    app, api, auth = journey
    api.seller()
    owner, reviewer, integration = auth("owner", "s1"), auth("reviewer"), auth("integration")
    api.shop(categories=["apparel"])  # gb: 1,000 GBP, 30-day after-sales period
    assert api.pay_in("shop1", "1000.00").status_code == 201
    day = START.isoformat()
    api.events(placed("o1", "o1", day), ev("d1", "order.delivered", day, order_id="o1"))
    api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "seller leaves"})

    # REF-3: blocked while the after-sales period runs, with the date it clears.
    body = {
        "kind": "full",
        "reason": "closing the UK shop",
        "destination": {
            "account": "CN-ICBC-6222",
            "currency": "CNY",
            "reason": "UK account closed",
        },
    }
    early = api.c.post(
        "/v1/shops/shop1/refunds", headers={**owner, "Idempotency-Key": "j1"}, json=body
    )
    assert early.status_code == 422 and early.json()["code"] == "not_eligible"
    [blocker] = early.json()["blockers"]
    assert blocker["code"] == "after_sales_period" and blocker["records"] == ["o1"]
    clock.set(START + timedelta(days=31))

    # REF-4: the proof, a real PDF, uploaded first; another seller's file is refused.
    pdf = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(pdf)
    upload = api.c.post(
        "/v1/attachments",
        headers=owner,
        files={"file": ("closure-letter.pdf", pdf.getvalue(), "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    proof = upload.json()["id"]
    api.seller("s2")
    foreign = api.c.post(
        "/v1/attachments",
        headers=auth("owner", "s2"),
        files={"file": ("x.pdf", pdf.getvalue(), "application/pdf")},
    ).json()["id"]
    refused = api.c.post(
        "/v1/shops/shop1/refunds",
        headers={**owner, "Idempotency-Key": "j3"},
        json={**body, "attachment_ids": [proof, foreign]},
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["rule"] == "unknown_attachment"
    body = {**body, "attachment_ids": [proof]}
    applied = api.c.post(
        "/v1/shops/shop1/refunds", headers={**owner, "Idempotency-Key": "j2"}, json=body
    )
    assert applied.status_code == 201, applied.text
    refund_id = applied.json()["id"]
    assert applied.json()["attachment_ids"] == [proof]
    assert api.deposit("shop1")["held"]["amount"] == "0.00"  # reserved

    approved = api.c.post(
        f"/v1/refunds/{refund_id}/decision", headers=reviewer, json={"decision": "approve"}
    )
    assert approved.status_code == 200, approved.text
    assert approved.json()["payout"]["status"] == "pending"

    # REF-6/REF-7: the worker sends it once, converted at the day's rate, stored.
    assert tick(app).payouts == 1
    assert tick(app).payouts == 0
    refund = _refund(api, refund_id, owner)
    payout = refund["payout"]
    assert refund["status"] == "paying" and payout["status"] == "sent"
    rate = Decimal(payout["fx"]["rate"])
    assert payout["fx"]["source"] and payout["fx"]["rate_date"] <= clock.now().date().isoformat()
    expected = (Decimal("1000.00") * rate).quantize(Decimal("0.01"))
    assert payout["dest_amount"] == {"amount": str(expected), "currency": "CNY"}
    assert app.gateways.payouts.calls(f"dd-{refund_id}") == 1  # type: ignore[attr-defined]

    # The sandbox bank answers a day later; the refund is paid and the ledger shows it.
    clock.advance(timedelta(days=1, minutes=1))
    tick(app)
    refund = _refund(api, refund_id, owner)
    assert refund["status"] == "paid" and refund["payout"]["status"] == "paid"
    assert [s["status"] for s in refund["timeline"]] == ["submitted", "approved", "paying", "paid"]
    deposit = api.deposit("shop1")
    assert deposit["held"]["amount"] == "0.00"
    ledger = api.c.get("/v1/shops/shop1/ledger", headers=api.admin).json()
    assert ledger["entries"][0]["kind"] == "refund_payout"
    assert ledger["balances"]["refund_reserved"] == {"amount": "0.00", "currency": "GBP"}
    kinds = [n["data"].get("event") for n in deposit["notices"] if n["kind"] == "refund"]
    assert kinds[:2] == ["paid", "paying"]

    # A bank result is final: the same answer again is harmless, another one refused.
    payout_id = refund["payout"]["id"]
    again = api.c.post(
        f"/v1/payouts/{payout_id}/result", headers=integration, json={"status": "paid"}
    )
    assert again.status_code == 200
    other = api.c.post(
        f"/v1/payouts/{payout_id}/result",
        headers=integration,
        json={"status": "failed", "reason": "account closed"},
    )
    assert other.status_code == 409
    assert (
        api.c.post(
            f"/v1/payouts/{payout_id}/result", headers=owner, json={"status": "paid"}
        ).status_code
        == 403
    )
    unknown = api.c.post(
        "/v1/payouts/po_0123456789abcdef0123/result", headers=integration, json={"status": "paid"}
    )
    assert unknown.status_code == 404
    assert app.gateways.payouts.calls(f"dd-{refund_id}") == 1  # type: ignore[attr-defined]


def test_ref6_a_failed_payout_returns_to_review_and_is_paid_under_a_new_key(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock
) -> None:
    app, api, auth = journey
    api.seller()
    owner, reviewer, integration = auth("owner", "s1"), auth("reviewer"), auth("integration")
    api.shop(categories=["apparel"])
    api.pay_in("shop1", "1000.00")
    api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"})
    refund_id = api.c.post(
        "/v1/shops/shop1/refunds",
        headers={**owner, "Idempotency-Key": "f1"},
        json={"kind": "full", "reason": "closing"},
    ).json()["id"]
    api.c.post(f"/v1/refunds/{refund_id}/decision", headers=reviewer, json={"decision": "approve"})
    tick(app)
    payout_id = _refund(api, refund_id, owner)["payout"]["id"]
    failed = api.c.post(
        f"/v1/payouts/{payout_id}/result",
        headers=integration,
        json={"status": "failed", "reason": "beneficiary account closed"},
    )
    assert failed.status_code == 200, failed.text
    refund = _refund(api, refund_id, owner)
    assert refund["status"] == "failed"  # back with the reviewers, still reserved
    assert api.deposit("shop1")["held"]["amount"] == "0.00"
    again = api.c.post(
        f"/v1/refunds/{refund_id}/decision", headers=reviewer, json={"decision": "approve"}
    )
    assert again.status_code == 200, again.text
    tick(app)
    assert app.gateways.payouts.calls(f"dd-{refund_id}-2") == 1  # type: ignore[attr-defined]
    clock.advance(timedelta(days=2))
    tick(app)
    assert _refund(api, refund_id, owner)["status"] == "paid"


def test_ref7_a_payout_without_a_rate_for_the_day_waits_and_holds_up_no_other(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock
) -> None:
    """The shipped ECB history ends in late October 2026: a CNY payout in November has
    no rate outside the sandbox; it is retried later (then fails back to review), while
    a GBP payout behind it goes out in the same round."""
    app, api, auth = journey
    api.seller()
    owner, reviewer = auth("owner", "s1"), auth("reviewer")
    clock.set(datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    ids = []
    for shop, account in (
        ("shop1", {"account": "CN-1", "currency": "CNY", "reason": "moved"}),
        ("shop2", None),
    ):
        api.shop(shop, categories=["apparel"])
        api.pay_in(shop, "1000.00")
        api.c.post(f"/v1/shops/{shop}/terminate", headers=api.admin, json={"reason": "ended"})
        body: dict[str, Any] = {"kind": "full", "reason": "closing"}
        if account:
            body["destination"] = account
        r = api.c.post(
            f"/v1/shops/{shop}/refunds", headers={**owner, "Idempotency-Key": shop}, json=body
        )
        assert r.status_code == 201, r.text
        ids.append(r.json()["id"])
        api.c.post(
            f"/v1/refunds/{ids[-1]}/decision", headers=reviewer, json={"decision": "approve"}
        )
    assert tick(app).payouts == 1  # the GBP one
    cny, gbp = (_refund(api, i, owner) for i in ids)
    assert gbp["payout"]["status"] == "sent"
    assert cny["status"] == "approved" and "no exchange rate" in cny["payout"]["failure_reason"]


PAYER = "iban:GB82 WEST 1234 5698 7654 32;bic:westgb22;name:Falcon Trading Ltd"
PAYER_ROUTE = "iban:GB82WEST12345698765432;bic:WESTGB22;name:Falcon Trading Ltd"


def test_ref6_a_refund_to_the_original_route_pays_the_account_the_deposit_came_from(
    journey: tuple[App, Api, TokenFactory],
) -> None:
    app, api, auth = journey
    api.seller()
    owner, reviewer = auth("owner", "s1"), auth("reviewer")
    api.shop(categories=["apparel"])
    # A payer that is no account is refused, naming the field and the rule; nothing moves.
    bad = api.pay_in("shop1", "1000.00", payer="iban:GB00 WEST 1234;name:X")
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "payer.iban"
    assert bad.json()["errors"][0]["rule"] == "iban"
    assert api.deposit("shop1")["held"]["amount"] == "0.00"

    assert api.pay_in("shop1", "1000.00", payer=PAYER).status_code == 201
    api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"})
    # Shown before applying: where the money goes, and that nothing is taken on the way.
    quote = api.c.get("/v1/shops/shop1/eligibility?kind=full", headers=owner).json()
    assert quote["payout"] == {
        "currency": "GBP",
        "account": PAYER_ROUTE,
        "sent": {"amount": "1000.00", "currency": "GBP"},
        "fx": None,
        "bank_fee": None,
        "arrives": {"amount": "1000.00", "currency": "GBP"},
    }
    r = api.c.post(
        "/v1/shops/shop1/refunds",
        headers={**owner, "Idempotency-Key": "o1"},
        json={"kind": "full", "reason": "closing"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["destination"]["route"] == "original"
    assert r.json()["destination"]["account"] == PAYER_ROUTE
    refund_id = r.json()["id"]
    decided = api.c.post(
        f"/v1/refunds/{refund_id}/decision", headers=reviewer, json={"decision": "approve"}
    )
    assert decided.status_code == 200, decided.text
    assert tick(app).payouts == 1
    [payment] = app.gateways.payouts.payments("shop1")  # type: ignore[attr-defined]
    assert payment.instruction.route == PAYER_ROUTE  # not the word "original"


def test_ref7_the_rate_and_the_bank_fee_are_shown_before_applying_and_told_when_paid(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock
) -> None:
    app, api, auth = journey
    api.seller()
    owner, reviewer = auth("owner", "s1"), auth("reviewer")
    api.shop(categories=["apparel"])
    assert api.pay_in("shop1", "1000.00").status_code == 201
    api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"})

    # Before applying: a CNY account gets 1,000 GBP at today's rate, less the fee its
    # bank takes (the gb pack: 100.00 CNY).
    quote = api.c.get("/v1/shops/shop1/eligibility?kind=full&currency=CNY", headers=owner)
    assert quote.status_code == 200, quote.text
    estimate = quote.json()["payout"]
    rate = Decimal(estimate["fx"]["rate"])
    sent = (Decimal("1000.00") * rate).quantize(Decimal("0.01"))
    assert estimate["sent"] == {"amount": str(sent), "currency": "CNY"}
    assert estimate["bank_fee"] == {"amount": "100.00", "currency": "CNY"}
    assert estimate["arrives"] == {"amount": str(sent - 100), "currency": "CNY"}
    assert estimate["account"] is None  # an account the seller will name
    unknown = api.c.get("/v1/shops/shop1/eligibility?kind=full&currency=ZZZ", headers=owner)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "currency"

    destination = {"account": "CN-ICBC-6222", "currency": "CNY", "reason": "UK account closed"}
    r = api.c.post(
        "/v1/shops/shop1/refunds",
        headers={**owner, "Idempotency-Key": "f1"},
        json={"kind": "full", "reason": "closing", "destination": destination},
    )
    assert r.status_code == 201, r.text
    assert r.json()["bank_fee"] == {"amount": "100.00", "currency": "CNY"}
    refund_id = r.json()["id"]
    approved = api.c.post(
        f"/v1/refunds/{refund_id}/decision", headers=reviewer, json={"decision": "approve"}
    ).json()
    assert approved["payout"]["fee"] == {"amount": "100.00", "currency": "CNY"}
    assert "100.00" in approved["timeline"][-1]["note"]
    assert tick(app).payouts == 1
    clock.advance(timedelta(days=1, minutes=1))
    tick(app)  # the sandbox bank answers

    refund = _refund(api, refund_id, owner)
    payout = refund["payout"]
    assert refund["status"] == "paid" and payout["fee"] == {"amount": "100.00", "currency": "CNY"}
    # The ledger keeps the deposit's currency exact: the fee is the receiving bank's.
    ledger = api.c.get("/v1/shops/shop1/ledger", headers=api.admin).json()
    assert ledger["entries"][0]["kind"] == "refund_payout"
    assert [p["amount"] for p in ledger["entries"][0]["postings"]] == [
        {"amount": "1000.00", "currency": "GBP"},
        {"amount": "-1000.00", "currency": "GBP"},
    ]
    # The paying and paid notices say what was sent, at which rate, and the fee.
    notices = {
        n["data"]["event"]: n
        for n in api.deposit("shop1")["notices"]
        if n["kind"] == "refund" and n["data"]["event"] in ("paying", "paid")
    }
    converted = f"{Decimal(payout['dest_amount']['amount']):,.2f}"
    for event in ("paying", "paid"):
        notice = notices[event]
        assert converted in notice["subject"] and converted in notice["body"]
        assert payout["fx"]["rate"] in notice["body"] and "100.00" in notice["body"]
        assert notice["data"]["sent_minor"] == int(Decimal(payout["dest_amount"]["amount"]) * 100)
        assert notice["data"]["bank_fee_minor"] == 10000
