"""UNL-1 (issue 10 "Security signals"): a security signal that arrives after an unlink
request was made (or after a reviewer cleared it) holds the next sensitive step —
confirming the unlink, withdrawing the proceeds — for manual review instead of letting
it go ahead. The seller sees why; a reviewer clears it; the step then goes ahead.
SQLite and PostgreSQL. The gb pack: signals count for 7 days."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from depositdesk.adapters.db.tables import security_signals
from depositdesk.bootstrap import App
from depositdesk.domain.clock import FixedClock
from tests.api.test_unlink_actions import Shop, checks
from tests.conftest import Api, TokenFactory

_ids = itertools.count()


def signal(engine: Engine, kind: str, at: datetime, detail: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(security_signals).values(
                id=f"sig_test_{next(_ids)}",
                seller_id="s1",
                shop_id=None,
                kind=kind,
                source=f"test:{kind}",
                detail=detail,
                at=at,
            )
        )


def clear(api: Api, auth: TokenFactory, unlink_id: str) -> dict[str, Any]:
    r = api.c.post(
        f"/v1/unlinks/{unlink_id}/review",
        headers=auth("reviewer"),
        json={"decision": "clear", "message": "called the owner back"},
    )
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_unl1_a_new_signal_holds_the_proceeds_withdrawal_until_a_reviewer_clears_it(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock, engine: Engine
) -> None:
    app, api, auth = journey  # with the sandbox bank
    s = Shop(app, api, auth, clock)
    assert s.get()["status"] == "preparing"  # no signal when it was asked for
    clock.advance(timedelta(hours=1))
    signal(engine, "payout_account_changed", clock.now(), "refund ref_9 to another account")
    held = s.action("withdraw-proceeds")
    assert held.status_code == 200, held.text
    out = held.json()
    assert out["changed"] is False and out["result"]["status"] == "held"
    assert out["unlink"]["status"] == "manual_review"
    assert out["unlink"]["held_reasons"] == [
        "payout_account_changed: refund ref_9 to another account"
    ]
    assert checks(out["unlink"])["security_review"]["status"] == "blocked"
    assert checks(out["unlink"])["proceeds_withdrawn"]["status"] == "action_needed"
    assert app.gateways.payouts.payments("shop1") == []  # type: ignore[attr-defined]
    # The seller is told why (an unlink notice).
    notices = [n for n in api.deposit("shop1")["notices"] if n["kind"] == "unlink"]
    assert notices[0]["data"]["event"] == "held" and "payout_account_changed" in notices[0]["body"]
    # While it is held, no action runs.
    again = s.action("withdraw-proceeds")
    assert again.status_code == 409 and again.json()["code"] == "unlink_not_active"
    assert clear(api, auth, s.id)["status"] == "preparing"
    # Cleared: the signal the reviewer saw holds nothing any more.
    paid = s.action("withdraw-proceeds").json()
    assert paid["changed"] is True and paid["result"]["status"] == "sent"
    assert len(app.gateways.payouts.payments("shop1")) == 1  # type: ignore[attr-defined]


def test_unl1_a_new_signal_holds_the_confirmation_and_the_shop_stays_open(
    api: Api, auth: TokenFactory, clock: FixedClock, engine: Engine
) -> None:
    api.seller()
    api.shop()
    assert api.pay_in("shop1", "1000.00").status_code == 201
    owner = auth("owner", seller="s1")
    body = {"unlink_date": "2026-06-30", "support_contact": "returns@falcon.example"}
    u = api.c.post("/v1/shops/shop1/unlink", headers=owner, json=body).json()
    assert u["status"] == "preparing"
    assert api.c.post("/v1/shops/shop1/closure-notice", headers=owner).status_code == 200
    agreed = api.c.post(f"/v1/unlinks/{u['id']}/agreement", headers=owner, json={"version": "v3"})
    assert agreed.status_code == 200
    clock.advance(timedelta(days=30))
    signal(engine, "new_device", clock.now() - timedelta(hours=2), "signed in from a new phone")
    confirm = f"/v1/unlinks/{u['id']}/confirm"
    held = api.c.post(confirm, headers=owner)
    assert held.status_code == 200, held.text
    assert held.json()["status"] == "manual_review"
    assert held.json()["held_reasons"] == ["new_device: signed in from a new phone"]
    shop = api.c.get("/v1/shops/shop1", headers=owner).json()
    assert shop["status"] != "closing" and shop.get("orders_cutoff_at") is None
    # A signal older than the policy's window would not have held it; this one did
    # until a reviewer looked at it.
    assert clear(api, auth, u["id"])["status"] == "preparing"
    done = api.c.post(confirm, headers=owner)
    assert done.status_code == 200 and done.json()["status"] == "scheduled"
    assert api.c.get("/v1/shops/shop1", headers=owner).json()["status"] == "closing"
