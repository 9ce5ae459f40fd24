"""Issue 10 "step-up expiry with the sandbox clock": in sandbox mode
(DEPOSITDESK_SANDBOX=1) a second factor passed at sign-in stops counting for a
sensitive call once `POST /v1/sandbox/clock` has moved time past the pack's
`step_up_minutes` (15 in the gb pack), exactly as real time would. UNL-1."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyotp
from fastapi.testclient import TestClient

EMAIL, PASSWORD = "mei@falcon.example", "copper kettle under a quiet harbour"


def _now(c: TestClient, admin: dict[str, str]) -> datetime:
    return datetime.fromisoformat(c.get("/v1/sandbox/clock", headers=admin).json()["now"])


def _advance(c: TestClient, admin: dict[str, str], duration: str) -> None:
    moved = c.post("/v1/sandbox/clock", headers=admin, json={"advance": duration})
    assert moved.status_code == 200, moved.text


def _login(c: TestClient, **extra: Any) -> dict[str, str]:
    r = c.post("/v1/auth/login", json={"email": EMAIL, "password": PASSWORD, **extra})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_unl1_step_up_expires_when_the_sandbox_clock_moves_past_the_window(
    sandbox: tuple[TestClient, dict[str, str], dict[str, str]],
) -> None:
    c, admin, _ = sandbox
    c.post("/v1/sellers", headers=admin, json={"id": "s1", "name": "S", "email": "s@ex.com"})
    shop = {"id": "shop1", "seller_id": "s1", "name": "S", "market": "gb"}
    assert c.post("/v1/shops", headers=admin, json={**shop, "categories": ["apparel"]}).is_success
    user = {"email": EMAIL, "password": PASSWORD, "role": "owner", "email_verified": True}
    assert c.post("/v1/sellers/s1/users", headers=admin, json=user).status_code == 201
    session = _login(c)
    totp = pyotp.TOTP(c.post("/v1/me/totp", headers=session).json()["secret"])
    verified = c.post("/v1/me/totp/verify", headers=session, json={"code": totp.at(_now(c, admin))})
    assert verified.status_code == 200, verified.text
    _advance(c, admin, "PT1M")  # the next code: a code works once
    stepped = _login(c, totp=totp.at(_now(c, admin)))
    day = (_now(c, admin) + timedelta(days=60)).date().isoformat()
    body = {"unlink_date": day, "support_contact": "returns@falcon.example"}

    _advance(c, admin, "PT16M")  # past the gb pack's 15 minutes
    late = c.post("/v1/shops/shop1/unlink", headers=stepped, json=body)
    assert late.status_code == 403 and late.json()["code"] == "step_up_required"

    fresh = _login(c, totp=totp.at(_now(c, admin)))
    started = c.post("/v1/shops/shop1/unlink", headers=fresh, json=body)
    assert started.status_code == 201, started.text
