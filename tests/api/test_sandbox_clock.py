"""The sandbox clock (DEPOSITDESK_SANDBOX=1): eligibility follows the moved clock."""

from __future__ import annotations

from tests.builders import ev, placed


def test_sandbox_clock_moves_forward_and_eligibility_follows(sandbox) -> None:
    from datetime import datetime, timedelta

    c, admin, integ = sandbox
    now = datetime.fromisoformat(c.get("/v1/sandbox/clock", headers=admin).json()["now"])
    c.post("/v1/sellers", headers=admin, json={"id": "s1", "name": "S", "email": "s@ex.com"})
    c.post(
        "/v1/shops",
        headers=admin,
        json={
            "id": "shop1",
            "seller_id": "s1",
            "name": "S",
            "market": "gb",
            "categories": ["apparel"],
        },
    )
    c.post(
        "/v1/shops/shop1/deposit/payins",
        headers={**admin, "Idempotency-Key": "k"},
        json={"amount": {"amount": "1000.00", "currency": "GBP"}, "reference": "R"},
    )
    c.post("/v1/shops/shop1/terminate", headers=admin, json={"reason": "ended"})
    delivered = (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    placed_at = (now - timedelta(days=3)).isoformat().replace("+00:00", "Z")
    r = c.post(
        "/v1/events",
        headers=integ,
        json={
            "events": [
                placed("e1", "o1", placed_at),
                ev("e2", "order.delivered", delivered, order_id="o1"),
            ]
        },
    )
    assert r.json()["accepted"] == 2
    elig = c.get("/v1/shops/shop1/eligibility", headers=admin).json()
    assert [b["code"] for b in elig["blockers"]] == ["after_sales_period"]
    clears = datetime.fromisoformat(elig["earliest_at"])

    moved = c.post("/v1/sandbox/clock", headers=admin, json={"advance": "P60D"})
    assert moved.status_code == 200
    assert datetime.fromisoformat(moved.json()["now"]) > clears
    elig = c.get("/v1/shops/shop1/eligibility", headers=admin).json()
    assert elig["eligible"] is True

    back = c.post("/v1/sandbox/clock", headers=admin, json={"now": now.isoformat()})
    assert back.status_code == 422
    assert back.json()["errors"][0]["rule"] == "forward_only"
    assert c.post("/v1/sandbox/clock", headers=integ, json={"advance": "P1D"}).status_code == 403
