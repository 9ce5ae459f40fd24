"""Operational surface: health, metrics, request ids, OpenAPI docs."""

from __future__ import annotations

from tests.conftest import Api


def test_healthz_metrics_and_docs(api: Api) -> None:
    assert api.c.get("/healthz").json() == {"status": "ok"}
    api.c.get("/v1/policies", headers=api.admin)
    metrics = api.c.get("/metrics").text
    assert (
        'depositdesk_http_requests_total{method="GET",route="/v1/policies",status="200"}' in metrics
    )
    docs = api.c.get("/docs").text
    assert "cdn." not in docs  # works on a machine without internet
    assert api.c.get("/static-offline-docs/swagger-ui-bundle.js").status_code == 200
    paths = api.c.get("/openapi.json").json()["paths"]
    assert "/v1/shops/{shop_id}/eligibility" in paths
    assert "/v1/events" in paths


def test_request_id_is_echoed_or_made(api: Api) -> None:
    r = api.c.get("/healthz", headers={"X-Request-Id": "trace-123"})
    assert r.headers["X-Request-Id"] == "trace-123"
    assert len(api.c.get("/healthz").headers["X-Request-Id"]) == 32
    problem = api.c.get("/v1/shops/none", headers={**api.admin, "X-Request-Id": "t-2"})
    assert problem.status_code == 404 and problem.headers["X-Request-Id"] == "t-2"
