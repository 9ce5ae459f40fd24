"""Every role boundary, tried from the wrong side (interface.md "Auth")."""

from __future__ import annotations

import pytest

from tests.builders import placed
from tests.conftest import Api

PAYIN = {"amount": {"amount": "10.00", "currency": "GBP"}, "reference": "R"}


@pytest.fixture
def two_sellers(api: Api) -> Api:
    api.seller("s1")
    api.seller("s2")
    api.shop("mine", "s1")
    api.shop("theirs", "s2")
    return api


@pytest.mark.parametrize(
    "path",
    [
        "/v1/shops/theirs",
        "/v1/shops/theirs/deposit",
        "/v1/shops/theirs/ledger",
        "/v1/shops/theirs/eligibility?kind=full",
        "/v1/notices?shop_id=theirs",
        "/v1/sellers/s2",
    ],
)
def test_seller_cannot_read_another_sellers_shop(two_sellers: Api, path: str) -> None:
    api = two_sellers
    owner = api.auth("owner", seller="s1")
    r = api.c.get(path, headers=owner)
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"
    assert "theirs" not in str(api.c.get("/v1/shops", headers=owner).json())
    assert (
        api.c.get(path.replace("theirs", "mine").replace("s2", "s1"), headers=owner).status_code
        == 200
    )


def test_seller_cannot_change_another_sellers_categories(two_sellers: Api) -> None:
    api = two_sellers
    r = api.c.put(
        "/v1/shops/theirs/categories",
        headers=api.auth("owner", seller="s1"),
        json={"categories": ["jewellery"]},
    )
    assert r.status_code == 404
    assert api.c.get("/v1/shops/theirs", headers=api.admin).json()["categories"] == ["apparel"]


def test_staff_cannot_change_categories_owner_can(two_sellers: Api) -> None:
    api = two_sellers
    body = {"categories": ["home"]}
    r = api.c.put("/v1/shops/mine/categories", headers=api.auth("staff", seller="s1"), json=body)
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    ok = api.c.put("/v1/shops/mine/categories", headers=api.auth("owner", seller="s1"), json=body)
    assert ok.status_code == 200


@pytest.mark.parametrize("role", ["owner", "admin", "staff", "reviewer", "auditor"])
def test_only_integration_and_platform_admin_record_pay_ins(two_sellers: Api, role: str) -> None:
    api = two_sellers
    headers = api.auth(role, seller="s1" if role in ("owner", "admin", "staff") else None)
    r = api.c.post(
        "/v1/shops/mine/deposit/payins", json=PAYIN, headers={**headers, "Idempotency-Key": "k"}
    )
    assert r.status_code == 403
    assert api.deposit("mine")["held"]["amount"] == "0.00"


@pytest.mark.parametrize("role", ["owner", "platform_admin", "reviewer", "auditor"])
def test_only_integration_sends_events(two_sellers: Api, role: str) -> None:
    api = two_sellers
    headers = api.auth(role, seller="s1" if role == "owner" else None)
    r = api.c.post(
        "/v1/events",
        headers=headers,
        json={"events": [placed("e1", "o1", "2026-03-01T10:00:00Z", shop="mine")]},
    )
    assert r.status_code == 403
    codes = [b["code"] for b in api.eligibility("mine")["blockers"]]
    assert "open_orders" not in codes


@pytest.mark.parametrize("role", ["owner", "reviewer", "auditor", "integration"])
def test_only_platform_admin_creates_sellers_shops_and_terminates(
    two_sellers: Api, role: str
) -> None:
    api = two_sellers
    headers = api.auth(role, seller="s1" if role == "owner" else None)
    assert (
        api.c.post(
            "/v1/sellers", headers=headers, json={"name": "x", "email": "x@example.com"}
        ).status_code
        == 403
    )
    assert (
        api.c.post(
            "/v1/shops",
            headers=headers,
            json={"seller_id": "s1", "name": "x", "market": "gb", "categories": ["home"]},
        ).status_code
        == 403
    )
    assert (
        api.c.post("/v1/shops/mine/terminate", headers=headers, json={"reason": "x"}).status_code
        == 403
    )
    assert api.c.get("/v1/shops/mine", headers=api.admin).json()["status"] == "pending_deposit"


def test_no_token_or_a_wrong_token_is_401(api: Api) -> None:
    r = api.c.get("/v1/shops")
    assert r.status_code == 401
    assert r.headers["content-type"] == "application/problem+json"
    assert api.c.get("/v1/shops", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_sandbox_clock_is_404_without_sandbox(api: Api) -> None:
    r = api.c.post("/v1/sandbox/clock", headers=api.admin, json={"advance": "P1D"})
    assert r.status_code == 404
