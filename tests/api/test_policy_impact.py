"""POST /v1/policies/impact: what a new version would do, and that it is what loading
it does (POL-3, POL-4, DEP-1, DEP-5, REF-2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from depositdesk.adapters.db import tables
from depositdesk.bootstrap import App
from depositdesk.services import policies
from depositdesk.services.usecase import read, run
from tests.builders import ev
from tests.conftest import ADMIN, Api

TOML = {"Content-Type": "application/toml"}
# gb version 1: apparel and home 1000, beauty and food 1500, electronics 2500,
# jewellery 4000 (GBP). Version 2 raises beauty and lowers electronics.
BEAUTY_1 = 'code = "beauty"\nname = "Beauty & personal care"\ndeposit = "1500.00"'
ELECTRONICS_1 = 'code = "electronics"\nname = "Electronics"\ndeposit = "2500.00"'


def gb_version_2(app: App, effective: str = "2026-03-02") -> str:
    """gb as exported, made version 2 from `effective`: beauty 2200, electronics 2000."""
    text = read(app, policies.export, ADMIN, app.clock.now(), "gb")
    assert BEAUTY_1 in text and ELECTRONICS_1 in text
    return (
        text.replace("version = 1", "version = 2")
        .replace("effective_from = 2024-01-01", f"effective_from = {effective}")
        .replace(BEAUTY_1, BEAUTY_1.replace("1500.00", "2200.00"))
        .replace(ELECTRONICS_1, ELECTRONICS_1.replace("2500.00", "2000.00"))
    )


def gbp(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "GBP"}


def market(api: Api) -> None:
    """Shops of the gb market in several categories (and one in us, and one terminated).

    | shop | categories | paid | v1 -> v2 | expected |
    | a | apparel | 1000 | 1000 -> 1000 | unchanged |
    | b | beauty | 1500 | 1500 -> 2200 | top-up 700 |
    | c | beauty, apparel | 2500 | 1500 -> 2200 | unchanged (held covers it) |
    | d | electronics | 2500 | 2500 -> 2000 | difference 500 |
    | e | beauty, electronics | 2500 | 2500 -> 2200 (beauty) | difference 300 |
    | f | beauty | - (pending) | 1500 -> 2200 | unchanged (no notice while pending) |
    | g | electronics | 1000 (pending) | 2500 -> 2000 | unchanged (nothing freed) |
    | h | beauty | 1500, then a 1700 loss | 1500 -> 2200 | top-up 2400 (2200 + 200 owed) |
    | i | electronics | 2100 (pending) | 2500 -> 2000 | difference 100, funded |
    | t | beauty | 1500, terminated | - | left out |
    """
    api.seller("s1")
    api.seller("s2")
    shops = {
        "a": (["apparel"], "1000.00"),
        "b": (["beauty"], "1500.00"),
        "c": (["beauty", "apparel"], "2500.00"),
        "d": (["electronics"], "2500.00"),
        "e": (["beauty", "electronics"], "2500.00"),
        "f": (["beauty"], None),
        "g": (["electronics"], "1000.00"),
        "h": (["beauty"], "1500.00"),
        "i": (["electronics"], "2100.00"),
        "t": (["beauty"], "1500.00"),
    }
    for n, (shop_id, (categories, paid)) in enumerate(shops.items()):
        api.shop(shop_id, "s1" if n % 2 else "s2", market="gb", categories=categories)
        if paid is not None:
            assert api.pay_in(shop_id, paid).status_code == 201
    api.shop("us1", "s1", market="us", categories=["beauty"])
    api.events(
        ev(
            "v1",
            "violation.recorded",
            "2026-03-01T10:00:00Z",
            shop="h",
            violation_id="v1",
            type="late_dispatch",
            consumer_loss="1700.00",
            currency="GBP",
        )
    )
    r = api.c.post("/v1/shops/t/terminate", headers=api.admin, json={"reason": "contract ended"})
    assert r.status_code == 200, r.text
    h = api.deposit("h")
    assert (h["held"], h["receivable"]) == (gbp("0.00"), gbp("200.00"))


def impact(api: Api, document: str, **headers: str) -> Any:
    return api.c.post(
        "/v1/policies/impact",
        headers={**api.admin, **TOML, **headers},
        content=document.encode(),
    )


def rows(app: App) -> dict[str, int]:
    """How many rows the tables a load or a notice writes hold."""
    names = ("policy_versions", "notices", "journal_entries", "postings", "outbox", "timers")
    with app.engine.connect() as conn:
        counts = {
            n: conn.execute(select(func.count()).select_from(tables.metadata.tables[n])).scalar()
            for n in names
        }
        shops = conn.execute(select(tables.shops).order_by(tables.shops.c.id)).all()
        counts["shops"] = hash(tuple(shops))  # no shop row changed either
    return {k: int(v or 0) for k, v in counts.items()}


def tally(
    shops: int, topups: int, topup_total: str, differences: int, difference_total: str
) -> dict[str, Any]:
    return {
        "shops": shops,
        "topup": {"shops": topups, "total": gbp(topup_total)},
        "difference": {"shops": differences, "total": gbp(difference_total)},
    }


def picked(block: dict[str, Any]) -> dict[str, Any]:
    return {k: block[k] for k in ("shops", "topup", "difference")}


def test_pol4_impact_counts_and_totals_are_exact_and_nothing_is_written(app: App, api: Api) -> None:
    market(api)
    before = rows(app)
    r = impact(api, gb_version_2(app))
    assert r.status_code == 200, r.text
    body = r.json()
    assert rows(app) == before  # a preview: no policy, notice, ledger or outbox row

    assert (body["pack"], body["version"], body["currency"]) == ("gb", 2, "GBP")
    assert body["replaces"] == {"pack": "gb", "version": 1}
    assert body["in_force_now"] is True
    assert body["takes_effect_at"] == "2026-03-02T09:00:00Z"
    assert body["left_out_shops"] == 1  # t, terminated
    assert picked(body["total"]) == tally(9, 2, "3100.00", 3, "900.00")
    assert body["total"]["unchanged_shops"] == 4 and body["total"]["becomes_funded_shops"] == 1

    by = {c["code"]: c for c in body["categories"]}
    assert list(by) == ["apparel", "home", "beauty", "food", "electronics", "jewellery"]
    assert picked(by["beauty"]) == tally(5, 2, "3100.00", 1, "300.00")
    assert (by["beauty"]["deposit_before"], by["beauty"]["deposit_after"]) == (
        gbp("1500.00"),
        gbp("2200.00"),
    )
    assert picked(by["electronics"]) == tally(3, 0, "0.00", 2, "600.00")
    assert picked(by["apparel"]) == tally(1, 0, "0.00", 0, "0.00")
    assert picked(by["jewellery"]) == tally(0, 0, "0.00", 0, "0.00")

    shops = {s["shop_id"]: s for s in body["shops"]}  # only those that owe or get back
    assert {k: (s["outcome"], s["amount"]["amount"]) for k, s in shops.items()} == {
        "b": ("topup", "700.00"),
        "d": ("difference", "500.00"),
        "e": ("difference", "300.00"),
        "h": ("topup", "2400.00"),
        "i": ("difference", "100.00"),
    }
    assert shops["e"]["category"] == "beauty"  # 2200 beauty now sets e's deposit (DEP-1)
    assert shops["b"]["due_at"] == "2026-04-01T09:00:00Z"  # 30 grace days
    assert shops["i"]["becomes_funded"] is True

    # Loading the version gives exactly the top-up notices the preview predicted.
    seen = {n["id"] for s in "abcdefghi" for n in api.deposit(s)["notices"]}
    run(app, policies.load_version, ADMIN, app.clock.now(), document=gb_version_2(app))
    issued: dict[str, list[dict[str, Any]]] = {}
    for shop_id in "abcdefghi":
        for n in api.deposit(shop_id)["notices"]:
            if n["id"] not in seen and n["kind"] == "topup":
                issued.setdefault(shop_id, []).append(n)
    predicted = {k: s for k, s in shops.items() if s["outcome"] == "topup"}
    assert set(issued) == set(predicted) == {"b", "h"}
    for shop_id, [notice] in issued.items():
        owed = predicted[shop_id]["amount"]["amount"].replace(".", "")
        assert (notice["data"]["owed_minor"], notice["due_at"]) == (
            int(owed),
            predicted[shop_id]["due_at"],
        )
    for shop_id in ("d", "e", "i"):  # the difference is what is held over the new figure
        deposit = api.deposit(shop_id)
        over = Decimal(deposit["held"]["amount"]) - Decimal(deposit["required"]["amount"])
        assert str(over) == shops[shop_id]["amount"]["amount"]
    assert api.c.get("/v1/shops/i", headers=api.admin).json()["status"] == "active"


def test_pol4_impact_of_a_later_version_says_when_it_takes_effect(app: App, api: Api) -> None:
    market(api)
    body = impact(api, gb_version_2(app, "2026-04-15")).json()
    assert body["in_force_now"] is False
    assert body["takes_effect_at"] == "2026-04-15T00:00:00Z"
    assert body["effective_from"] == "2026-04-15"
    assert {s["shop_id"]: s["due_at"] for s in body["shops"] if s["outcome"] == "topup"} == {
        "b": "2026-05-15T00:00:00Z",  # 30 grace days from the day it takes effect
        "h": "2026-04-01T09:00:00Z",  # h's case is open: its notices keep its due date
    }


def test_pol3_impact_of_a_bad_file_lists_every_problem_and_stores_nothing(
    app: App, api: Api
) -> None:
    market(api)
    before = rows(app)
    good = gb_version_2(app)
    syntax = impact(api, good.replace('pack = "gb"', 'pack = "gb'))
    assert syntax.status_code == 422
    assert syntax.headers["content-type"] == "application/problem+json"
    assert [e["rule"] for e in syntax.json()["errors"]] == ["toml_syntax"]

    jewellery = good.index('[[categories]]\ncode = "jewellery"')
    older = good[:jewellery] + good[good.index("[[ladder]]") :]
    older = older.replace("version = 2", "version = 1")
    r = impact(api, older)
    assert r.status_code == 422 and r.json()["code"] == "validation_error"
    assert sorted((e["field"], e["rule"]) for e in r.json()["errors"]) == [
        ("categories", "missing_category"),
        ("version", "version_order"),
    ]
    assert "jewellery" in r.text

    bad_values = good.replace('currency = "GBP"', 'currency = "ZZZ"').replace(
        '"2200.00"', '"-1.00"'
    )
    r = impact(api, bad_values)
    assert r.status_code == 422
    assert {e["field"] for e in r.json()["errors"]} >= {"currency", "categories[2].deposit"}

    not_utf8 = api.c.post(
        "/v1/policies/impact", headers={**api.admin, **TOML}, content=b'pack = "gb\xff"'
    )
    assert not_utf8.status_code == 422
    assert [e["rule"] for e in not_utf8.json()["errors"]] == ["utf8"]
    assert rows(app) == before
    assert api.c.get("/v1/policies/gb", headers=api.admin).json()["version"] == 1


def test_impact_body_is_toml_text_of_bounded_size(app: App, api: Api) -> None:
    api.seller("s1")
    text = gb_version_2(app)
    plain = impact(api, text, **{"Content-Type": "text/plain; charset=utf-8"})
    assert plain.status_code == 200, plain.text
    assert plain.json()["total"]["shops"] == 0
    as_json = api.c.post("/v1/policies/impact", headers=api.admin, json={"toml": text})
    assert as_json.status_code == 415 and as_json.json()["code"] == "unsupported_media_type"
    latin = impact(api, text, **{"Content-Type": "text/plain; charset=latin-1"})
    assert latin.status_code == 415
    huge = impact(api, text + "#" * (256 * 1024))
    assert huge.status_code == 413 and huge.json()["code"] == "payload_too_large"


@pytest.mark.parametrize("role", ["owner", "reviewer", "integration", "auditor"])
def test_impact_is_for_platform_admins_only(app: App, api: Api, role: str) -> None:
    api.seller("s1")
    headers = api.auth(role, seller="s1" if role == "owner" else None)
    r = api.c.post(
        "/v1/policies/impact", headers={**headers, **TOML}, content=gb_version_2(app).encode()
    )
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    bad = api.c.post("/v1/policies/impact", headers={**headers, **TOML}, content=b"\xff")
    assert bad.status_code == 403  # refused before the body is read


def test_impact_is_documented_as_a_toml_body(api: Api) -> None:
    operation = api.c.get("/openapi.json").json()["paths"]["/v1/policies/impact"]["post"]
    content = operation["requestBody"]["content"]
    assert set(content) == {"application/toml", "text/plain"}
    assert {"403", "413", "415", "422"} <= set(operation["responses"])
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/PolicyImpactOut"}
