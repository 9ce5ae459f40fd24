"""Bad input: a problem+json naming the field and the rule, and nothing stored."""

from __future__ import annotations

import pytest

from tests.conftest import Api


@pytest.fixture
def shop(api: Api) -> Api:
    api.seller()
    api.shop()
    return api


def _problem(r, field: str, status: int = 422) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert {"type", "title", "status", "detail", "code"} <= set(body)
    assert field in [e["field"] for e in body.get("errors", [])], body
    return body


def _nothing_moved(api: Api) -> None:
    assert api.deposit("shop1")["held"]["amount"] == "0.00"
    assert api.c.get("/v1/shops/shop1/ledger", headers=api.admin).json()["entries"] == []


def test_malformed_json_is_a_validation_problem(shop: Api) -> None:
    r = shop.c.post(
        "/v1/shops/shop1/deposit/payins",
        content=b'{"amount": ',
        headers={**shop.integration, "Idempotency-Key": "k", "Content-Type": "application/json"},
    )
    body = _problem(r, "body")
    assert body["errors"][0]["rule"] == "json"
    _nothing_moved(shop)


@pytest.mark.parametrize(
    ("amount", "currency", "field", "rule"),
    [
        ("-5.00", "GBP", "amount", "positive"),
        ("5.001", "GBP", "amount.amount", "currency_precision"),
        ("5", "GBP", "amount.amount", "currency_precision"),
        ("5.00", "EUR", "amount.currency", "market_currency"),
        ("five", "GBP", "amount.amount", "decimal_string"),
    ],
)
def test_bad_pay_in_amounts_name_field_and_rule(
    shop: Api, amount: str, currency: str, field: str, rule: str
) -> None:
    r = shop.pay_in("shop1", amount, currency)
    body = _problem(r, field)
    assert body["code"] == "validation_error"
    assert body["errors"][0]["rule"] == rule
    _nothing_moved(shop)


def test_amount_as_a_json_number_is_refused(shop: Api) -> None:
    r = shop.c.post(
        "/v1/shops/shop1/deposit/payins",
        headers={**shop.integration, "Idempotency-Key": "k"},
        json={"amount": {"amount": 5.5, "currency": "GBP"}, "reference": "R"},
    )
    _problem(r, "amount.amount")
    _nothing_moved(shop)


def test_pay_in_to_unknown_shop_is_404(shop: Api) -> None:
    r = shop.pay_in("nope", "10.00")
    assert r.status_code == 404
    assert r.json()["code"] == "not_found"


def test_unknown_fields_are_refused(shop: Api) -> None:
    r = shop.c.post(
        "/v1/sellers",
        headers=shop.admin,
        json={"name": "x", "email": "x@example.com", "emial": "typo"},
    )
    _problem(r, "emial")


def test_shop_with_unknown_category_and_market(shop: Api) -> None:
    r = shop.c.post(
        "/v1/shops",
        headers=shop.admin,
        json={
            "id": "s2",
            "seller_id": "s1",
            "name": "n",
            "market": "gb",
            "categories": ["apparel", "rockets"],
        },
    )
    body = _problem(r, "categories[1]")
    assert body["errors"][0]["rule"] == "known_category"
    r = shop.c.post(
        "/v1/shops",
        headers=shop.admin,
        json={"id": "s2", "seller_id": "s1", "name": "n", "market": "mars", "categories": ["home"]},
    )
    _problem(r, "market")
    assert shop.c.get("/v1/shops/s2", headers=shop.admin).status_code == 404


def test_bad_marketplace_id_is_refused(shop: Api) -> None:
    r = shop.c.post(
        "/v1/sellers",
        headers=shop.admin,
        json={"id": "has space", "name": "x", "email": "x@example.com"},
    )
    assert _problem(r, "id")["errors"][0]["rule"] == "marketplace_id"


def test_events_body_must_be_a_list(shop: Api) -> None:
    r = shop.c.post("/v1/events", headers=shop.integration, json={"events": "nope"})
    _problem(r, "events")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"kind": "partial"}, "kind"),
        # kind=difference alone is the requirement a policy lowered (REF-2); stopping
        # nothing is not a question.
        ({"kind": "difference", "what_if": "stop"}, "category"),
        ({"kind": "difference", "category": "rockets"}, "category"),
        ({"kind": "full", "category": "home"}, "category"),
        ({"kind": "difference", "category": "home", "what_if": "start"}, "what_if"),
    ],
)
def test_eligibility_query_validation(shop: Api, params: dict, field: str) -> None:
    r = shop.c.get("/v1/shops/shop1/eligibility", headers=shop.admin, params=params)
    _problem(r, field)


def test_list_limit_out_of_range(shop: Api) -> None:
    _problem(shop.c.get("/v1/shops", headers=shop.admin, params={"limit": 501}), "limit")
