"""Every endpoint × every role (interface.md "Auth", issue 10): a table with one row
per operation of the OpenAPI document. A new endpoint without a row fails the test.

For each row, each principal calls the endpoint with a valid request: a role the row
does not allow is refused (403, or 404 where the thing is another seller's) and
never gets a 2xx; an allowed role is never refused for its role (never 401 or 403).
Principals: the four platform roles, the three seller roles of seller s1, and the
owner of another seller (s2), who must never reach s1's shop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfWriter

from tests.conftest import Api, TokenFactory

PLATFORM = ("platform_admin", "reviewer", "auditor", "integration")
SELLER = ("owner", "admin", "staff")
EVERYONE = frozenset(PLATFORM + SELLER)
SELLERS_AND_PLATFORM = EVERYONE  # "seller, platform": integration is a platform role
OWNER_ADMIN = frozenset({"owner", "admin"})
PRINCIPALS = (*PLATFORM, *SELLER, "other_owner")
MONEY = {"amount": "10.00", "currency": "GBP"}
PUBLIC = {
    ("POST", "/v1/auth/login"),
    ("GET", "/v1/auth/verify-email"),
    ("GET", "/healthz"),
    ("GET", "/metrics"),
}


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    path: str  # with the ids filled in ({refund}, {payout}, {attachment}: made below)
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    note: str = ""


def _rows() -> dict[tuple[str, str], Row]:
    key = {"Idempotency-Key": "matrix"}
    return {
        ("GET", "/v1/policies"): Row(EVERYONE, "/v1/policies"),
        ("GET", "/v1/policies/{pack}"): Row(EVERYONE, "/v1/policies/gb"),
        ("POST", "/v1/policies/impact"): Row(
            frozenset({"platform_admin"}), "/v1/policies/impact", "TOML"
        ),
        ("POST", "/v1/sellers"): Row(
            frozenset({"platform_admin"}), "/v1/sellers", {"name": "N", "email": "n@x.example"}
        ),
        ("GET", "/v1/sellers/{seller_id}"): Row(SELLERS_AND_PLATFORM, "/v1/sellers/s1"),
        ("POST", "/v1/shops"): Row(
            frozenset({"platform_admin"}),
            "/v1/shops",
            {"seller_id": "s1", "name": "N", "market": "gb", "categories": ["home"]},
        ),
        ("GET", "/v1/shops"): Row(SELLERS_AND_PLATFORM, "/v1/shops"),
        ("GET", "/v1/shops/{shop_id}"): Row(SELLERS_AND_PLATFORM, "/v1/shops/mine"),
        ("PUT", "/v1/shops/{shop_id}/categories"): Row(
            OWNER_ADMIN | {"platform_admin"},
            "/v1/shops/mine/categories",
            {"categories": ["apparel"]},
        ),
        ("POST", "/v1/shops/{shop_id}/terminate"): Row(
            frozenset({"platform_admin"}), "/v1/shops/other/terminate", {"reason": "r"}
        ),
        ("GET", "/v1/shops/{shop_id}/deposit"): Row(SELLERS_AND_PLATFORM, "/v1/shops/mine/deposit"),
        ("POST", "/v1/shops/{shop_id}/deposit/payins"): Row(
            frozenset({"platform_admin", "integration"}),
            "/v1/shops/mine/deposit/payins",
            {"amount": MONEY, "reference": "R"},
            key,
        ),
        ("GET", "/v1/shops/{shop_id}/ledger"): Row(SELLERS_AND_PLATFORM, "/v1/shops/mine/ledger"),
        ("GET", "/v1/shops/{shop_id}/eligibility"): Row(
            SELLERS_AND_PLATFORM, "/v1/shops/mine/eligibility?kind=full"
        ),
        ("GET", "/v1/notices"): Row(SELLERS_AND_PLATFORM, "/v1/notices?shop_id=mine"),
        ("POST", "/v1/shops/{shop_id}/refunds"): Row(
            OWNER_ADMIN, "/v1/shops/mine/refunds", {"kind": "full", "reason": "closing"}, key
        ),
        ("GET", "/v1/shops/{shop_id}/refunds"): Row(SELLERS_AND_PLATFORM, "/v1/shops/mine/refunds"),
        ("GET", "/v1/refunds/{refund_id}"): Row(SELLERS_AND_PLATFORM, "/v1/refunds/{refund}"),
        ("POST", "/v1/refunds/{refund_id}/withdraw"): Row(
            OWNER_ADMIN, "/v1/refunds/{other_refund}/withdraw"
        ),
        ("POST", "/v1/refunds/{refund_id}/decision"): Row(
            frozenset({"reviewer", "platform_admin"}),
            "/v1/refunds/{refund}/decision",
            {"decision": "reject", "reason_code": "other"},
        ),
        ("GET", "/v1/review-queue"): Row(
            frozenset({"reviewer", "platform_admin"}), "/v1/review-queue"
        ),
        ("POST", "/v1/payouts/{payout_id}/result"): Row(
            frozenset({"integration"}),
            "/v1/payouts/po_0123456789abcdef0123/result",
            {"status": "paid"},
            note="unknown payout: allowed gets 404",
        ),
        ("GET", "/v1/shops/{shop_id}/violations"): Row(
            SELLERS_AND_PLATFORM, "/v1/shops/mine/violations"
        ),
        ("POST", "/v1/shops/{shop_id}/violations/{violation_id}/return"): Row(
            frozenset({"reviewer", "platform_admin"}),
            "/v1/shops/mine/violations/V-1/return",
            {"amount": MONEY},
            key,
        ),
        ("POST", "/v1/webhook-endpoints"): Row(
            frozenset({"platform_admin"}),
            "/v1/webhook-endpoints",
            {"url": "https://hooks.example/x", "events": ["*"]},
        ),
        ("GET", "/v1/webhook-endpoints"): Row(
            frozenset({"platform_admin"}), "/v1/webhook-endpoints"
        ),
        ("GET", "/v1/webhook-endpoints/{endpoint_id}"): Row(
            frozenset({"platform_admin"}), "/v1/webhook-endpoints/whe_0123456789abcdef"
        ),
        ("POST", "/v1/webhook-endpoints/{endpoint_id}/disable"): Row(
            frozenset({"platform_admin"}), "/v1/webhook-endpoints/whe_0123456789abcdef/disable"
        ),
        ("GET", "/v1/webhook-endpoints/{endpoint_id}/deliveries"): Row(
            frozenset({"platform_admin"}),
            "/v1/webhook-endpoints/whe_0123456789abcdef/deliveries",
        ),
        ("POST", "/v1/events"): Row(frozenset({"integration"}), "/v1/events", {"events": []}),
        ("POST", "/v1/attachments"): Row(
            frozenset(SELLER) | {"platform_admin", "reviewer"}, "/v1/attachments", "PDF"
        ),
        ("GET", "/v1/attachments/{attachment_id}"): Row(
            frozenset(SELLER) | {"platform_admin", "reviewer", "auditor"},
            "/v1/attachments/{attachment}",
        ),
        ("GET", "/v1/attachments/{attachment_id}/content"): Row(
            frozenset(SELLER) | {"platform_admin", "reviewer", "auditor"},
            "/v1/attachments/{attachment}/content",
        ),
        ("POST", "/v1/sellers/{seller_id}/users"): Row(
            frozenset({"platform_admin", "owner"}),
            "/v1/sellers/s1/users",
            {"email": "{email}", "password": "correct horse battery staple 42", "role": "staff"},
        ),
        # Session-only endpoints: every machine token is refused (sessions are tested
        # in test_sign_in.py).
        ("POST", "/v1/auth/logout"): Row(frozenset(), "/v1/auth/logout"),
        ("GET", "/v1/me"): Row(frozenset(), "/v1/me"),
        ("POST", "/v1/me/totp"): Row(frozenset(), "/v1/me/totp"),
        ("POST", "/v1/me/totp/verify"): Row(frozenset(), "/v1/me/totp/verify", {"code": "123456"}),
        ("POST", "/v1/me/recovery-codes"): Row(frozenset(), "/v1/me/recovery-codes"),
        ("GET", "/v1/audit"): Row(frozenset({"auditor", "platform_admin"}), "/v1/audit"),
        ("GET", "/v1/audit/verify"): Row(
            frozenset({"auditor", "platform_admin"}), "/v1/audit/verify"
        ),
        ("GET", "/v1/shops/{shop_id}/record"): Row(
            OWNER_ADMIN | {"auditor", "platform_admin"}, "/v1/shops/mine/record?format=html"
        ),
        # Unlink (issue 11): "leaving" is s1's shop with an open request ({unlink}).
        ("POST", "/v1/shops/{shop_id}/unlink"): Row(
            OWNER_ADMIN,
            "/v1/shops/mine/unlink",
            {"unlink_date": "2099-01-01", "support_contact": "returns@x.example"},
            note="mine is terminated: allowed gets 409",
        ),
        ("GET", "/v1/unlinks/{unlink_id}"): Row(SELLERS_AND_PLATFORM, "/v1/unlinks/{unlink}"),
        ("POST", "/v1/unlinks/{unlink_id}/review"): Row(
            frozenset({"reviewer", "platform_admin"}),
            "/v1/unlinks/{unlink}/review",
            {"decision": "clear"},
            note="not held: allowed gets 409",
        ),
        ("POST", "/v1/shops/{shop_id}/closure-notice"): Row(
            OWNER_ADMIN, "/v1/shops/leaving/closure-notice"
        ),
        ("POST", "/v1/unlinks/{unlink_id}/agreement"): Row(
            OWNER_ADMIN, "/v1/unlinks/{unlink}/agreement", {"version": "v1"}
        ),
        ("POST", "/v1/unlinks/{unlink_id}/confirm"): Row(
            OWNER_ADMIN,
            "/v1/unlinks/{unlink}/confirm",
            note="the closure notice's period runs: allowed gets 422",
        ),
        # Archives (UNL-4): {archive} is s1's archive of "mine", queued (not built).
        ("POST", "/v1/shops/{shop_id}/archives"): Row(
            OWNER_ADMIN,
            "/v1/shops/mine/archives",
            {"anonymize_customers": True},
            note="one is queued: allowed gets 409 archive_running",
        ),
        ("GET", "/v1/archives/{archive_id}"): Row(OWNER_ADMIN, "/v1/archives/{archive}"),
        ("GET", "/v1/archives/{archive_id}/download"): Row(
            OWNER_ADMIN, "/v1/archives/{archive}/download", note="not ready: allowed gets 404"
        ),
        ("POST", "/v1/unlinks/{unlink_id}/actions/{action}"): Row(
            OWNER_ADMIN, "/v1/unlinks/{unlink}/actions/tax-summary"
        ),
        ("POST", "/v1/unlinks/{unlink_id}/escalate"): Row(
            OWNER_ADMIN, "/v1/unlinks/{unlink}/escalate", {"message": "stalled"}
        ),
        ("GET", "/v1/shops/{shop_id}/unlink/verification"): Row(
            SELLERS_AND_PLATFORM, "/v1/shops/leaving/unlink/verification"
        ),
        ("GET", "/v1/unlinks"): Row(
            SELLERS_AND_PLATFORM,
            "/v1/unlinks?status=manual_review,escalated",
            note="a seller sees its own requests",
        ),
        # Last of the unlink rows: it ends the request the rows above use.
        ("POST", "/v1/unlinks/{unlink_id}/cancel"): Row(
            OWNER_ADMIN, "/v1/unlinks/{unlink}/cancel", note="cancelled once: again answers 200"
        ),
        # Not in sandbox mode here: 404 for everyone after the role check.
        ("GET", "/v1/sandbox/clock"): Row(frozenset({"platform_admin"}), "/v1/sandbox/clock"),
        ("POST", "/v1/sandbox/clock"): Row(
            frozenset({"platform_admin"}), "/v1/sandbox/clock", {"advance": "P1D"}
        ),
    }


def _pdf() -> bytes:
    buffer = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.write(buffer)
    return buffer.getvalue()


@pytest.fixture
def world(api: Api, auth: TokenFactory) -> tuple[Api, dict[str, dict[str, str]], dict[str, str]]:
    api.seller("s1")
    api.seller("s2")
    api.shop("mine", "s1", categories=["apparel"])
    api.shop("other", "s1", categories=["apparel"])
    api.shop("theirs", "s2", categories=["apparel"])
    for shop in ("mine", "other"):
        assert api.pay_in(shop, "1000.00").status_code == 201
        api.c.post(f"/v1/shops/{shop}/terminate", headers=api.admin, json={"reason": "ended"})
    tokens = {role: auth(role) for role in PLATFORM}
    tokens |= {role: auth(role, seller="s1") for role in SELLER}
    tokens["other_owner"] = auth("owner", seller="s2")
    made = {}
    for shop in ("mine", "other"):
        r = api.c.post(
            f"/v1/shops/{shop}/refunds",
            headers={**tokens["owner"], "Idempotency-Key": f"setup-{shop}"},
            json={"kind": "full", "reason": "closing"},
        )
        assert r.status_code == 201, r.text
        made["refund" if shop == "mine" else "other_refund"] = r.json()["id"]
    upload = api.c.post(
        "/v1/attachments",
        headers=tokens["owner"],
        files={"file": ("proof.pdf", _pdf(), "application/pdf")},
    )
    made["attachment"] = upload.json()["id"]
    api.shop("leaving", "s1", categories=["apparel"])
    r = api.c.post(
        "/v1/shops/leaving/unlink",
        headers=tokens["owner"],
        json={"unlink_date": "2099-01-01", "support_contact": "returns@x.example"},
    )
    assert r.status_code == 201, r.text
    made["unlink"] = r.json()["id"]
    r = api.c.post(
        "/v1/shops/mine/archives", headers=tokens["owner"], json={"anonymize_customers": False}
    )
    assert r.status_code == 202, r.text
    made["archive"] = r.json()["id"]
    return api, tokens, made


def _call(
    c: TestClient, method: str, row: Row, who: dict[str, str], made: dict[str, str], n: int
) -> Any:
    path = row.path.format(**made)
    headers = {**who, **row.headers}
    if "Idempotency-Key" in headers:
        headers["Idempotency-Key"] = f"matrix-{n}"
    if row.body == "PDF":
        return c.post(path, headers=headers, files={"file": ("p.pdf", _pdf(), "application/pdf")})
    if row.body == "TOML":
        return c.request(
            method,
            path,
            headers={**headers, "Content-Type": "application/toml"},
            content=b'pack = "gb"\n',
        )
    body = row.body
    if isinstance(body, dict) and body.get("email") == "{email}":
        body = {**body, "email": f"user{n}@falcon.example"}
    return c.request(method, path, headers=headers, json=body)


def _touches_s1(path: str) -> bool:
    return any(
        part in path
        for part in (
            "/mine",
            "/other",
            "/leaving",
            "/s1",
            "{refund}",
            "{other_refund}",
            "{attachment}",
            "{unlink}",
            "{archive}",
        )
    )


def test_every_endpoint_has_a_row(api: Api) -> None:
    operations = {
        (method.upper(), path)
        for path, ops in api.c.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        for method in ops
    }
    missing = sorted(operations - set(_rows()) - PUBLIC)
    assert not missing, f"endpoints without a row in the role matrix: {missing}"


def test_every_role_on_every_endpoint(
    world: tuple[Api, dict[str, dict[str, str]], dict[str, str]],
) -> None:
    api, tokens, made = world
    present = {
        (method.upper(), path)
        for path, ops in api.c.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        for method in ops
    }
    wrong: list[str] = []
    n = 0
    for (method, template), row in _rows().items():
        if (method, template) not in present:
            continue
        for principal in PRINCIPALS:
            n += 1
            answer = _call(api.c, method, row, tokens[principal], made, n)
            status = answer.status_code
            allowed = principal in row.allowed
            if principal == "other_owner":
                # Seller s2's owner: what an owner may do, but never with s1's things.
                allowed = "owner" in row.allowed and not _touches_s1(row.path)
            if status >= 500:
                wrong.append(f"{method} {template} as {principal}: {status}")
            elif allowed and status in (401, 403):
                wrong.append(f"{method} {template} as {principal}: refused {status} {answer.text}")
            elif not allowed and status not in (403, 404, 409, 422):
                wrong.append(f"{method} {template} as {principal}: not refused ({status})")
            elif not allowed and status in (409, 422):
                wrong.append(f"{method} {template} as {principal}: {status} before the role check")
    assert not wrong, "\n".join(wrong)
