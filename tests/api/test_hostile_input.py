"""Hostile input: every request that used to crash or store nonsense now gets a clear
problem+json (or, for events, a rejection with its index) and changes nothing.
Each test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest
from structlog.testing import capture_logs

from depositdesk.bootstrap import App
from depositdesk.services import policies
from depositdesk.services.usecase import read, run
from tests.builders import ev, placed
from tests.conftest import ADMIN, Api

NOW = "2026-03-02T08:00:00Z"  # an hour before the fixed clock
HUGE = "999999999999999999.99"
JSON = {"content-type": "application/json"}


@pytest.fixture
def shop(api: Api) -> Api:
    api.seller()
    api.shop(market="us", categories=["apparel"])
    assert api.pay_in("shop1", "500.00", "USD").status_code == 201
    return api


def _ledger(api: Api, shop_id: str = "shop1") -> dict[str, Any]:
    r = api.c.get(f"/v1/shops/{shop_id}/ledger", headers=api.admin)
    assert r.status_code == 200, r.text
    return r.json()


def _untouched(api: Api) -> None:
    """The shop still answers, and holds exactly the one pay-in of the fixture."""
    ledger = _ledger(api)
    assert [e["kind"] for e in ledger["entries"]] == ["payin"]
    assert api.deposit("shop1")["held"] == {"amount": "500.00", "currency": "USD"}
    assert api.eligibility("shop1")["blockers"]


def _problem(r: Any, status: int = 422) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == "application/problem+json"
    return r.json()


def _raw_events(api: Api, *events: bytes) -> dict[str, Any]:
    body = b'{"events": [' + b",".join(events) + b"]}"
    r = api.c.post("/v1/events", headers={**api.integration, **JSON}, content=body)
    assert r.status_code == 200, r.text
    return r.json()


def _event_bytes(event_id: str, data: bytes, type_: str = "order.shipped") -> bytes:
    head = {"id": event_id, "type": type_, "shop_id": "shop1", "occurred_at": NOW}
    return json.dumps(head).encode()[:-1] + b', "data": ' + data + b"}"


# -- money: no amount or balance can break a shop ------------------------------------


def test_dep2_an_amount_past_the_market_maximum_is_refused_as_pay_in(shop: Api) -> None:
    r = shop.pay_in("shop1", HUGE, "USD")
    body = _problem(r)
    assert body["errors"][0] == {
        "field": "amount.amount",
        "rule": "max_amount",
        "message": "a single amount in this market is at most 1000000000000.00 USD",
    }
    _untouched(shop)


def test_dep8_a_huge_loss_or_proceeds_event_is_rejected_and_the_rest_taken(shop: Api) -> None:
    result = shop.events(
        ev("p", "proceeds.available", NOW, amount=HUGE, currency="USD"),
        ev(
            "v",
            "violation.recorded",
            NOW,
            violation_id="v1",
            type="fake",
            consumer_loss=HUGE,
            currency="USD",
        ),
        placed("ok", "o1", NOW, currency="USD"),
    )
    assert result["accepted"] == 1
    assert [(r["index"], r["reason"], r["field"]) for r in result["rejected"]] == [
        (0, "out_of_range", "data.amount"),
        (1, "out_of_range", "data.consumer_loss"),
    ]
    _untouched(shop)


def test_dep3_no_balance_can_pass_its_bound_and_the_shop_keeps_working(shop: Api, app: App) -> None:
    """With the market's maximum at 10^13 dollars, 100 proceeds of that size reach the
    balance bound (10^17 cents); the next is rejected and the shop still answers."""
    text = read(app, policies.export, ADMIN, app.clock.now(), "us")
    text = text.replace("version = 1", "version = 2").replace(
        'currency = "USD"', 'currency = "USD"\nmax_amount = "10000000000000.00"'
    )
    run(app, policies.load_version, ADMIN, app.clock.now(), document=text)
    big = "10000000000000.00"
    batch = [ev(f"p{i}", "proceeds.available", NOW, amount=big, currency="USD") for i in range(101)]
    result = shop.events(*batch)
    assert result["accepted"] < 101
    assert {r["reason"] for r in result["rejected"]} == {"out_of_range"}
    ledger = _ledger(shop)
    assert int(ledger["balances"]["cash"]["amount"].replace(".", "")) <= 10**17
    assert shop.deposit("shop1")["held"]["amount"] == "500.00"
    again = shop.pay_in("shop1", big, "USD")
    assert _problem(again)["errors"][0]["rule"] == "balance_limit"


# -- event data that used to crash a whole chunk ---------------------------------------


def test_evt1_bad_data_rejects_only_its_own_event(shop: Api) -> None:
    result = _raw_events(
        shop,
        _event_bytes("big-int", b'{"order_id": "o1", "n": 123456789012345678901234567890}'),
        _event_bytes("deep", b'{"order_id": "o1", "n": ' + b"[" * 300 + b"]" * 300 + b"}"),
        _event_bytes("nan", b'{"order_id": "o1", "n": NaN}'),
        _event_bytes("surrogate", b'{"order_id": "o1", "note": "\\ud800"}'),
        _event_bytes("dup", b'{"order_id": "o1", "order_id": "o2"}'),
        b'{"id": "e\\ud800", "type": "order.shipped", "shop_id": "shop1", "occurred_at": "'
        + NOW.encode()
        + b'", "data": {"order_id": "o1"}}',
        _event_bytes("fine", b'{"order_id": "o1"}'),
    )
    assert result["accepted"] == 1
    rejected = {r["index"]: (r["id"], r["field"]) for r in result["rejected"]}
    assert rejected == {
        0: ("big-int", "data.n"),
        1: ("deep", "data.n" + "[0]" * 15),
        2: ("nan", "data.n"),
        3: ("surrogate", "data.note"),
        4: ("dup", "data"),
        5: (None, "id"),  # an id that cannot be shown back is not echoed
    }
    _untouched(shop)


def test_evt1_data_larger_than_64_kb_is_rejected_and_a_body_over_16_mb_refused(
    shop: Api,
) -> None:
    result = shop.events(ev("big", "order.shipped", NOW, order_id="o1", note="x" * 70_000))
    assert [(r["id"], r["field"]) for r in result["rejected"]] == [("big", "data")]
    huge = json.dumps({"events": [], "pad": "x" * (17 * 1024 * 1024)}).encode()
    r = shop.c.post("/v1/events", headers={**shop.integration, **JSON}, content=huge)
    assert _problem(r, 413)["code"] == "payload_too_large"
    _untouched(shop)


# -- times at the edge of the calendar -------------------------------------------------


@pytest.mark.parametrize(
    ("occurred_at", "reason"),
    [
        ("0001-01-01T00:00:00+01:00", "bad_value"),
        ("9999-12-31T23:00:00-05:00", "bad_value"),
        ("9999-12-30T00:00:00Z", "out_of_range"),  # its after-sales end would overflow
        ("2022-12-31T00:00:00Z", "out_of_range"),  # before the us pack (2024) less a year
        ("2026-03-03T09:00:01Z", "out_of_range"),  # more than a day ahead of now
    ],
)
def test_evt1_times_outside_the_window_are_rejected(
    shop: Api, occurred_at: str, reason: str
) -> None:
    result = shop.events(
        placed("p", "o1", NOW, currency="USD"),
        ev("d", "order.delivered", occurred_at, order_id="o1"),
    )
    assert [(r["id"], r["reason"], r["field"]) for r in result["rejected"]] == [
        ("d", reason, "occurred_at")
    ]
    blockers = {b["code"] for b in shop.eligibility("shop1")["blockers"]}
    assert "open_orders" in blockers  # the delivery was not applied


# -- stored although invalid -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"id": "nl-seller\n", "name": "N", "email": "n@example.com"}, "id"),
        ({"name": "N", "email": "n@example.com\n"}, "email"),
        ({"name": "nul\u0000", "email": "n@example.com"}, "name"),
        ({"name": "esc\u001b[31m", "email": "n@example.com"}, "name"),
        ({"name": "evil\u202etxt.exe", "email": "n@example.com"}, "name"),
        ({"name": "two\nlines", "email": "n@example.com"}, "name"),
    ],
)
def test_ids_emails_and_names_with_control_characters_are_refused(
    shop: Api, body: dict[str, str], field: str
) -> None:
    before = shop.c.get("/v1/shops", headers=shop.admin).json()
    r = shop.c.post("/v1/sellers", headers=shop.admin, json=body)
    assert field in [e["field"] for e in _problem(r)["errors"]]
    assert shop.c.get("/v1/sellers/nl-seller", headers=shop.admin).status_code in (404, 422)
    assert shop.c.get("/v1/shops", headers=shop.admin).json() == before


def test_dep2_an_amount_with_a_trailing_newline_is_refused(shop: Api) -> None:
    r = shop.pay_in("shop1", "1.00\n", "USD")
    assert _problem(r)["errors"][0]["field"] == "amount.amount"
    _untouched(shop)


def test_duplicate_keys_and_nan_in_an_ordinary_body_are_refused(shop: Api) -> None:
    headers = {**shop.admin, **JSON}
    dup = b'{"name": "A", "name": "B", "email": "a@example.com"}'
    body = _problem(shop.c.post("/v1/sellers", headers=headers, content=dup))
    assert body["errors"][0]["rule"] == "duplicate_key"
    twice = b'{"events": [], "events": []}'
    r = shop.c.post("/v1/events", headers={**shop.integration, **JSON}, content=twice)
    assert _problem(r)["errors"][0]["rule"] == "duplicate_key"
    nan = b'{"categories": ["apparel"], "x": NaN}'
    r = shop.c.put("/v1/shops/shop1/categories", headers=headers, content=nan)
    assert _problem(r)["errors"][0]["rule"] == "finite_number"
    assert shop.c.get("/v1/shops/shop1", headers=shop.admin).json()["categories"] == ["apparel"]


# -- the sandbox clock ---------------------------------------------------------------------


def test_sandbox_clock_stays_in_its_window(api: Api, app: App) -> None:
    from depositdesk.services.sandbox import SandboxClock

    app.clock = SandboxClock(app.uow)
    before = api.c.get("/v1/sandbox/clock", headers=api.admin).json()["now"]
    for body, field, rule in (
        ({"now": "9999-12-31T23:59:00Z"}, "now", "max_ahead"),
        ({"now": "2099-01-01T00:00:00"}, "now", "timezone_aware"),
        ({"advance": "P99999999D"}, "advance", None),
        ({"advance": "P1D", "now": "2030-01-01T00:00:00Z"}, "body", None),
    ):
        r = api.c.post("/v1/sandbox/clock", headers=api.admin, json=body)
        error = _problem(r)["errors"][0]
        assert error["field"] == field, error
        assert rule is None or error["rule"] == rule
    after = api.c.get("/v1/sandbox/clock", headers=api.admin).json()["now"]
    assert after[:16] == before[:16]  # not moved (seconds of real time may pass)


# -- cursors -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cursor", ["²", "123456789012345678901", "-1", "abc.def", "a.é", "\u0013Ü.Íñ"]
)
def test_a_made_up_ledger_cursor_is_refused(shop: Api, cursor: str) -> None:
    r = shop.c.get("/v1/shops/shop1/ledger", headers=shop.admin, params={"cursor": cursor})
    assert _problem(r)["errors"][0] == {
        "field": "cursor",
        "rule": "cursor",
        "message": "cursor must be the next_cursor of the previous page, as given",
    }


def test_a_cursor_tells_a_seller_nothing_of_other_sellers_shops(api: Api) -> None:
    api.seller("s1")
    api.seller("s2")
    api.shop("mine-a", "s1")
    api.shop("mine-b", "s1")
    api.shop("theirs", "s2")
    owner = api.auth("owner", seller="s1")
    r = api.c.get("/v1/shops", headers=owner, params={"cursor": "theirs"})
    assert _problem(r)["errors"][0]["field"] == "cursor"
    # a cursor the platform was given is not one the seller may use, nor one of a ledger
    platform = api.c.get("/v1/shops", headers=api.admin, params={"limit": 1}).json()
    assert platform["next_cursor"]
    r = api.c.get("/v1/shops", headers=owner, params={"cursor": platform["next_cursor"]})
    assert _problem(r)["errors"][0]["field"] == "cursor"
    first = api.c.get("/v1/shops", headers=owner, params={"limit": 1}).json()
    rest = api.c.get("/v1/shops", headers=owner, params={"cursor": first["next_cursor"]}).json()
    assert [s["id"] for s in first["items"] + rest["items"]] == ["mine-b", "mine-a"]


# -- idempotency belongs to the party, not the token ---------------------------------------


def test_dep3_the_same_key_from_two_platform_tokens_moves_money_once(shop: Api) -> None:
    body = {"amount": {"amount": "100.00", "currency": "USD"}, "reference": "BANK-9"}
    first = shop.c.post(
        "/v1/shops/shop1/deposit/payins",
        headers={**shop.integration, "Idempotency-Key": "same"},
        json=body,
    )
    again = shop.c.post(
        "/v1/shops/shop1/deposit/payins",
        headers={**shop.admin, "Idempotency-Key": "same"},
        json=body,
    )
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    other = shop.c.post(
        "/v1/shops/shop1/deposit/payins",
        headers={**shop.admin, "Idempotency-Key": "same"},
        json={**body, "reference": "BANK-10"},
    )
    assert _problem(other, 409)["code"] == "idempotency_conflict"
    assert shop.deposit("shop1")["held"]["amount"] == "600.00"


# -- errors --------------------------------------------------------------------------------


def test_an_unexpected_error_is_a_logged_problem_with_the_request_id(
    shop: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    from depositdesk.services import shops

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(shops, "get_shop", broken)
    with capture_logs() as logs:
        r = shop.c.get("/v1/shops/shop1", headers={**shop.admin, "X-Request-Id": "trace-500"})
    body = _problem(r, 500)
    assert r.headers["X-Request-Id"] == "trace-500"
    assert body["request_id"] == "trace-500" and "a bug" not in r.text
    [logged] = [e for e in logs if e["event"] == "unhandled error"]
    assert logged["request_id"] == "trace-500" and logged["log_level"] == "error"
    assert logged["exc_info"] is True


def test_openapi_declares_problem_json_and_the_bounds(api: Api) -> None:
    doc = api.c.get("/openapi.json").json()
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
            if path.startswith("/v1/"):
                assert {"401", "422", "500"} <= set(operation["responses"]), (method, path)
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    metrics = doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]
    shops = doc["paths"]["/v1/shops"]["get"]["parameters"]
    limit = next(p for p in shops if p["name"] == "limit")["schema"]
    assert (limit["minimum"], limit["maximum"]) == (1, 500)
    payin = doc["paths"]["/v1/shops/{shop_id}/deposit/payins"]["post"]["parameters"]
    key = next(p for p in payin if p["name"] == "Idempotency-Key")
    assert key["required"] is True
    clock = doc["components"]["schemas"]["ClockIn"]
    assert clock["oneOf"] == [{"required": ["advance"]}, {"required": ["now"]}]


def test_dep3_the_longest_idempotency_key_moves_money_once(api: Api) -> None:
    """A 200-character key is accepted on both databases (the entry's source holds
    `payin:` and the whole key) and replays; 201 characters are refused."""
    api.seller()
    api.shop(categories=["apparel"])
    body = {"amount": {"amount": "10.00", "currency": "GBP"}, "reference": "BANK-1"}

    def pay(key: str) -> Any:
        headers = {**api.integration, "Idempotency-Key": key}
        return api.c.post("/v1/shops/shop1/deposit/payins", headers=headers, json=body)

    first = pay("k" * 200)
    assert first.status_code == 201, first.text
    again = pay("k" * 200)
    assert again.status_code == 201 and again.json() == first.json()
    assert pay("k" * 201).status_code == 422
    assert api.deposit("shop1")["held"]["amount"] == "10.00"
