"""REF-3..5, REF-7a, REF-8 through the API: applying (gated by eligibility, amount
reserved), following, withdrawing, reviewing within the business-day SLA."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from depositdesk.bootstrap import App
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.worker import tick
from tests.builders import ev
from tests.conftest import START, Api, TokenFactory


@pytest.fixture
def closing(api: Api, auth: TokenFactory) -> Api:
    """Seller s1's shop1 (gb, apparel: 1,000 GBP), paid in full, contract ended: a full
    refund of 1,000 is eligible at once (no orders)."""
    api.seller()
    api.shop(categories=["apparel"])
    assert api.pay_in("shop1", "1000.00").status_code == 201
    r = api.c.post("/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"})
    assert r.status_code == 200, r.text
    api.owner = auth("owner", seller="s1")  # type: ignore[attr-defined]
    api.reviewer = auth("reviewer")  # type: ignore[attr-defined]
    return api


def apply(api: Api, who: dict[str, str], key: str = "a1", **body: Any) -> Any:
    payload = {"kind": "full", "reason": "shop closed", **body}
    headers = {**who, "Idempotency-Key": key}
    return api.c.post("/v1/shops/shop1/refunds", headers=headers, json=payload)


def decide(api: Api, refund_id: str, who: dict[str, str], **body: Any) -> Any:
    return api.c.post(f"/v1/refunds/{refund_id}/decision", headers=who, json=body)


def ledger_kinds(api: Api) -> list[str]:
    r = api.c.get("/v1/shops/shop1/ledger", headers=api.admin)
    return [e["kind"] for e in reversed(r.json()["entries"])]


def test_ref3_no_early_refund_the_blockers_are_listed(api: Api, auth: TokenFactory) -> None:
    api.seller()
    api.shop(categories=["apparel"])
    api.pay_in("shop1", "1000.00")
    r = apply(api, auth("owner", seller="s1"))
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["code"] == "not_eligible"
    assert [b["code"] for b in problem["blockers"]] == ["shop_not_closing"]
    assert api.deposit("shop1")["held"]["amount"] == "1000.00"  # nothing reserved
    assert api.c.get("/v1/shops/shop1/refunds", headers=api.admin).json()["items"] == []


def test_ref4_an_application_reserves_its_amount_and_a_retry_replays(closing: Api) -> None:
    api = closing
    r = apply(api, api.owner)  # type: ignore[attr-defined]
    assert r.status_code == 201, r.text
    refund = r.json()
    assert refund["status"] == "submitted" and refund["amount"]["amount"] == "1000.00"
    assert refund["destination"] == {
        "route": "original",
        "currency": "GBP",
        "change_reason": None,
        "account": None,  # no pay-in named the account it came from
    }
    assert refund["sla"] == "on_time"
    assert refund["security_signals"] == []  # the original route: nothing changed
    # REF-5: 3 business days in the gb calendar, from Monday 2 March: end of Thursday 5th.
    assert refund["review_due_at"] == "2026-03-06T00:00:00Z"
    assert [s["status"] for s in refund["timeline"]] == ["submitted"]
    deposit = api.deposit("shop1")
    assert deposit["held"]["amount"] == "0.00"
    assert not [n for n in deposit["notices"] if n["kind"] == "topup"]  # a leaving shop
    assert ledger_kinds(api)[-1] == "refund_reserve"

    again = apply(api, api.owner)  # type: ignore[attr-defined]
    assert again.status_code == 201 and again.json()["id"] == refund["id"]
    other_key = apply(api, api.owner, key="a2")  # type: ignore[attr-defined]
    assert other_key.status_code == 422
    codes = {b["code"] for b in other_key.json()["blockers"]}
    assert "pending_refund" in codes  # one open application per shop and kind
    assert api.c.get(f"/v1/refunds/{refund['id']}", headers=api.owner).json() == refund  # type: ignore[attr-defined]


def test_ref4_another_account_needs_a_reason_and_is_recorded(
    closing: Api, clock: FixedClock
) -> None:
    api = closing
    owner = api.owner  # type: ignore[attr-defined]
    no_reason = apply(api, owner, destination={"account": "GB00 BANK 1234", "currency": "CNY"})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "destination.reason"
    r = apply(
        api,
        owner,
        destination={
            "account": "GB00 BANK 1234",
            "currency": "CNY",
            "reason": "old account closed",
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["destination"] == {
        "route": "GB00 BANK 1234",
        "currency": "CNY",
        "change_reason": "old account closed",
        "account": "GB00 BANK 1234",
    }
    assert "GB00 BANK 1234" in r.json()["timeline"][0]["note"]
    # UNL-1: a changed payout account is a security signal, shown with the application
    # (for the reviewer, and the seller sees why an unlink would wait for a person).
    [signal] = r.json()["security_signals"]
    assert signal["kind"] == "payout_account_changed" and signal["shop_id"] == "shop1"
    assert "GB00 BANK 1234" in signal["detail"] and "old account closed" in signal["detail"]
    refund_id = r.json()["id"]
    seen = api.c.get(f"/v1/refunds/{refund_id}", headers=api.reviewer)  # type: ignore[attr-defined]
    assert [s["kind"] for s in seen.json()["security_signals"]] == ["payout_account_changed"]
    # The gb pack's window is 7 days (payout_account_change_days): then it no longer counts.
    clock.advance(timedelta(days=7, seconds=1))
    later = api.c.get(f"/v1/refunds/{refund_id}", headers=api.reviewer)  # type: ignore[attr-defined]
    assert later.json()["security_signals"] == []


def test_ref4_only_the_owner_or_an_admin_of_the_shops_seller_applies(
    closing: Api, auth: TokenFactory
) -> None:
    api = closing
    assert apply(api, auth("staff", seller="s1")).status_code == 403
    assert apply(api, auth("admin", seller="s1")).status_code == 201
    api.seller("s2")
    assert apply(api, auth("owner", seller="s2"), key="x").status_code == 404
    for role in ("platform_admin", "reviewer", "integration", "auditor"):
        assert apply(api, auth(role), key=role).status_code == 403, role


def test_ref5_a_deduction_after_applying_never_touches_the_reservation(closing: Api) -> None:
    """DEP-8 with REF-4: the deduction takes what is left (nothing) and the rest becomes
    a receivable, which blocks approval (REF-3); rejecting releases the reservation."""
    api = closing
    refund = apply(api, api.owner).json()  # type: ignore[attr-defined]
    api.events(
        ev(
            "v1",
            "violation.recorded",
            START.isoformat(),
            violation_id="v1",
            type="short_shipment",
            consumer_loss="300.00",
            currency="GBP",
        )
    )
    deposit = api.deposit("shop1")
    assert deposit["held"]["amount"] == "0.00" and deposit["receivable"]["amount"] == "300.00"
    reviewer = api.reviewer  # type: ignore[attr-defined]
    blocked = decide(api, refund["id"], reviewer, decision="approve")
    assert blocked.status_code == 422 and blocked.json()["code"] == "not_eligible"
    assert {b["code"] for b in blocked.json()["blockers"]} >= {"receivable"}
    rejected = decide(api, refund["id"], reviewer, decision="reject", reason_code="not_eligible")
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert body["status"] == "rejected" and body["reason_code"] == "not_eligible"
    assert "eligibility page" in body["message"]  # a message the seller can act on
    deposit = api.deposit("shop1")
    assert deposit["held"]["amount"] == "1000.00" and deposit["receivable"]["amount"] == "300.00"
    assert ledger_kinds(api)[-1] == "refund_release"
    again = decide(api, refund["id"], reviewer, decision="approve")
    assert again.status_code == 409  # decided already


def test_ref5_approval_rechecks_eligibility_and_sets_the_payout_due_date(closing: Api) -> None:
    api = closing
    refund = apply(api, api.owner).json()  # type: ignore[attr-defined]
    assert decide(api, refund["id"], api.owner, decision="approve").status_code == 403  # type: ignore[attr-defined]
    r = decide(api, refund["id"], api.reviewer, decision="approve")  # type: ignore[attr-defined]
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "approved"
    assert body["payout_due_at"] == (START + timedelta(days=30)).isoformat().replace("+00:00", "Z")
    assert [s["status"] for s in body["timeline"]] == ["submitted", "approved"]
    assert body["expected_arrival"] == {"from_business_days": 3, "to_business_days": 5}
    withdraw = api.c.post(f"/v1/refunds/{refund['id']}/withdraw", headers=api.owner)  # type: ignore[attr-defined]
    assert withdraw.status_code == 409  # approved: too late to withdraw


def test_ref7a_a_seller_withdraws_and_may_apply_again(closing: Api) -> None:
    api = closing
    owner = api.owner  # type: ignore[attr-defined]
    refund = apply(api, owner).json()
    r = api.c.post(f"/v1/refunds/{refund['id']}/withdraw", headers=owner)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    assert api.deposit("shop1")["held"]["amount"] == "1000.00"
    assert apply(api, owner, key="a2").status_code == 201
    listed = api.c.get("/v1/shops/shop1/refunds", headers=owner).json()["items"]
    assert [i["status"] for i in listed] == ["submitted", "withdrawn"]


def test_ref5_ref8_each_step_is_told_to_the_seller_and_a_late_review_too(
    closing: Api, app: App, clock: FixedClock
) -> None:
    api = closing
    refund = apply(api, api.owner).json()  # type: ignore[attr-defined]
    clock.set(datetime(2026, 3, 6, 0, 0, 1, tzinfo=UTC))  # the review is due: not done
    assert tick(app).timers == 1
    decide(api, refund["id"], api.reviewer, decision="reject", reason_code="proof_invalid")  # type: ignore[attr-defined]
    notices = [n for n in api.deposit("shop1")["notices"] if n["kind"] == "refund"]
    assert [n["data"]["event"] for n in notices] == ["rejected", "review_late", "submitted"]
    assert "not approved" in notices[0]["subject"] and "Upload a clear PDF" in notices[0]["body"]
    assert "is late" in notices[1]["subject"]
    assert tick(app).timers == 0  # the review timer fired once


def test_ref5_the_review_queue_puts_the_one_due_first_on_top_with_its_sla(
    closing: Api, auth: TokenFactory, clock: FixedClock
) -> None:
    api = closing
    first = apply(api, api.owner).json()  # type: ignore[attr-defined]
    queue = api.c.get("/v1/review-queue", headers=api.reviewer).json()  # type: ignore[attr-defined]
    assert [(i["id"], i["sla"]) for i in queue["items"]] == [(first["id"], "on_time")]
    clock.set(datetime(2026, 3, 5, 12, 0, tzinfo=UTC))  # Thursday: due at its end
    queue = api.c.get("/v1/review-queue", headers=api.reviewer).json()  # type: ignore[attr-defined]
    assert queue["items"][0]["sla"] == "due_today"
    clock.set(datetime(2026, 3, 6, 0, 0, 1, tzinfo=UTC))
    queue = api.c.get("/v1/review-queue", headers=api.reviewer).json()  # type: ignore[attr-defined]
    assert queue["items"][0]["sla"] == "late"
    for who in (api.owner, auth("integration"), auth("auditor")):  # type: ignore[attr-defined]
        assert api.c.get("/v1/review-queue", headers=who).status_code == 403


def test_ref5_the_review_queue_pages_with_a_cursor_in_due_order(
    closing: Api, clock: FixedClock
) -> None:
    """interface.md "Lists": ?limit= and ?cursor=; the queue keeps its order (the one
    due first on top) across pages, each application once."""
    api = closing
    made = []
    for n in range(5):
        shop = f"q{n}"
        api.shop(shop, "s1", categories=["apparel"])
        assert api.pay_in(shop, "1000.00").status_code == 201
        api.c.post(f"/v1/shops/{shop}/terminate", headers=api.admin, json={"reason": "ended"})
        r = api.c.post(
            f"/v1/shops/{shop}/refunds",
            headers={**api.owner, "Idempotency-Key": f"q{n}"},  # type: ignore[attr-defined]
            json={"kind": "full", "reason": "closing"},
        )
        made.append((r.json()["review_due_at"], r.json()["id"]))
        clock.advance(timedelta(days=1))
    seen, cursor = [], None
    while True:
        url = "/v1/review-queue?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = api.c.get(url, headers=api.reviewer).json()  # type: ignore[attr-defined]
        assert len(page["items"]) <= 2
        seen += [(i["review_due_at"], i["id"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(made)
    other = api.auth("reviewer")
    mine = api.c.get(f"/v1/review-queue?limit=2&cursor=x{cursor or 'bad'}", headers=other)
    assert mine.status_code == 422 and mine.json()["errors"][0]["field"] == "cursor"


def test_ref5_the_sla_skips_a_weekend_and_a_uk_bank_holiday(
    closing: Api, clock: FixedClock
) -> None:
    """Friday 1 May 2026, then Monday 4 May (Early May bank holiday): three business
    days are Tuesday, Wednesday, Thursday: due at the end of Thursday 7 May, London."""
    clock.set(datetime(2026, 5, 1, 10, 0, tzinfo=UTC))
    refund = apply(closing, closing.owner).json()  # type: ignore[attr-defined]
    assert refund["review_due_at"] == "2026-05-07T23:00:00Z"  # midnight BST


def test_refund_ids_and_bodies_are_checked(closing: Api) -> None:
    api = closing
    owner = api.owner  # type: ignore[attr-defined]
    assert api.c.get("/v1/refunds/ref_nothere0000000", headers=owner).status_code == 422
    assert api.c.get("/v1/refunds/ref_0123456789abcdef0123", headers=owner).status_code == 404
    bad_kind = apply(api, owner, kind="everything")
    assert bad_kind.status_code == 422 and bad_kind.json()["errors"][0]["rule"] == "refund_kind"
    full_with_category = apply(api, owner, category="apparel")
    assert full_with_category.json()["errors"][0]["rule"] == "difference_only"
    assert apply(api, owner, reason="").status_code == 422
    assert api.deposit("shop1")["held"]["amount"] == "1000.00"  # nothing reserved
