"""The shop data archive (UNL-4): POST /v1/shops/{id}/archives, GET /v1/archives/{id},
GET /v1/archives/{id}/download — built by the worker, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from typing import Any

import pyarrow.parquet as pq
import pytest

from depositdesk.bootstrap import App
from depositdesk.domain.archives import KINDS
from depositdesk.entrypoints.worker import build_archives
from tests.builders import ev
from tests.conftest import Api, TokenFactory

# What the marketplace's events say about two customers: none of it may appear in
# an anonymised archive, anywhere (UNL-4).
ALICE = {
    "name": "Alice Quigley-Marchbanks",
    "email": "alice.quigley@mailbox.example",
    "phone": "+44 7700 900123",
    "address": "17 Wisteria Crescent, Little Snoring",
}
BOB = {
    "name": "Bartholomew Ostrander",
    "email": "bart.ostrander@post.example",
    "phone": "+44 7700 900456",
    "address": "4 Quillfeather Lane, Great Snoring",
}
SECRETS = [v for person in (ALICE, BOB) for v in person.values()] + [
    "cust-alice-7781",
    "cust-bob-2290",
]


def _placed(event_id: str, order: str, at: str, customer: str, person: dict[str, str]) -> Any:
    return ev(
        event_id,
        "order.placed",
        at,
        order_id=order,
        category="apparel",
        amount="25.00",
        currency="GBP",
        customer_id=customer,
        tax="4.17",
        customer_name=person["name"],
        customer_email=person["email"],
        shipping={"recipient": person["name"], "address": person["address"]},
        phone=person["phone"],
    )


@pytest.fixture
def shop(api: Api, auth: TokenFactory) -> dict[str, dict[str, str]]:
    api.seller("s1")
    api.seller("s2")
    api.shop("shop1", "s1")
    assert api.pay_in("shop1", "1000.00").status_code == 201
    api.events(
        _placed("e1", "o1", "2026-02-01T10:00:00Z", "cust-alice-7781", ALICE),
        _placed("e2", "o2", "2026-02-03T10:00:00Z", "cust-bob-2290", BOB),
        _placed("e3", "o3", "2026-03-01T08:00:00Z", "cust-alice-7781", ALICE),
        ev("e4", "order.shipped", "2026-02-02T10:00:00Z", order_id="o1"),
        ev("e5", "order.delivered", "2026-02-04T10:00:00Z", order_id="o1"),
        ev("e6", "order.cancelled", "2026-02-03T12:00:00Z", order_id="o2"),
        ev(
            "e7",
            "ticket.opened",
            "2026-02-05T10:00:00Z",
            ticket_id="t1",
            subject=f"Parcel late, call me on {ALICE['phone']} or {ALICE['email']}",
            customer_id="cust-alice-7781",
            customer_email=ALICE["email"],
        ),
        ev("e8", "ticket.closed", "2026-02-06T10:00:00Z", ticket_id="t1", subject="Parcel late"),
        ev(
            "e9",
            "violation.recorded",
            "2026-02-07T10:00:00Z",
            violation_id="V1",
            type="short_shipment",
            consumer_loss="30.00",
            currency="GBP",
        ),
    )
    return {
        "owner": auth("owner", seller="s1"),
        "admin": auth("admin", seller="s1"),
        "staff": auth("staff", seller="s1"),
        "other": auth("owner", seller="s2"),
    }


def _unlink_and_notify(api: Api, owner: dict[str, str]) -> str:
    """An unlink request whose notify-customers action mailed the customers of the
    last 30 days (UNL-6): the archive's customer_messages."""
    r = api.c.post(
        "/v1/shops/shop1/unlink",
        headers=owner,
        json={"unlink_date": "2026-04-30", "support_contact": "help@shop1.example"},
    )
    assert r.status_code == 201, r.text
    unlink_id: str = r.json()["id"]
    told = api.c.post(f"/v1/unlinks/{unlink_id}/actions/notify-customers", headers=owner)
    assert told.status_code == 200, told.text
    return unlink_id


def _start(api: Api, who: dict[str, str], anonymize: bool, **headers: str) -> Any:
    return api.c.post(
        "/v1/shops/shop1/archives",
        headers={**who, **headers},
        json={"anonymize_customers": anonymize},
    )


def _build(app: App, api: Api, who: dict[str, str], archive_id: str) -> dict[str, Any]:
    assert build_archives(app) == 1
    r = api.c.get(f"/v1/archives/{archive_id}", headers=who)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ready", r.json()
    return r.json()  # type: ignore[no-any-return]


def _download(api: Api, who: dict[str, str], archive_id: str) -> zipfile.ZipFile:
    r = api.c.get(f"/v1/archives/{archive_id}/download", headers=who)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(r.content))


def _csv(z: zipfile.ZipFile, kind: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(z.read(f"{kind}.csv").decode())))


def _parquet(z: zipfile.ZipFile, kind: str) -> list[dict[str, Any]]:
    return pq.read_table(io.BytesIO(z.read(f"{kind}.parquet"))).to_pylist()  # type: ignore[no-any-return]


def test_archive_manifest_hashes_rows_and_csv_parquet_agree(
    app: App, api: Api, shop: dict[str, dict[str, str]]
) -> None:
    """UNL-4: every file the manifest names is in the zip with its SHA-256 and row
    count; each kind is there as CSV and Parquet holding the same rows."""
    owner = shop["owner"]
    unlink_id = _unlink_and_notify(api, owner)
    r = _start(api, owner, False)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status"] == "queued" and body["progress"] == 0
    assert body["anonymize_customers"] is False and body["files"] is None
    ready = _build(app, api, owner, body["id"])
    assert ready["progress"] == 100
    z = _download(api, owner, body["id"])
    manifest = json.loads(z.read("manifest.json"))
    assert manifest["shop_id"] == "shop1" and manifest["generated_at"].endswith("Z")
    assert manifest["policy_versions"] == [{"pack": "gb", "version": 1}]
    names = {f["name"] for f in manifest["files"]}
    assert names == {f"{k.name}.{fmt}" for k in KINDS for fmt in ("csv", "parquet")}
    assert set(z.namelist()) == names | {"manifest.json"}
    for f in manifest["files"]:
        data = z.read(f["name"])
        assert hashlib.sha256(data).hexdigest() == f["sha256"], f["name"]
        assert len(data) == f["bytes"]
        assert f["holds"]
        rows = (
            len(_csv(z, f["kind"]))
            if f["format"] == "csv"
            else pq.read_metadata(io.BytesIO(data)).num_rows
        )
        assert rows == f["rows"], f["name"]
    assert {f["name"]: f["rows"] for f in ready["files"]} == {
        f["name"]: f["rows"] for f in manifest["files"]
    }
    for kind in KINDS:
        as_csv = _csv(z, kind.name)
        as_parquet = _parquet(z, kind.name)
        assert list(as_csv[0] if as_csv else kind.column_names) == list(kind.column_names)
        assert [{k: "" if v is None else str(v) for k, v in row.items()} for row in as_parquet] == [
            dict(row) for row in as_csv
        ], kind.name
    orders = {o["order_id"]: o for o in _csv(z, "orders")}
    assert set(orders) == {"o1", "o2", "o3"}
    assert orders["o1"]["state"] == "delivered" and orders["o2"]["state"] == "cancelled"
    assert orders["o1"]["amount_minor"] == "2500" and orders["o1"]["customer"] == "cust-alice-7781"
    assert orders["o1"]["placed_at"] == "2026-02-01T10:00:00.000000Z"
    assert len(_csv(z, "sales_history")) == 7 and len(_csv(z, "tickets")) == 2
    customers = {(c["customer"], c["currency"]): c for c in _csv(z, "customers")}
    alice = customers[("cust-alice-7781", "GBP")]
    assert alice["orders"] == "2" and alice["spent_minor"] == "5000"
    assert ALICE["email"] in alice["details"]  # not anonymised: the details are kept
    messages = _csv(z, "customer_messages")
    assert {(m["unlink_id"], m["kind"], m["about"], m["email"]) for m in messages} >= {
        (unlink_id, "notify", "cust-alice-7781", ALICE["email"])
    }
    tax = {t["month"]: t for t in _csv(z, "tax_summary")}
    assert tax["2026-02"]["orders"] == "2" and tax["2026-02"]["cancelled_orders"] == "1"
    assert tax["2026-02"]["sales_minor"] == "2500" and tax["2026-02"]["tax_minor"] == "834"
    ledger = _csv(z, "ledger_entries")
    assert sum(int(p["amount_minor"]) for p in ledger) == 0  # balanced postings
    assert [row["category"] for row in _csv(z, "listings")] == ["apparel"]
    notices = api.c.get("/v1/notices", headers=owner, params={"shop_id": "shop1"}).json()
    assert {n["notice_id"] for n in _csv(z, "notices")} == {n["id"] for n in notices["items"]}
    assert notices["items"]  # the deduction's notice (DEP-8)


def test_anonymised_archive_holds_no_personal_data_and_stable_pseudonyms(
    app: App, api: Api, shop: dict[str, dict[str, str]]
) -> None:
    """UNL-4: anonymised, no customer name, email, phone, address or id appears in any
    byte of any file (Parquet read back too), and each customer is one pseudonym in
    every file and in every archive of the shop."""
    owner = shop["owner"]
    _unlink_and_notify(api, owner)
    first = _start(api, owner, True).json()["id"]
    _build(app, api, owner, first)
    z = _download(api, owner, first)
    for name in z.namelist():
        raw = z.read(name)
        texts = [raw.decode("utf-8", "replace")]
        if name.endswith(".parquet"):
            texts.append(json.dumps(_parquet(z, name.removesuffix(".parquet")), ensure_ascii=False))
        for text in texts:
            for secret in SECRETS:
                assert secret not in text, f"{secret!r} in {name}"
        for secret in SECRETS:
            assert secret.encode() not in raw, f"{secret!r} in the bytes of {name}"
    orders = {o["order_id"]: o["customer"] for o in _csv(z, "orders")}
    assert orders["o1"] == orders["o3"] != orders["o2"]
    assert orders["o1"].startswith("cus_")
    customers = {c["customer"] for c in _csv(z, "customers")}
    assert customers == {orders["o1"], orders["o2"]}
    assert all(c["details"] == "" for c in _csv(z, "customers"))
    placed = {
        json.loads(e["data"])["order_id"]: json.loads(e["data"])
        for e in _csv(z, "sales_history")
        if e["type"] == "order.placed"
    }
    assert placed["o1"]["customer_id"] == orders["o1"]
    assert placed["o1"]["amount"] == "25.00" and placed["o1"]["customer_email"] == "[removed]"
    told = [m for m in _csv(z, "customer_messages") if m["kind"] == "notify"]
    assert told and {m["about"] for m in told} <= set(orders.values())
    assert all(m["email"] == "" for m in told)
    ticket = _csv(z, "tickets")[0]
    assert json.loads(ticket["data"])["customer_id"] == orders["o1"]
    assert ticket["subject"].startswith("Parcel late, call me on [removed]")
    # A second anonymised archive of the shop: the same pseudonyms.
    second = _start(api, owner, True).json()["id"]
    _build(app, api, owner, second)
    again = {o["order_id"]: o["customer"] for o in _csv(_download(api, owner, second), "orders")}
    assert again == orders


def test_second_archive_while_one_runs_is_refused(
    app: App, api: Api, shop: dict[str, dict[str, str]]
) -> None:
    """UNL-4 bad input: one archive at a time per shop — 409 archive_running, nothing
    changed; the download is 404 until it is ready; a key replays the first answer."""
    owner, admin = shop["owner"], shop["admin"]
    first = _start(api, owner, True, **{"Idempotency-Key": "a1"})
    assert first.status_code == 202, first.text
    archive_id = first.json()["id"]
    replay = _start(api, owner, True, **{"Idempotency-Key": "a1"})
    assert replay.status_code == 202 and replay.json()["id"] == archive_id
    conflict = _start(api, owner, True, **{"Idempotency-Key": "a1x"})
    assert conflict.status_code == 409, conflict.text
    assert conflict.headers["content-type"].startswith("application/problem+json")
    assert conflict.json()["code"] == "archive_running"
    assert _start(api, admin, False).json()["code"] == "archive_running"
    r = api.c.get(f"/v1/archives/{archive_id}/download", headers=owner)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert api.c.get(f"/v1/archives/{archive_id}", headers=owner).json()["status"] == "queued"
    _build(app, api, owner, archive_id)
    assert build_archives(app) == 0  # the refused requests queued nothing
    again = _start(api, admin, False)
    assert again.status_code == 202 and again.json()["id"] != archive_id


def test_archive_roles(api: Api, shop: dict[str, dict[str, str]], auth: TokenFactory) -> None:
    """Owner and admin of the shop only (interface.md); another seller's owner sees
    nothing (404); staff and platform roles are refused."""
    archive_id = _start(api, shop["owner"], False).json()["id"]
    assert _start(api, shop["staff"], False).status_code == 403
    assert _start(api, auth("platform_admin"), False).status_code == 403
    other = shop["other"]
    assert _start(api, other, False).status_code == 404
    assert api.c.get(f"/v1/archives/{archive_id}", headers=other).status_code == 404
    assert api.c.get(f"/v1/archives/{archive_id}/download", headers=other).status_code == 404
    assert api.c.get(f"/v1/archives/{archive_id}", headers=shop["staff"]).status_code == 403
    assert api.c.get(f"/v1/archives/{archive_id}", headers=shop["admin"]).status_code == 200
    assert (
        api.c.get("/v1/archives/arc_00000000000000000000", headers=shop["owner"]).status_code == 404
    )
    bad = api.c.post(
        "/v1/shops/shop1/archives", headers=shop["owner"], json={"anonymize_customers": "yes"}
    )
    assert bad.status_code == 422 and bad.json()["code"] == "validation_error"


def test_starting_an_archive_is_audited(
    app: App, api: Api, shop: dict[str, dict[str, str]]
) -> None:
    """AUD-1: starting an archive is a state change with its audit record (the usual
    hook, usecase.run); the worker records the archive it built."""
    archive_id = _start(api, shop["owner"], True).json()["id"]
    _build(app, api, shop["owner"], archive_id)
    r = api.c.get("/v1/audit", headers=api.admin, params={"shop_id": "shop1"})
    assert r.status_code == 200, r.text
    actions = [(i["action"], i["target"]) for i in r.json()["items"]]
    assert ("archives.start_archive", "shop:shop1") in actions, actions
    assert ("archive.ready", f"archive:{archive_id}") in actions, actions


def test_a_ready_archive_clears_the_unlink_checklists_archive_check(
    app: App, api: Api, shop: dict[str, dict[str, str]]
) -> None:
    """UNL-6b: the data_archiving area's `archive` check is action_needed for a shop
    with orders until an archive of it is ready (queued is not enough)."""
    owner = shop["owner"]
    unlink_id = _unlink_and_notify(api, owner)

    def archive_check() -> dict[str, Any]:
        r = api.c.get(f"/v1/unlinks/{unlink_id}", headers=owner)
        assert r.status_code == 200, r.text
        checks = [c for area in r.json()["checklist"].values() for c in area["checks"]]
        return next(c for c in checks if c["code"] == "archive")

    assert archive_check()["status"] == "action_needed"
    archive_id = _start(api, owner, True).json()["id"]
    assert archive_check()["status"] == "action_needed"
    _build(app, api, owner, archive_id)
    assert archive_check()["status"] == "ok"


def test_a_shop_without_data_gets_files_with_only_their_headers(
    app: App, api: Api, shop: dict[str, dict[str, str]]
) -> None:
    """UNL-4: a kind with no rows is still there, as a CSV header and an empty Parquet
    file with its columns, and the manifest says 0 rows."""
    api.shop("quiet", "s1")
    owner = shop["owner"]
    r = api.c.post("/v1/shops/quiet/archives", headers=owner, json={"anonymize_customers": True})
    assert r.status_code == 202, r.text
    _build(app, api, owner, r.json()["id"])
    z = _download(api, owner, r.json()["id"])
    manifest = json.loads(z.read("manifest.json"))
    by_kind = {k.name: k for k in KINDS}
    for f in manifest["files"]:
        kind = by_kind[f["kind"]]
        expected = 1 if f["kind"] == "listings" else 0  # the shop's one category
        assert f["rows"] == expected, f["name"]
        if f["format"] == "csv":
            lines = z.read(f["name"]).decode().splitlines()
            assert lines[0] == ",".join(f'"{c}"' for c in kind.column_names), f["name"]
            assert len(lines) == 1 + expected
        else:
            table = pq.read_table(io.BytesIO(z.read(f["name"])))
            assert table.num_rows == expected
            assert table.column_names == list(kind.column_names)
