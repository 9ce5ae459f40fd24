"""EVT-1 under any input: arbitrary JSON sent to POST /v1/events never answers 5xx,
and whatever is accepted leaves the shop answering (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from depositdesk.domain.events import EVENT_TYPES
from tests.conftest import Api

NOW = "2026-03-02T08:00:00Z"
JSON = {"content-type": "application/json"}

# Every code point, lone surrogates included (json.dumps escapes them as \udXXX).
text = st.text(st.characters(exclude_categories=()), max_size=12)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True)
    | text
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(text, children, max_size=3),
    max_leaves=12,
)
plausible = st.sampled_from(
    ["o1", "1.00", "999999999999999999.99", "USD", "GBP", "apparel", "v1", "fake", "-1.00"]
)
FIELDS = ["order_id", "amount", "currency", "category", "customer_id", "consumer_loss"]
FIELDS += ["violation_id", "type", "case_id", "fine_id", "reason", "charge_id", "kind"]
events = st.fixed_dictionaries(
    {
        "id": st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=6)
        | values,
        "type": st.sampled_from(EVENT_TYPES) | values,
        "shop_id": st.sampled_from(["shop1", "nope"]) | values,
        "occurred_at": st.sampled_from(
            [NOW, "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-02-30T00:00Z"]
        )
        | values,
        "data": st.dictionaries(st.sampled_from(FIELDS), plausible | values, max_size=6) | values,
    }
)
bodies = st.fixed_dictionaries({"events": st.lists(events | values, max_size=6)}) | values


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(body=bodies)
def test_evt1_any_json_to_events_never_answers_5xx(api: Api, body: Any) -> None:
    if api.c.get("/v1/shops/shop1", headers=api.admin).status_code != 200:
        api.seller()
        api.shop(market="us", categories=["apparel"])
    content = json.dumps(body, allow_nan=True).encode()
    r = api.c.post("/v1/events", headers={**api.integration, **JSON}, content=content)
    assert r.status_code < 500, (content[:300], r.text[:300])
    if r.status_code == 200:
        result = r.json()
        assert result["accepted"] + result["duplicates"] + len(result["rejected"]) == len(
            body["events"]
        )
    assert api.c.get("/v1/shops/shop1/deposit", headers=api.admin).status_code == 200
    assert api.c.get("/v1/shops/shop1/eligibility", headers=api.admin).status_code == 200
