"""The OpenAPI document describes every answer (interface.md: OpenAPI at /openapi.json)."""

from __future__ import annotations

from tests.conftest import Api

# Prometheus text format; logout answers 204 with no body.
NOT_JSON = {("/metrics", "get"), ("/v1/auth/logout", "post")}
# Downloads answer the file's own media types, each a binary string.
FILES = {
    ("/v1/attachments/{attachment_id}/content", "get"),
    ("/v1/shops/{shop_id}/record", "get"),  # AUD-2: HTML or PDF
    ("/v1/archives/{archive_id}/download", "get"),  # UNL-4: the zip
}


def test_every_operation_documents_its_success_response_schema(api: Api) -> None:
    doc = api.c.get("/openapi.json").json()
    missing = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            if (path, method) in NOT_JSON:
                continue
            success = {c: r for c, r in operation["responses"].items() if c.startswith("2")}
            if (path, method) in FILES:
                schemas = [c.get("schema") for r in success.values() for c in r["content"].values()]
            else:
                schemas = [
                    r.get("content", {}).get("application/json", {}).get("schema")
                    for r in success.values()
                ]
            if not schemas or not all(s and (s.get("$ref") or s.get("type")) for s in schemas):
                missing.append(f"{method.upper()} {path}")
    assert missing == []


def test_documented_shapes_name_the_public_enums(api: Api) -> None:
    schemas = api.c.get("/openapi.json").json()["components"]["schemas"]
    assert set(schemas["ShopStatus"]["enum"]) == {
        "pending_deposit",
        "active",
        "restricted",
        "closing",
        "terminated",
        "unlinked",
    }
    assert "after_sales_period" in schemas["BlockerCode"]["enum"]
    assert set(schemas["Area"]["enum"]) >= {"deposit", "order_completion", "policy_compliance"}


def test_dep5_a_zh_seller_gets_the_topup_notice_in_chinese(api: Api) -> None:
    r = api.c.post(
        "/v1/sellers",
        headers=api.admin,
        json={"id": "zh1", "name": "蓝鳍", "email": "zh@example.com", "language": "zh"},
    )
    assert r.status_code == 201 and r.json()["language"] == "zh"
    api.shop(seller_id="zh1", categories=["apparel"])
    api.pay_in("shop1", "1000.00")
    api.c.put("/v1/shops/shop1/categories", headers=api.admin, json={"categories": ["jewellery"]})
    [notice] = api.deposit("shop1")["notices"]
    assert notice["subject"].startswith("请为店铺") and "£3,000.00" in notice["subject"]
