"""AUD-1 through the HTTP API and the CLI: every kind of state change leaves its record
in the hash chain, only auditors and platform admins read it, and a record altered,
removed or put out of order makes `GET /v1/audit/verify` and `depositdesk audit
verify` fail at that record. SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfWriter
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from depositdesk.bootstrap import App
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.cli import app as cli
from depositdesk.entrypoints.worker import tick
from depositdesk.services import policies
from depositdesk.services.usecase import read, run
from tests.builders import ev
from tests.conftest import ADMIN, PG_URL, START, Api, TokenFactory
from tests.integration.audit_tampering import tamper


def records(api: Api, who: dict[str, str], **params: str) -> list[dict[str, Any]]:
    """Every record the list gives, following its cursors (newest first)."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, "limit": "7", **({"cursor": cursor} if cursor else {})}
        r = api.c.get("/v1/audit", headers=who, params=query)
        assert r.status_code == 200, r.text
        found += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return found


def _pdf() -> bytes:
    buffer = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    return buffer.getvalue()


def _every_kind_of_change(app: App, api: Api, auth: Any, clock: FixedClock) -> None:
    """A seller's shop through pay-in, a violation, categories, a top-up notice and the
    enforcement ladder, a returned deduction, webhooks, a policy load, termination, a
    withdrawn and a paid refund (sent and settled by the worker)."""
    api.seller()
    owner, reviewer = auth("owner", "s1"), auth("reviewer")
    api.shop(categories=["apparel"])
    assert api.pay_in("shop1", "1000.00").status_code == 201
    hook = api.c.post(
        "/v1/webhook-endpoints",
        headers=api.admin,
        json={"url": "https://hooks.example.com/dd", "events": ["*"]},
    )
    assert hook.status_code == 201, hook.text
    assert api.c.post(
        f"/v1/webhook-endpoints/{hook.json()['id']}/disable", headers=api.admin
    ).is_success
    day = START.isoformat()
    api.events(
        ev(
            "v1",
            "violation.recorded",
            day,
            violation_id="V1",
            type="short_shipment",
            consumer_loss="300.00",
            currency="GBP",
        ),
        ev("v1r", "violation.rectified", day, violation_id="V1"),
        ev("p1", "proceeds.available", day, amount="50.00", currency="GBP"),
    )
    returned = api.c.post(
        "/v1/shops/shop1/violations/V1/return",
        headers={**reviewer, "Idempotency-Key": "ret-1"},
        json={"amount": {"amount": "10.00", "currency": "GBP"}},
    )
    assert returned.status_code in (200, 201), returned.text
    categories = api.c.put(
        "/v1/shops/shop1/categories", headers=api.admin, json={"categories": ["apparel"]}
    )
    assert categories.status_code == 200, categories.text
    # DEP-6: the top-up is not paid; the ladder's first step fires on the worker's timer.
    clock.advance(timedelta(days=40))
    tick(app)
    us = read(app, policies.export, ADMIN, clock.now(), "us")
    v2 = us.replace("version = 1", "version = 2")
    run(app, policies.load_version, ADMIN, clock.now(), document=v2)
    api.pay_in("shop1", "400.00")
    assert api.c.post(
        "/v1/shops/shop1/terminate", headers=api.admin, json={"reason": "ended"}
    ).is_success
    upload = api.c.post(
        "/v1/attachments",
        headers=owner,
        files={"file": ("letter.pdf", _pdf(), "application/pdf")},
    )
    assert upload.status_code == 201, upload.text
    first = api.c.post(
        "/v1/shops/shop1/refunds",
        headers={**owner, "Idempotency-Key": "a1"},
        json={"kind": "full", "reason": "closing", "attachment_ids": [upload.json()["id"]]},
    )
    assert first.status_code == 201, first.text
    assert api.c.post(f"/v1/refunds/{first.json()['id']}/withdraw", headers=owner).is_success
    second = api.c.post(
        "/v1/shops/shop1/refunds",
        headers={**owner, "Idempotency-Key": "a2"},
        json={"kind": "full", "reason": "closing"},
    )
    assert second.status_code == 201, second.text
    decided = api.c.post(
        f"/v1/refunds/{second.json()['id']}/decision",
        headers=reviewer,
        json={"decision": "approve"},
    )
    assert decided.status_code == 200, decided.text
    tick(app)  # the payout is sent
    clock.advance(timedelta(days=2))
    tick(app)  # the sandbox bank settles it


# (action, target prefix, actor role): one row per kind of state change of AUD-1.
EXPECTED = [
    ("policies.ensure_default_packs", None, "platform_admin"),
    ("tokens.create_token", "token:", "platform_admin"),
    ("sellers.create_seller", "seller:s1", "platform_admin"),
    ("shops.create_shop", "shop:shop1", "platform_admin"),
    ("deposits.pay_in", "shop:shop1", "integration"),
    ("webhook_endpoints.create_endpoint", "webhook_endpoint:", "platform_admin"),
    ("webhook_endpoints.disable_endpoint", "webhook_endpoint:", "platform_admin"),
    ("events.ingest", None, "integration"),
    ("events.money", "shop:shop1", "integration"),
    ("notices.issued", "notice:", "integration"),
    ("violations.return_deduction", "violation:V1", "reviewer"),
    ("shops.set_categories", "shop:shop1", "platform_admin"),
    ("timer.enforcement.step", "shop:shop1", "system"),
    ("policies.load_version", "policy:us@2", "platform_admin"),
    ("notices.issued", "notice:", "system"),
    ("shops.terminate", "shop:shop1", "platform_admin"),
    ("attachments.upload", "attachment:", "owner"),
    ("refunds.apply", "refund:", "owner"),
    ("refunds.withdraw", "refund:", "owner"),
    ("refunds.decide", "refund:", "reviewer"),
    ("payouts.sent", "payout:", "system"),
    ("timer.payout.settle", "payout:", "system"),
]


def test_aud1_each_kind_of_state_change_leaves_its_record(
    journey: tuple[App, Api, TokenFactory], clock: FixedClock
) -> None:
    app, api, auth = journey
    _every_kind_of_change(app, api, auth, clock)
    auditor = auth("auditor")
    rows = records(api, auditor)
    assert [r["seq"] for r in rows] == sorted((r["seq"] for r in rows), reverse=True)
    missing = [
        (action, prefix, role)
        for action, prefix, role in EXPECTED
        if not any(
            r["action"] == action
            and (prefix is None or (r["target"] or "").startswith(prefix))
            and r["role"] == role
            for r in rows
        )
    ]
    assert missing == []
    # before/after say what changed: the pay-in's held balance, the ladder's step.
    pay_in = next(r for r in rows if r["action"] == "deposits.pay_in")
    assert pay_in["after"]["held"] > (pay_in["before"] or {}).get("held", -1)
    assert pay_in["request_id"]
    step = next(r for r in rows if r["action"] == "timer.enforcement.step")
    assert step["before"]["enforcement_step"] is None
    assert step["after"]["enforcement_step"] in ("warning", "listing_suspended")
    assert step["before"]["status"] == "active" and step["after"]["status"] == "restricted"
    assert step["actor"] == "system" and step["request_id"] is None
    money = next(r for r in rows if r["action"] == "events.money")
    assert sorted(money["after"]["event_ids"]) == ["p1", "v1"]
    # filters
    assert {r["shop_id"] for r in records(api, auditor, shop_id="shop1")} == {"shop1"}
    reviewer_rows = records(api, auditor, actor=step["actor"])
    assert reviewer_rows and all(r["actor"] == "system" for r in reviewer_rows)
    later = records(api, auditor, since=(START + timedelta(days=39)).isoformat())
    assert later and all(r["at"] >= (START + timedelta(days=39)).isoformat()[:19] for r in later)
    verified = api.c.get("/v1/audit/verify", headers=auditor).json()
    assert verified == {
        "ok": True,
        "records": len(rows),
        "first_bad": None,
        "head": rows[0]["hash"],
    }


@pytest.mark.parametrize("role", ["owner", "admin", "staff", "reviewer", "integration"])
def test_aud1_only_auditors_and_platform_admins_read_the_log(
    journey: tuple[App, Api, TokenFactory], role: str
) -> None:
    _, api, auth = journey
    api.seller()
    who = auth(role, "s1" if role in ("owner", "admin", "staff") else None)
    for path in ("/v1/audit", "/v1/audit/verify"):
        r = api.c.get(path, headers=who)
        assert r.status_code == 403, r.text
        assert r.json()["code"] == "forbidden"
    for allowed in ("auditor", "platform_admin"):
        assert api.c.get("/v1/audit", headers=auth(allowed)).status_code == 200
        assert api.c.get("/v1/audit/verify", headers=auth(allowed)).status_code == 200


def _cli_env(engine: Engine, data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = str(engine.url.render_as_string(hide_password=False))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        url = f"{PG_URL}?options=-csearch_path%3D{schema}"
    monkeypatch.setenv("DEPOSITDESK_DATABASE_URL", url)
    monkeypatch.setenv("DEPOSITDESK_DATA_DIR", str(data_dir))


@pytest.mark.parametrize("how", ["altered", "deleted", "reordered"])
def test_aud1_verify_fails_at_the_tampered_record(
    journey: tuple[App, Api, TokenFactory],
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    _, api, auth = journey
    api.seller()
    api.shop(categories=["apparel"])
    for n in range(4):
        assert api.pay_in("shop1", "100.00", key=f"t{n}").status_code == 201
    auditor = auth("auditor")
    assert api.c.get("/v1/audit/verify", headers=auditor).json()["ok"] is True
    [target] = [r["seq"] for r in records(api, auditor) if r["action"] == "deposits.pay_in"][2:3]

    expected = tamper(engine, how, target)

    verified = api.c.get("/v1/audit/verify", headers=auditor).json()
    assert verified["ok"] is False
    assert verified["first_bad"] == {"seq": target, "reason": expected}
    assert verified["records"] == target - 1
    _cli_env(engine, tmp_path / "data", monkeypatch)
    result = CliRunner().invoke(cli, ["audit", "verify"], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert f"BROKEN at record {target}: {expected}" in result.stdout


def test_aud1_cli_verify_passes_an_unbroken_chain(
    journey: tuple[App, Api, TokenFactory],
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, api, _ = journey
    api.seller()
    _cli_env(engine, tmp_path / "data", monkeypatch)
    result = CliRunner().invoke(cli, ["audit", "verify"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: ")


def test_aud1_a_sandbox_clock_move_is_recorded_with_the_new_time(
    sandbox: tuple[TestClient, dict[str, str], dict[str, str]],
) -> None:
    client, admin, _ = sandbox
    moved = client.post("/v1/sandbox/clock", headers=admin, json={"advance": "P3D"})
    assert moved.status_code == 200, moved.text
    rows = client.get("/v1/audit", headers=admin).json()["items"]
    [move] = [r for r in rows if r["action"] == "sandbox.move"]
    assert move["role"] == "platform_admin" and move["after"] == {"now": moved.json()["now"]}
    assert client.get("/v1/audit/verify", headers=admin).json()["ok"] is True
