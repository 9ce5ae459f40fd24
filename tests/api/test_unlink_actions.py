"""The unlink's actions, cutoff, unlink and final refund through the API (issue 11):
UNL-2 (proceeds withdrawn, tax summary), UNL-3 (unfulfillable orders cancelled and
refunded), UNL-6 (customers told once), UNL-7/7a (cutoff, unlinked, hidden), UNL-8
(verification), UNL-9 (escalation), REF-1 (the full refund applied for by
depositdesk once nothing blocks it). SQLite and PostgreSQL, the sandbox bank.

The gb pack: closure notice 30 days, waiting 90 days after the last order, cutoff 3
days before the date, apparel's after-sales period 30 days."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from depositdesk.adapters.db.tables import customer_notices, journal_entries, outbox
from depositdesk.bootstrap import App
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.api.app import create_app
from depositdesk.entrypoints.worker import tick
from depositdesk.services import unlinks as unlink_service
from depositdesk.services.unlink_actions import RESEND_AFTER
from tests.builders import ev
from tests.conftest import Api, TokenFactory

DATE = "2026-06-30"  # cutoff 2026-06-26T23:00Z, unlinked from 2026-06-29T23:00Z
T0 = "2026-03-01T10:00:00Z"  # the orders (START is 2026-03-02T09:00Z)


def order(eid: str, oid: str, email: str, at: str = T0, amount: str = "20.00") -> dict[str, Any]:
    return ev(
        eid,
        "order.placed",
        at,
        order_id=oid,
        category="apparel",
        amount=amount,
        currency="GBP",
        customer_id=f"cust-{email.split('@')[0]}",
        customer_email=email,
        tax=f"{int(amount.split('.')[0]) // 5}.00",
    )


def checks(unlink: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["code"]: c for area in unlink["checklist"].values() for c in area["checks"]}


class Shop:
    """A shop with every kind of blocker: open orders (one unshipped, one shipped),
    an open dispute, an unpaid fine, a running campaign and 300.00 of proceeds."""

    def __init__(self, app: App, api: Api, auth: TokenFactory, clock: FixedClock) -> None:
        self.app, self.api, self.clock = app, api, clock
        api.seller()
        api.shop()
        assert api.pay_in("shop1", "1000.00").status_code == 201
        self.owner = auth("owner", seller="s1")
        self.auth = auth
        api.events(
            order("e1", "o1", "ann@example.com"),
            order("e2", "o2", "bob@example.com", amount="50.00"),
            ev("e3", "order.shipped", T0, order_id="o2"),
            ev("e4", "dispute.opened", T0, dispute_id="d1", order_id="o2"),
            ev("e5", "fine.issued", T0, fine_id="f1", amount="50.00", currency="GBP", reason="x"),
            ev("e6", "campaign.started", T0, campaign_id="spring"),
            ev("e7", "proceeds.available", T0, amount="300.00", currency="GBP"),
        )
        r = api.c.post(
            "/v1/shops/shop1/unlink",
            headers=self.owner,
            json={"unlink_date": DATE, "support_contact": "returns@falcon.example"},
        )
        assert r.status_code == 201, r.text
        self.id = r.json()["id"]

    def get(self) -> dict[str, Any]:
        r = self.api.c.get(f"/v1/unlinks/{self.id}", headers=self.owner)
        assert r.status_code == 200, r.text
        return r.json()

    def check(self, code: str) -> dict[str, Any]:
        return checks(self.get())[code]

    def action(self, name: str, **kw: Any) -> Any:
        headers = kw.pop("headers", self.owner)
        return self.api.c.post(f"/v1/unlinks/{self.id}/actions/{name}", headers=headers, **kw)


# -- each blocker and what clears it ----------------------------------------------------


def cancel_orders(s: Shop) -> None:
    """UNL-3: the unshipped order is cancelled and refunded in full; the shipped one
    stays open until delivered."""
    assert s.check("open_orders")["count"] >= 1
    r = s.action("cancel-unfulfillable-orders", json={"discount_code": "SORRY10"})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["changed"] is True and out["result"]["cancelled"] == ["o1"]
    assert out["result"]["refunded"] == "20.00 GBP"
    assert "o1" not in checks(out["unlink"])["open_orders"]["records"]
    again = s.action("cancel-unfulfillable-orders", json={"discount_code": "SORRY10"})
    assert again.status_code == 200 and again.json()["changed"] is False
    ledger = s.api.c.get("/v1/shops/shop1/ledger", headers=s.owner).json()["entries"]
    refunds = [e for e in ledger if e["kind"] == "order_refund"]
    assert len(refunds) == 1  # once, however often it is asked
    assert sum(int(p["amount"]["amount"].replace(".", "")) for p in refunds[0]["postings"]) == 0


def withdraw(s: Shop) -> None:
    """UNL-2: the available proceeds are paid out once through the payout gateway."""
    assert s.check("proceeds_withdrawn")["status"] == "action_needed"
    r = s.action("withdraw-proceeds")
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["changed"] is True and out["result"]["status"] == "sent"
    assert out["result"]["bank_reference"]
    assert checks(out["unlink"])["proceeds_withdrawn"]["status"] == "ok"
    again = s.action("withdraw-proceeds")
    assert again.status_code == 200 and again.json()["changed"] is False
    bank = s.app.gateways.payouts
    assert len(bank.payments("shop1")) == 1  # type: ignore[attr-defined]


def tax(s: Shop) -> None:
    """UNL-2: sales and tax per month, as CSV and JSON; the check clears."""
    assert s.check("tax_summary")["status"] == "action_needed"
    r = s.action("tax-summary", params={"format": "csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["month"] for row in rows] == ["2026-03"]
    assert rows[0]["currency"] == "GBP"
    as_json = s.action("tax-summary").json()
    assert as_json["changed"] is False  # produced already
    [month] = as_json["tax_summary"]
    assert month["month"] == "2026-03"
    assert int(month["orders"]) + int(month["cancelled"]) == 2
    assert checks(as_json["unlink"])["tax_summary"]["status"] == "ok"


def notify(s: Shop) -> None:
    """UNL-6: one email per customer of the last 30 days, even when retried."""
    pending = s.check("customers_notified")
    assert pending["status"] == "action_needed" and pending["count"] == 2
    r = s.action("notify-customers")
    assert r.status_code == 200, r.text
    assert r.json()["result"]["notified"] == 2
    assert checks(r.json()["unlink"])["customers_notified"]["status"] == "ok"
    again = s.action("notify-customers", headers={**s.owner, "Idempotency-Key": "n-1"})
    assert again.json()["changed"] is False and again.json()["result"]["notified"] == 0
    with s.app.engine.connect() as conn:
        mails = conn.execute(
            select(func.count()).where(outbox.c.topic == "unlink.customer_notice")
        ).scalar_one()
    assert mails == 2


def events(s: Shop) -> None:
    """UNL-3, UNL-5, UNL-6a: the dispute resolved, the fine paid, the campaign
    stopped, the shipped order delivered: each check clears with its event."""
    assert s.check("open_disputes")["status"] == "blocked"
    assert s.check("unpaid_fines")["status"] == "blocked"
    assert s.check("campaigns_stopped")["status"] == "action_needed"
    t = "2026-03-02T08:00:00Z"
    s.api.events(
        ev("x1", "dispute.resolved", t, dispute_id="d1", order_id="o2"),
        ev("x2", "fine.paid", t, fine_id="f1"),
        ev("x3", "campaign.stopped", t, campaign_id="spring"),
        ev("x4", "order.delivered", t, order_id="o2"),
    )
    got = checks(s.get())
    for code in ("open_disputes", "unpaid_fines", "campaigns_stopped"):
        assert got[code]["status"] == "ok", code
    assert "o2" not in got["open_orders"]["records"]


STEPS: dict[str, Callable[[Shop], None]] = {
    "cancel": cancel_orders,
    "withdraw": withdraw,
    "tax": tax,
    "notify": notify,
    "events": events,
}


@pytest.mark.parametrize(
    "order_of_steps",
    [
        ("events", "cancel", "withdraw", "tax", "notify"),
        ("withdraw", "cancel", "notify", "events", "tax"),
        ("notify", "tax", "events", "withdraw", "cancel"),
    ],
)
def test_unl2_unl8_the_whole_unlink_from_start_to_the_deposit_refund(
    journey: tuple[App, Api, TokenFactory],
    clock: FixedClock,
    order_of_steps: tuple[str, ...],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app, api, auth = journey
    s = Shop(app, api, auth, clock)
    for step in order_of_steps:
        STEPS[step](s)
    # A refund to a customer that the proceeds could not cover (withdrawn first) is
    # owed by the seller: it blocks until paid in (DEP-8).
    receivable = s.check("receivable")
    if receivable["status"] != "ok":
        assert "20.00" in receivable["message"]
        [topup] = [n for n in api.deposit("shop1")["notices"] if n["kind"] == "topup"]
        assert "refunded to customers of cancelled orders" in topup["body"]
        assert api.pay_in("shop1", "20.00").status_code == 201
    assert s.check("receivable")["status"] == "ok"
    # UNL-4: the archive is queued, built by the worker, and the check clears.
    arch = s.action("archive", json={"anonymize_customers": True})
    assert arch.status_code == 200, arch.text
    assert arch.json()["changed"] is True and arch.json()["result"]["status"] == "queued"
    assert s.check("archive")["status"] == "action_needed"
    again = s.action("archive", json={"anonymize_customers": True})
    assert again.json()["changed"] is False  # one is queued: nothing more starts
    for _ in range(5):
        tick(app)
        if s.check("archive")["status"] == "ok":
            break
    assert s.check("archive")["status"] == "ok"
    assert s.action("archive").json()["changed"] is False  # a ready one is there
    # UNL-6a: the closure notice, the agreement, and time.
    assert api.c.post("/v1/shops/shop1/closure-notice", headers=s.owner).status_code == 200
    agreed = api.c.post(f"/v1/unlinks/{s.id}/agreement", headers=s.owner, json={"version": "v1"})
    assert agreed.status_code == 200
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    confirmed = api.c.post(f"/v1/unlinks/{s.id}/confirm", headers=s.owner)
    assert confirmed.status_code == 200, confirmed.json().get("checks")
    assert confirmed.json()["status"] == "scheduled"

    # UNL-7: an order before the cutoff is taken, one after it refused.
    clock.set(datetime(2026, 6, 27, 9, 0, tzinfo=UTC))
    got = api.events(
        order("late1", "o5", "cy@example.com", at="2026-06-20T10:00:00Z"),
        order("late2", "o6", "dee@example.com", at="2026-06-27T08:00:00Z"),
    )
    assert [r["reason"] for r in got["rejected"]] == ["shop_closed_for_orders"]

    # The date: unlinked, hidden from the seller's shops, readable by id (UNL-7a).
    clock.set(datetime(2026, 6, 29, 23, 0, 1, tzinfo=UTC))
    tick(app)
    assert s.get()["status"] == "unlinked"
    mine = api.c.get("/v1/shops", headers=s.owner).json()["items"]
    assert "shop1" not in [x["id"] for x in mine]
    assert api.c.get("/v1/shops/shop1", headers=s.owner).json()["status"] == "unlinked"
    # UNL-8: one call shows all three.
    v = api.c.get("/v1/shops/shop1/unlink/verification", headers=s.owner).json()
    assert v["ok"] is True and v["shop_hidden"] and v["no_transactions_after_cutoff"]
    assert v["confirmation_sent"] and v["confirmation_notice_id"]
    # REF-1: o5 is open, so the seller is told what blocks the refund.
    notices = [n for n in api.deposit("shop1")["notices"] if n["kind"] == "unlink"]
    assert notices[0]["data"]["event"] == "refund_blocked" and "open_orders" in notices[0]["body"]
    assert v["refund_id"] is None
    # Returns and deliveries of earlier orders are still taken after the date.
    api.events(ev("late3", "order.delivered", "2026-06-30T10:00:00Z", order_id="o5"))
    assert s.get()["refund_id"] is None  # the after-sales period of o5 runs to 07-30
    clock.set(datetime(2026, 7, 1, 0, 0, tzinfo=UTC))
    tick(app)  # the retry: blocked until the after-sales period ends
    blocked = next(n for n in api.deposit("shop1")["notices"] if n["kind"] == "unlink")
    assert blocked["data"]["event"] == "refund_blocked" and "2026-07-30" in blocked["body"]
    clock.set(datetime(2026, 7, 30, 10, 0, 1, tzinfo=UTC))
    tick(app)
    refund_id = s.get()["refund_id"]
    assert refund_id is not None
    refund = api.c.get(f"/v1/refunds/{refund_id}", headers=s.owner).json()
    assert refund["kind"] == "full" and refund["amount"]["amount"] == "1000.00"
    assert refund["status"] == "submitted"
    approved = api.c.post(
        f"/v1/refunds/{refund_id}/decision",
        headers=auth("reviewer"),
        json={"decision": "approve"},
    )
    assert approved.status_code == 200, approved.text
    assert tick(app).payouts == 1  # under way to the bank


# -- bad input -----------------------------------------------------------------------------


def test_unl3_bad_action_requests_change_nothing(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock
) -> None:
    app, api, auth = journey
    s = Shop(app, api, auth, clock)
    before = s.get()
    unknown = s.action("launch-rockets")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_action"
    api.seller("s2")
    other = api.c.post(
        f"/v1/unlinks/{s.id}/actions/withdraw-proceeds", headers=auth("owner", seller="s2")
    )
    assert other.status_code == 404
    staff = api.c.post(
        f"/v1/unlinks/{s.id}/actions/withdraw-proceeds", headers=auth("staff", seller="s1")
    )
    assert staff.status_code == 403
    code_elsewhere = s.action("withdraw-proceeds", json={"discount_code": "X"})
    assert code_elsewhere.status_code == 422
    long_code = s.action("cancel-unfulfillable-orders", json={"discount_code": "x" * 65})
    assert long_code.status_code == 422
    archive = s.action("archive")
    assert archive.status_code < 500
    assert checks(s.get()) == checks(before)
    # Idempotency-Key: the same key replays; changed nothing more.
    k = {**s.owner, "Idempotency-Key": "cancel-1"}
    first = api.c.post(f"/v1/unlinks/{s.id}/actions/cancel-unfulfillable-orders", headers=k)
    replay = api.c.post(f"/v1/unlinks/{s.id}/actions/cancel-unfulfillable-orders", headers=k)
    assert first.json()["changed"] is True and replay.json()["changed"] is False
    assert replay.json()["result"] == first.json()["result"]
    # Cancelled: no action runs any more; cancelling again answers the same.
    cancelled = api.c.post(f"/v1/unlinks/{s.id}/cancel", headers=s.owner)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert api.c.post(f"/v1/unlinks/{s.id}/cancel", headers=s.owner).status_code == 200
    late = s.action("notify-customers")
    assert late.status_code == 409 and late.json()["code"] == "unlink_not_active"


def _ready_unlink(s: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    for step in ("events", "cancel", "withdraw", "tax", "notify"):
        STEPS[step](s)
    monkeypatch.setattr(unlink_service, "archive_ready", lambda uow, shop_id: True)
    assert s.api.c.post("/v1/shops/shop1/closure-notice", headers=s.owner).status_code == 200
    s.api.c.post(f"/v1/unlinks/{s.id}/agreement", headers=s.owner, json={"version": "v1"})
    s.clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    r = s.api.c.post(f"/v1/unlinks/{s.id}/confirm", headers=s.owner)
    assert r.status_code == 200, r.text


def test_unl7_cancel_before_the_date_lifts_the_cutoff_and_after_it_nothing_runs(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, api, auth = journey
    s = Shop(app, api, auth, clock)
    _ready_unlink(s, monkeypatch)
    assert api.c.get("/v1/shops/shop1", headers=s.owner).json()["status"] == "closing"
    r = api.c.post(f"/v1/unlinks/{s.id}/cancel", headers=s.owner)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    shop = api.c.get("/v1/shops/shop1", headers=s.owner).json()
    assert shop["status"] == "active" and shop["orders_cutoff_at"] is None
    clock.set(datetime(2026, 6, 28, 9, 0, tzinfo=UTC))
    took = api.events(order("after", "o9", "eve@example.com", at="2026-06-28T08:00:00Z"))
    assert took["accepted"] == 1  # the old cutoff no longer holds
    clock.set(datetime(2026, 6, 30, 9, 0, tzinfo=UTC))
    tick(app)  # the unlink timer was cancelled
    assert api.c.get("/v1/shops/shop1", headers=s.owner).json()["status"] == "active"
    notices = [n["data"]["event"] for n in api.deposit("shop1")["notices"] if n["kind"] == "unlink"]
    assert notices[0] == "cancelled"


def test_unl7_after_unlinking_no_action_runs_nor_a_cancel(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, api, auth = journey
    s = Shop(app, api, auth, clock)
    _ready_unlink(s, monkeypatch)
    clock.set(datetime(2026, 6, 29, 23, 0, 1, tzinfo=UTC))
    tick(app)
    assert s.get()["status"] == "unlinked"
    for name in ("withdraw-proceeds", "notify-customers", "tax-summary"):
        r = s.action(name)
        assert r.status_code == 409 and r.json()["code"] == "unlink_not_active", name
    late = api.c.post(f"/v1/unlinks/{s.id}/cancel", headers=s.owner)
    assert late.status_code == 409
    # UNL-7: returns of earlier orders are still taken; new orders are not.
    got = api.events(
        ev("ret1", "after_sales.opened", "2026-06-30T08:00:00Z", case_id="r1", order_id="o2"),
        order("new1", "o10", "fay@example.com", at="2026-06-30T08:00:00Z"),
    )
    assert got["accepted"] == 1
    assert [r["reason"] for r in got["rejected"]] == ["shop_closed_for_orders"]
    # Nothing blocks: the full refund was applied for at the date (REF-1).
    refund_id = s.get()["refund_id"]
    assert refund_id is not None
    assert api.c.get(f"/v1/refunds/{refund_id}", headers=s.owner).json()["status"] == "submitted"


def test_unl9_escalation_bundles_errors_checklist_and_audit_trail_for_reviewers(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock
) -> None:
    app, api, auth = journey
    s = Shop(app, api, auth, clock)
    s.action("launch-rockets")  # an error the seller saw
    path = f"/v1/unlinks/{s.id}/escalate"
    assert (
        api.c.post(path, headers=auth("staff", seller="s1"), json={"message": "x"}).status_code
        == 403
    )
    assert api.c.post(path, headers=s.owner, json={"message": ""}).status_code == 422
    r = api.c.post(path, headers=s.owner, json={"message": "The dispute will not close."})
    assert r.status_code == 201, r.text
    esc = r.json()
    bundle = esc["bundle"]
    assert {e["code"] for e in bundle["errors"] if e["kind"] == "check"} >= {
        "open_disputes",
        "unpaid_fines",
    }
    assert len(bundle["checklist"]) == 24
    assert any("request_unlink" in a["action"] for a in bundle["audit_trail"])
    reviewer = auth("reviewer")
    queue = api.c.get("/v1/unlinks", headers=reviewer, params={"status": "escalated"})
    assert queue.status_code == 200
    [item] = queue.json()["items"]
    assert item["id"] == s.id and item["escalated_at"] is not None
    default = api.c.get("/v1/unlinks", headers=reviewer).json()["items"]
    assert [u["id"] for u in default] == [s.id]
    api.seller("s2")
    assert api.c.get("/v1/unlinks", headers=auth("owner", seller="s2")).json()["items"] == []
    bad = api.c.get("/v1/unlinks", headers=reviewer, params={"status": "sleeping"})
    assert bad.status_code == 422


def test_unl2_withdraw_proceeds_twice_in_parallel_pays_once(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock, engine: Engine
) -> None:
    app, api, auth = journey
    s = Shop(app, api, auth, clock)
    path = f"/v1/unlinks/{s.id}/actions/withdraw-proceeds"

    clients = [TestClient(create_app(app)) for _ in range(2)]
    staff = auth("staff", seller="s1")
    for c in clients:
        c.__enter__()
        # Warm each app up first (FastAPI and pydantic build some of a route's parts on
        # first use, which two threads must not do at once): a refused call of the path.
        assert c.get("/openapi.json").status_code == 200
        assert c.post(path, headers=staff).status_code == 403

    def call(n: int) -> Any:
        return clients[n].post(path, headers={**s.owner, "Idempotency-Key": f"w-{n}"})

    try:
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(call, [0, 1]))
    finally:
        for c in clients:
            c.__exit__(None, None, None)
    codes = sorted(r.status_code for r in results)
    assert all(c in (200, 409) for c in codes), [r.text for r in results]
    assert [r.json()["changed"] for r in results if r.status_code == 200].count(True) == 1
    bank = app.gateways.payouts
    assert len(bank.payments("shop1")) == 1  # type: ignore[attr-defined]
    with engine.connect() as conn:
        n = conn.execute(
            select(func.count()).where(journal_entries.c.kind == "proceeds_withdrawal")
        ).scalar_one()
        told = conn.execute(select(func.count()).select_from(customer_notices)).scalar_one()
    assert n == 1 and told == 0
    assert s.check("proceeds_withdrawn")["status"] == "ok"


class _DownOnce:
    """The sandbox bank, down for its first call."""

    def __init__(self, bank: Any) -> None:
        self.bank, self.calls = bank, 0

    def send(self, instruction: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("bank unreachable")
        return self.bank.send(instruction)


def test_unl2_a_withdrawal_the_bank_did_not_take_is_sent_again_by_the_worker_once(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock
) -> None:
    """UNL-2: the bank is down when the seller withdraws: the proceeds have left the
    ledger, the run stays `sending` with the error, and the worker sends the same
    payout key again once RESEND_AFTER has passed; it is paid once, whatever the
    rounds after."""
    app, api, auth = journey
    s = Shop(app, api, auth, clock)
    bank = app.gateways.payouts
    down = _DownOnce(bank)
    object.__setattr__(app.gateways, "payouts", down)  # the worker and the API share it
    try:
        r = s.action("withdraw-proceeds")
        assert r.status_code == 200, r.text
        result = r.json()["result"]
        assert result["status"] == "sending" and "bank unreachable" in result["error"]
        pending = s.check("proceeds_withdrawn")
        assert (
            pending["status"] == "action_needed"
            and "has not reached the bank" in pending["message"]
        )
        assert tick(app).payouts == 0  # not yet: RESEND_AFTER since it failed
        clock.advance(RESEND_AFTER + timedelta(seconds=1))
        assert tick(app).payouts == 1
        assert tick(app).payouts == 0
    finally:
        object.__setattr__(app.gateways, "payouts", bank)
    paid = bank.payments("shop1")
    assert len(paid) == 1 and str(paid[0].instruction.amount) == "300.00 GBP"
    assert down.calls == 2
    assert s.check("proceeds_withdrawn")["status"] == "ok"
    run = s.action("withdraw-proceeds").json()
    assert run["changed"] is False
