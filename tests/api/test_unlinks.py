"""Unlinking a shop through the API (issue 11, first slice): the request with step-up
(UNL-1), the security review, the six-area checklist recomputed from the projection
(UNL-6b), the closure preconditions (UNL-6a), confirm and the unlink at the date
(UNL-7). The gb pack: step-up 15 minutes, signals within 7 days, closure notice 30
days, waiting 90 days after the last order, the cutoff 3 days before the date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, insert

from depositdesk.adapters.db.tables import security_signals
from depositdesk.bootstrap import App
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.worker import tick
from tests.api.test_sign_in import add_user, bearer, enrol, login
from tests.builders import ev, placed
from tests.conftest import START, Api, TokenFactory

DATE = "2026-06-30"  # Europe/London summer time: starts 2026-06-29T23:00Z
BODY = {"unlink_date": DATE, "support_contact": "returns@falcon.example"}


@pytest.fixture
def owner(api: Api, auth: TokenFactory) -> dict[str, str]:
    api.seller()
    api.shop()
    assert api.pay_in("shop1", "1000.00").status_code == 201
    return auth("owner", seller="s1")


def start(api: Api, who: dict[str, str], shop: str = "shop1", **body: Any) -> Any:
    return api.c.post(f"/v1/shops/{shop}/unlink", headers=who, json={**BODY, **body})


def checks(unlink: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for area in unlink["checklist"].values() for c in area["checks"]}


def get(api: Api, unlink_id: str, who: dict[str, str] | None = None) -> dict[str, Any]:
    r = api.c.get(f"/v1/unlinks/{unlink_id}", headers=who or api.admin)
    assert r.status_code == 200, r.text
    return r.json()


def unlink_notices(api: Api, shop: str = "shop1") -> list[dict[str, Any]]:
    return [n for n in api.deposit(shop)["notices"] if n["kind"] == "unlink"]


def test_unl1_the_owner_asks_and_gets_the_request_with_dates_and_six_areas(
    api: Api, owner: dict[str, str]
) -> None:
    r = start(api, owner)
    assert r.status_code == 201, r.text
    u = r.json()
    assert u["status"] == "preparing" and u["shop_id"] == "shop1"
    assert u["unlink_date"] == DATE
    assert u["cutoff_at"] == "2026-06-26T23:00:00Z"  # 3 days before the date starts
    assert u["held_reasons"] == []
    assert list(u["checklist"]) == [
        "account_access",
        "financial_reconciliation",
        "order_completion",
        "data_archiving",
        "policy_compliance",
        "notification_management",
    ]
    assert [c["code"] for c in u["checklist"]["policy_compliance"]["checks"]] == [
        "unpaid_fines",
        "unrectified_violations",
        "campaigns_stopped",
        "creators_unbound",
        "closure_notice_period",
        "waiting_period",
        "agreement_accepted",
    ]
    assert u["checklist"]["account_access"]["status"] == "ok"
    assert u["checklist"]["policy_compliance"]["status"] == "action_needed"
    # A second open request for the shop: 409, nothing changed.
    again = start(api, owner)
    assert again.status_code == 409 and again.json()["code"] == "unlink_open"
    assert again.json()["unlink_id"] == u["id"]


def test_unl1_bad_dates_and_roles_are_refused(
    api: Api, owner: dict[str, str], auth: TokenFactory
) -> None:
    past = start(api, owner, unlink_date="2026-03-01")
    assert past.status_code == 422 and past.json()["errors"][0]["rule"] == "too_soon"
    soon = start(api, owner, unlink_date="2026-03-04")  # its cutoff would be in the past
    assert soon.status_code == 422 and soon.json()["errors"][0]["field"] == "unlink_date"
    assert start(api, owner, unlink_date="2026-03-06").status_code == 201  # cutoff Mar 2 24:00
    api.shop("shop2")
    assert start(api, auth("staff", seller="s1"), "shop2").status_code == 403
    assert start(api, api.admin, "shop2").status_code == 403  # a platform role cannot start
    api.seller("s2")
    assert start(api, auth("owner", seller="s2"), "shop2").status_code == 404
    assert start(api, auth("admin", seller="s1"), "shop2").status_code == 201


def test_unl1_a_signed_in_owner_needs_a_recent_second_factor(
    api: Api, owner: dict[str, str], clock: FixedClock
) -> None:
    add_user(api, api.admin, email_verified=True)
    totp, _ = enrol(api, bearer(login(api)), clock)
    no_mfa = start(api, bearer(login(api)))
    assert no_mfa.status_code == 403 and no_mfa.json()["code"] == "step_up_required"
    clock.advance(timedelta(seconds=31))
    stepped = bearer(login(api, totp=totp.at(clock.now())))
    r = start(api, stepped)
    assert r.status_code == 201, r.text
    assert checks(r.json())["email_verified"]["status"] == "ok"
    # Confirming asks for the second factor again (UNL-7).
    clock.advance(timedelta(minutes=16))
    late = api.c.post(f"/v1/unlinks/{r.json()['id']}/confirm", headers=stepped)
    assert late.status_code == 403 and late.json()["code"] == "step_up_required"


def _signal(engine: Engine, kind: str, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(security_signals).values(
                id=f"sig_{kind}",
                seller_id="s1",
                shop_id=None,
                kind=kind,
                source=f"test:{kind}",
                detail="signed in from a device never seen",
                at=at,
            )
        )


def test_unl1_a_recent_signal_holds_the_request_for_review_and_a_reviewer_clears_it(
    api: Api, owner: dict[str, str], engine: Engine, auth: TokenFactory
) -> None:
    _signal(engine, "new_device", START - timedelta(days=1))
    r = start(api, owner)
    assert r.status_code == 201, r.text
    u = r.json()
    assert u["status"] == "manual_review"
    assert u["held_reasons"] == ["new_device: signed in from a device never seen"]
    review = checks(u)["security_review"]
    assert review["status"] == "blocked" and review["count"] == 1
    assert u["checklist"]["account_access"]["status"] == "blocked"
    # The seller sees why (the notice) and cannot review its own request.
    [held] = unlink_notices(api)
    assert held["data"]["event"] == "held" and "new_device" in held["body"]
    path = f"/v1/unlinks/{u['id']}/review"
    assert api.c.post(path, headers=owner, json={"decision": "clear"}).status_code == 403
    cleared = api.c.post(
        path, headers=auth("reviewer"), json={"decision": "clear", "message": "called the owner"}
    )
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["status"] == "preparing"
    assert checks(cleared.json())["security_review"]["status"] == "ok"
    assert [n["data"]["event"] for n in unlink_notices(api)] == ["cleared", "held"]
    again = api.c.post(path, headers=auth("reviewer"), json={"decision": "refuse", "message": "x"})
    assert again.status_code == 409  # reviewed already


def test_unl1_a_signal_older_than_the_window_holds_nothing_and_a_refusal_says_why(
    api: Api, owner: dict[str, str], engine: Engine, auth: TokenFactory
) -> None:
    _signal(engine, "payout_account_changed", START - timedelta(days=8))
    assert start(api, owner).json()["status"] == "preparing"
    api.shop("shop2")
    _signal(engine, "failed_second_factor", START - timedelta(hours=1))
    u = start(api, owner, "shop2").json()
    assert u["status"] == "manual_review"
    refused = api.c.post(
        f"/v1/unlinks/{u['id']}/review",
        headers=auth("platform_admin"),
        json={"decision": "refuse", "message": "The owner did not ask for this."},
    )
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    reason = checks(get(api, u["id"], owner))["security_review"]
    assert reason["status"] == "blocked" and "did not ask" in reason["message"]
    # A refused request is not open: the seller may ask again.
    assert start(api, owner, "shop2").status_code == 201


def test_unl6b_the_checklist_shows_each_blocker_with_its_records_and_clears_as_events_arrive(
    api: Api, owner: dict[str, str]
) -> None:
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
        ev("e9", "charge.billed", t, charge_id="ch1", kind="ads", amount="10.00", currency="GBP"),
        ev("e10", "campaign.started", t, campaign_id="cmp1"),
        ev("e11", "creator.bound", t, creator_id="cr1"),
    )
    u = start(api, owner).json()
    got = checks(u)
    expected = {
        "open_orders": ("blocked", ["o1"], "cancel-unfulfillable-orders"),
        "open_after_sales_cases": ("blocked", ["c1"], "resolve_cases"),
        "open_disputes": ("blocked", ["d1"], "resolve_disputes"),
        "open_complaints": ("blocked", ["k1"], "resolve_complaints"),
        "unpaid_fines": ("blocked", ["f1"], "pay_fines"),
        "unrectified_violations": ("blocked", ["v1"], "rectify_violations"),
        "outstanding_charges": ("blocked", ["ch1"], "settle_charges"),
        "campaigns_stopped": ("action_needed", ["cmp1"], "stop_campaigns"),
        "creators_unbound": ("action_needed", ["cr1"], "unbind_creators"),
    }
    for code, (status, records, action) in expected.items():
        c = got[code]
        assert (c["status"], c["records"], c["count"], c["action"]) == (
            status,
            records,
            1,
            action,
        ), code
    assert "1 order(s) not delivered" in got["open_orders"]["message"]
    assert got["receivable"]["status"] == "ok"  # the deposit covered the consumer's loss
    assert got["waiting_period"]["status"] == "blocked"  # 90 days after the last order
    assert got["waiting_period"]["clears_at"] == "2026-05-30T10:00:00Z"
    # Later slices' actions: a shop with orders has an archive and a tax summary to make.
    assert got["archive"]["status"] == "action_needed"
    assert got["customers_notified"]["status"] == "action_needed"
    for area in ("order_completion", "financial_reconciliation"):
        assert u["checklist"][area]["status"] == "blocked"

    t2 = "2026-03-02T10:00:00Z"
    api.events(
        ev("x1", "order.cancelled", t2, order_id="o1"),
        ev("x2", "after_sales.closed", t2, case_id="c1", order_id="o2"),
        ev("x3", "dispute.resolved", t2, dispute_id="d1"),
        ev("x4", "complaint.resolved", t2, complaint_id="k1"),
        ev("x5", "fine.paid", t2, fine_id="f1"),
        ev("x6", "violation.rectified", t2, violation_id="v1"),
        ev("x7", "charge.settled", t2, charge_id="ch1"),
        ev("x8", "campaign.stopped", t2, campaign_id="cmp1"),
        ev("x9", "creator.unbound", t2, creator_id="cr1"),
    )
    got = checks(get(api, u["id"], owner))
    for code in expected:
        assert (got[code]["status"], got[code]["records"], got[code]["action"]) == (
            "ok",
            [],
            None,
        ), code
    assert get(api, u["id"], owner)["checklist"]["order_completion"]["status"] == "ok"


def test_unl6b_a_receivable_blocks_and_messages_are_in_the_sellers_language(
    api: Api, auth: TokenFactory
) -> None:
    r = api.c.post(
        "/v1/sellers",
        headers=api.admin,
        json={"id": "zh1", "name": "蓝鳍", "email": "zh@example.com", "language": "zh"},
    )
    assert r.status_code == 201, r.text
    api.shop("shopz", "zh1")  # nothing paid in: a consumer's loss is owed by the seller
    api.events(
        ev(
            "v",
            "violation.recorded",
            "2026-03-01T10:00:00Z",
            shop="shopz",
            violation_id="v1",
            type="short_shipment",
            consumer_loss="5.00",
            currency="GBP",
        )
    )
    u = start(api, auth("owner", seller="zh1"), "shopz").json()
    got = checks(u)
    assert got["receivable"]["status"] == "blocked" and "5.00" in got["receivable"]["message"]
    assert got["receivable"]["message"].startswith("您欠平台")
    assert got["unrectified_violations"]["message"] == "有 1 项违规未整改，请整改。"
    assert got["agreement_accepted"]["message"] == "请接受关店协议。"


def test_unl6a_unl7_confirm_is_refused_until_every_area_is_ok_then_the_shop_unlinks_at_the_date(
    app: App, api: Api, owner: dict[str, str], clock: FixedClock
) -> None:
    u = start(api, owner).json()
    confirm = f"/v1/unlinks/{u['id']}/confirm"
    refused = api.c.post(confirm, headers=owner)
    assert refused.status_code == 422 and refused.json()["code"] == "unlink_not_ready"
    assert {c["code"] for c in refused.json()["checks"]} == {
        "closure_notice_period",
        "agreement_accepted",
    }
    # UNL-6a: the closure notice, then its 30-day period; the agreement's version.
    notice = api.c.post("/v1/shops/shop1/closure-notice", headers=owner)
    assert notice.status_code == 200, notice.text
    assert notice.json()["ends_at"] == "2026-04-01T09:00:00Z"
    agreed = api.c.post(f"/v1/unlinks/{u['id']}/agreement", headers=owner, json={"version": "v3"})
    assert agreed.status_code == 200 and agreed.json()["agreement_version"] == "v3"
    period = checks(agreed.json())["closure_notice_period"]
    assert period["status"] == "blocked" and period["clears_at"] == "2026-04-01T09:00:00Z"
    clock.advance(timedelta(days=29))
    refused = api.c.post(confirm, headers=owner)
    assert [c["code"] for c in refused.json()["checks"]] == ["closure_notice_period"]
    # The notice started once: asking again keeps its start.
    again = api.c.post("/v1/shops/shop1/closure-notice", headers=owner)
    assert again.json()["started_at"] == "2026-03-02T09:00:00Z"

    clock.advance(timedelta(days=1))
    done = api.c.post(confirm, headers=owner)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "scheduled" and done.json()["all_ok"] is True
    shop = api.c.get("/v1/shops/shop1", headers=owner).json()
    assert shop["status"] == "closing"
    assert shop["orders_cutoff_at"] == "2026-06-26T23:00:00Z"
    assert [n["data"]["event"] for n in unlink_notices(api)] == ["scheduled"]
    # UNL-7: from the cutoff the shop takes no new orders.
    clock.set(datetime(2026, 6, 27, 0, 0, tzinfo=UTC))
    result = api.events(
        placed("before", "o1", "2026-06-26T22:59:59Z"),
        placed("after", "o2", "2026-06-26T23:00:01Z"),
    )
    assert [r["reason"] for r in result["rejected"]] == ["shop_closed_for_orders"]

    clock.set(datetime(2026, 6, 29, 22, 59, tzinfo=UTC))
    assert tick(app).timers == 0
    clock.set(datetime(2026, 6, 29, 23, 0, 1, tzinfo=UTC))
    assert tick(app).timers == 1
    assert get(api, u["id"], owner)["status"] == "unlinked"
    assert api.c.get("/v1/shops/shop1", headers=owner).json()["status"] == "unlinked"
    [blocked, unlinked, _] = unlink_notices(api)
    assert unlinked["data"]["event"] == "unlinked"
    # REF-1: o1 (placed before the cutoff) is open, so the full refund waits; the
    # seller is told what blocks it (the refund itself: tests/api/test_unlink_actions.py).
    assert blocked["data"]["event"] == "refund_blocked" and "open_orders" in blocked["body"]
    assert "returns@falcon.example" in unlinked["body"]
    # A finished request cannot be confirmed again, nor the shop unlinked twice.
    assert api.c.post(confirm, headers=owner).status_code == 409
    assert start(api, owner).status_code == 409  # an unlinked shop is final


def test_unl7_confirm_needs_the_owner_or_an_admin(
    api: Api, owner: dict[str, str], auth: TokenFactory
) -> None:
    u = start(api, owner).json()
    path = f"/v1/unlinks/{u['id']}/confirm"
    assert api.c.post(path, headers=auth("staff", seller="s1")).status_code == 403
    assert api.c.post(path, headers=auth("platform_admin")).status_code == 403
    api.seller("s2")
    assert api.c.post(path, headers=auth("owner", seller="s2")).status_code == 404
    assert (
        api.c.get(f"/v1/unlinks/{u['id']}", headers=auth("owner", seller="s2")).status_code == 404
    )
    assert get(api, u["id"], auth("staff", seller="s1"))["id"] == u["id"]  # staff reads
    assert get(api, u["id"], auth("auditor"))["id"] == u["id"]
    missing = api.c.get("/v1/unlinks/unl_0123456789abcdef0123", headers=owner)
    assert missing.status_code == 404


def test_unl6a_the_waiting_period_runs_from_the_last_order_finished_not_placed(
    api: Api, owner: dict[str, str]
) -> None:
    """UNL-6a: "the waiting period since the last finished order": an order placed on
    1 February and delivered on 20 February starts the 90 days on 20 February; another
    order cancelled later (nothing shipped, nothing a buyer can claim) does not move it."""
    api.events(
        placed("e1", "o1", "2026-02-01T10:00:00Z"),
        placed("e2", "o2", "2026-02-01T11:00:00Z"),
        ev("e3", "order.delivered", "2026-02-20T10:00:00Z", order_id="o1"),
    )
    u = start(api, owner).json()
    assert checks(u)["open_orders"]["records"] == ["o2"]
    waiting = checks(u)["waiting_period"]
    assert waiting["status"] == "blocked"
    assert waiting["clears_at"] == "2026-05-21T10:00:00Z"  # 20 Feb + 90 days
    assert "last finished order" in waiting["message"]
    api.events(ev("e4", "order.cancelled", "2026-02-25T09:00:00Z", order_id="o2"))
    after = checks(get(api, u["id"], owner))
    assert after["open_orders"]["status"] == "ok"
    assert after["waiting_period"]["clears_at"] == "2026-05-21T10:00:00Z"
