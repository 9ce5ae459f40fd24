"""Webhook endpoints over the API (interface.md "Webhooks"): registration with the secret
shown once, role boundaries, bad input, deliveries as an operator sees them, disabling."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from depositdesk.bootstrap import App
from depositdesk.domain.clock import FixedClock
from depositdesk.services.outbox import send_due
from depositdesk.services.usecase import run
from depositdesk.services.webhooks import publish
from tests.conftest import START, Api
from tests.fakes import FakeSenders, FakeWebhookSender

HOOK = {"url": "https://hooks.example.com/depositdesk", "events": ["shop.funded", "deposit.*"]}
UNKNOWN = "whe_0123456789abcdef"


def register(api: Api, **body: Any) -> dict[str, Any]:
    r = api.c.post("/v1/webhook-endpoints", headers=api.admin, json={**HOOK, **body})
    assert r.status_code == 201, r.text
    return r.json()


def endpoints(api: Api) -> list[dict[str, Any]]:
    r = api.c.get("/v1/webhook-endpoints", headers=api.admin)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def deliveries(api: Api, endpoint_id: str, **params: Any) -> dict[str, Any]:
    r = api.c.get(
        f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=api.admin, params=params
    )
    assert r.status_code == 200, r.text
    return r.json()


def funded(app: App, key: str, minutes: int = 0) -> str | None:
    """A `shop.funded` event, published as a change would publish it."""
    at = START + timedelta(minutes=minutes)
    return run(app, publish, "shop.funded", key, {"shop_id": key}, at)


def test_register_shows_the_secret_once(api: Api) -> None:
    created = register(api)

    assert set(created) == {"id", "url", "events", "created_at", "secret"}
    assert re.fullmatch(r"whe_[0-9a-f]{16}", created["id"])
    assert re.fullmatch(r"whsec_[A-Za-z0-9_-]{43}", created["secret"])
    assert (created["url"], created["events"]) == (HOOK["url"], HOOK["events"])
    assert created["created_at"] == "2026-03-02T09:00:00Z"
    [listed] = endpoints(api)
    one = api.c.get(f"/v1/webhook-endpoints/{created['id']}", headers=api.admin)
    assert one.status_code == 200 and one.json() == listed
    assert listed["deliveries"] == {"pending": 0, "sent": 0, "failed": 0}
    assert listed["disabled_at"] is None and listed["created_by"].startswith("platform_admin:")
    for answer in (listed, one.json()):
        assert "secret" not in answer and created["secret"] not in str(answer)
    assert register(api)["secret"] != created["secret"]  # each endpoint its own


def test_list_pages_newest_first(api: Api, clock: FixedClock) -> None:
    ids = []
    for _ in range(3):
        clock.advance(timedelta(minutes=1))
        ids.append(register(api)["id"])

    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = api.c.get("/v1/webhook-endpoints", headers=api.admin, params=params).json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]


ROUTES = [
    ("post", "/v1/webhook-endpoints", HOOK),
    ("get", "/v1/webhook-endpoints", None),
    ("get", "/v1/webhook-endpoints/{id}", None),
    ("post", "/v1/webhook-endpoints/{id}/disable", None),
    ("get", "/v1/webhook-endpoints/{id}/deliveries", None),
    ("get", "/v1/webhook-endpoints/{id}/deliveries?status=failed", None),
]


@pytest.mark.parametrize("role", ["owner", "admin", "staff", "reviewer", "auditor", "integration"])
def test_only_platform_admins_manage_webhook_endpoints(api: Api, role: str) -> None:
    api.seller("s1")
    endpoint = register(api)
    headers = api.auth(role, seller="s1" if role in ("owner", "admin", "staff") else None)

    for method, path, body in ROUTES:
        r = api.c.request(method, path.format(id=endpoint["id"]), headers=headers, json=body)
        assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (method, path, r.text)

    [still] = endpoints(api)  # nothing registered, nothing disabled
    assert still["id"] == endpoint["id"] and still["disabled_at"] is None


def test_no_token_no_webhook_endpoints(api: Api) -> None:
    assert api.c.get("/v1/webhook-endpoints").status_code == 401
    assert api.c.post("/v1/webhook-endpoints", json=HOOK).status_code == 401


BAD = [
    ({"url": "ftp://hooks.example.com/x"}, "url", "url_scheme"),
    ({"url": "javascript:alert(1)"}, "url", "url_scheme"),
    ({"url": "hooks.example.com/x"}, "url", "url_scheme"),
    ({"url": "https:///x"}, "url", "url_host"),
    ({"url": "https://"}, "url", "url_host"),
    ({"url": "https://a..b/x"}, "url", "url_host"),
    ({"url": "https://user:pw@hooks.example.com/x"}, "url", "url_credentials"),
    ({"url": "https://hooks.example.com:99999/x"}, "url", "url_port"),
    ({"url": "https://hooks.example.com/a b"}, "url", "url_characters"),
    ({"url": "https://hooks.example.com/\tx"}, "url", "url_characters"),
    ({"url": "https://hooks.example.com/\u0007"}, "url", "text_characters"),
    ({"url": "https://hooks.example.com/\u202ex"}, "url", "text_characters"),
    ({"url": "https://h.example.com/" + "x" * 2048}, "url", "string_too_long"),
    ({"url": 5}, "url", "string_type"),
    ({"events": ["shop.fundd"]}, "events[0]", "known_event_type"),
    ({"events": ["shop.funded", "refund.approved"]}, "events[1]", "known_event_type"),
    ({"events": ["deposit.*", "deposit.*"]}, "events[1]", "unique"),
    ({"events": []}, "events", "too_short"),
    ({"events": ["*"] * 51}, "events", "too_long"),
    ({"events": "*"}, "events", "list_type"),
    ({"secret": "mine"}, "secret", "extra_forbidden"),
]


@pytest.mark.parametrize(("change", "field", "rule"), BAD)
def test_bad_registration_is_refused_and_nothing_stored(
    api: Api, change: dict[str, Any], field: str, rule: str
) -> None:
    r = api.c.post("/v1/webhook-endpoints", headers=api.admin, json={**HOOK, **change})

    assert r.status_code == 422, r.text
    problem = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert problem["code"] == "validation_error"
    assert {"field": field, "rule": rule} in [
        {"field": e["field"], "rule": e["rule"]} for e in problem["errors"]
    ]
    assert endpoints(api) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hooks",
        "https://[2001:db8::1]/hooks",
        "HTTPS://Hooks.Example.com/depositdesk?source=dd",
        "https://bücher.example/hooks",
    ],
)
def test_good_urls_are_taken_as_given(api: Api, url: str) -> None:
    assert register(api, url=url, events=["*"])["url"] == url


@pytest.mark.parametrize(
    "path",
    [
        f"/v1/webhook-endpoints/{UNKNOWN}",
        f"/v1/webhook-endpoints/{UNKNOWN}/deliveries",
    ],
)
def test_unknown_endpoint_is_not_found(api: Api, path: str) -> None:
    r = api.c.get(path, headers=api.admin)
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    r = api.c.post(f"/v1/webhook-endpoints/{UNKNOWN}/disable", headers=api.admin)
    assert r.status_code == 404
    malformed = api.c.get("/v1/webhook-endpoints/whe_XYZ", headers=api.admin)
    assert malformed.status_code == 422


def test_deliveries_show_each_event_newest_first_with_status(api: Api, app: App) -> None:
    endpoint = register(api)
    other = register(api, events=["enforcement.*"])  # does not want shop.funded
    event_ids = [funded(app, f"shop{n}", minutes=n) for n in range(3)]

    page = deliveries(api, endpoint["id"])
    assert [d["event_id"] for d in page["items"]] == event_ids[::-1]
    first = page["items"][0]
    assert first == {
        "id": first["id"],
        "event_id": event_ids[2],
        "type": "shop.funded",
        "created_at": "2026-03-02T09:02:00Z",
        "attempts": 0,
        "status": "pending",
        "sent_at": None,
        "failed_at": None,
        "last_error": None,
        "next_attempt_at": "2026-03-02T09:02:00Z",
    }
    assert deliveries(api, other["id"])["items"] == []
    assert funded(app, "shop0") == event_ids[0]  # the same change: no second event
    assert len(deliveries(api, endpoint["id"])["items"]) == 3

    one = deliveries(api, endpoint["id"], limit=1)
    two = deliveries(api, endpoint["id"], limit=1, cursor=one["next_cursor"])
    assert [one["items"][0]["event_id"], two["items"][0]["event_id"]] == event_ids[:0:-1]
    r = api.c.get(  # a cursor belongs to its list: the failed ones are another
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries",
        headers=api.admin,
        params={"status": "failed", "cursor": one["next_cursor"]},
    )
    assert r.status_code == 422 and r.json()["errors"][0]["rule"] == "cursor"


def test_sent_and_failed_deliveries_are_counted_and_filtered(api: Api, app: App) -> None:
    endpoint = register(api)
    funded(app, "shop1")
    funded(app, "shop2", minutes=1)
    senders = FakeSenders(webhooks=FakeWebhookSender(fail_times=1, status=503))

    report = send_due(app.uow, senders, START + timedelta(minutes=1))

    assert (report.sent, report.retrying) == (1, 1)
    [listed] = endpoints(api)
    assert listed["deliveries"] == {"pending": 1, "sent": 1, "failed": 0}
    [sent] = deliveries(api, endpoint["id"], status="sent")["items"]
    assert sent["sent_at"] == "2026-03-02T09:01:00Z" and sent["next_attempt_at"] is None
    [pending] = deliveries(api, endpoint["id"], status="pending")["items"]
    assert (pending["attempts"], pending["last_error"]) == (1, "HTTP 503: fake receiver failure")
    assert pending["next_attempt_at"] > "2026-03-02T09:01:00Z"
    assert deliveries(api, endpoint["id"], status="failed")["items"] == []
    bad = api.c.get(
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries",
        headers=api.admin,
        params={"status": "lost"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "status"


def test_disabling_stops_new_deliveries_and_fails_the_pending_ones(
    api: Api, app: App, clock: FixedClock
) -> None:
    endpoint = register(api)
    funded(app, "shop1")
    clock.advance(timedelta(minutes=5))

    r = api.c.post(f"/v1/webhook-endpoints/{endpoint['id']}/disable", headers=api.admin)

    assert r.status_code == 200, r.text
    assert r.json()["disabled_at"] == "2026-03-02T09:05:00Z"
    again = api.c.post(f"/v1/webhook-endpoints/{endpoint['id']}/disable", headers=api.admin)
    assert again.json()["disabled_at"] == "2026-03-02T09:05:00Z"  # unchanged
    assert funded(app, "shop2") is None  # nobody else wants it: no event at all
    senders = FakeSenders()
    report = send_due(app.uow, senders, START + timedelta(minutes=6))
    assert (report.claimed, report.failed) == (1, 1) and senders.webhooks.attempts == []
    [failed] = deliveries(api, endpoint["id"], status="failed")["items"]
    assert (failed["last_error"], failed["failed_at"]) == (
        "endpoint disabled",
        "2026-03-02T09:06:00Z",
    )
    assert endpoints(api)[0]["deliveries"] == {"pending": 0, "sent": 0, "failed": 1}
