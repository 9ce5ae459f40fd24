"""Hostile input: schemathesis fuzzes every operation of the OpenAPI document, in-process.

Each run goes through the ASGI app (no server) with a fixed seed: as a platform admin, as
the integration token, as a seller owner, and once more as a platform admin in an app with
the sandbox clock on (without it the clock endpoints answer 404). First a seller `s1`, its
shop `shop1` (market `gb`, category `apparel`), a pay-in and a few orders are made. Per
operation it sends the schemathesis coverage cases (boundary values, missing and wrongly
typed fields, other methods) and a bounded number of fuzzed cases, positive and negative;
half of the fuzzed cases aim at the records above (`shop_id=shop1`, `seller_id=s1`,
`pack=gb`; in positive cases also the body's market, currency, amount, categories and
well-formed events, and `<payload>.<signature>`-shaped page cursors), the rest at
generated ids.

A case fails on any 5xx, a response that does not match its documented schema, an
undocumented status code or an undocumented content type. Every failure is collected and
reported at the end, grouped, each with method, path, status, a short body and a curl line.

`DEPOSITDESK_FUZZ_EXAMPLES` sets the fuzzed cases per operation (default 10, as in
`make test`; `make fuzz` runs many more). `DEPOSITDESK_FUZZ_POSTGRES=1` also fuzzes on
PostgreSQL (`make fuzz` sets it); by default only SQLite, to keep `make test` fast.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import structlog
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.generation.drivers import CoverageGenerator
from schemathesis.generation.feedback import FeedbackSources
from schemathesis.generation.overrides import Override
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Engine

import depositdesk
from depositdesk.bootstrap import build
from depositdesk.domain.events import EVENT_TYPES
from depositdesk.entrypoints.api.app import create_app
from depositdesk.services import policies
from depositdesk.services.tokens import create_token
from depositdesk.services.usecase import run
from depositdesk.settings import Settings
from tests.builders import ev, placed
from tests.conftest import ADMIN, START, Api, TokenFactory

SEED = 20260302
EXAMPLES = int(os.environ.get("DEPOSITDESK_FUZZ_EXAMPLES", "10"))
POSTGRES = os.environ.get("DEPOSITDESK_FUZZ_POSTGRES", "") not in ("", "0")


def _load_depositdesk() -> None:
    """Import every module of the package (the migrations excepted: Alembic runs those).

    Hypothesis now and then draws a constant found in the local modules that are loaded;
    with all of them loaded, a seed gives the same cases whether this file runs alone or
    in the whole suite.
    """
    for module in pkgutil.walk_packages(depositdesk.__path__, "depositdesk."):
        if not module.name.startswith("depositdesk.adapters.migrations"):
            importlib.import_module(module.name)


_load_depositdesk()

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLES = ["platform_admin", "integration", "owner"]
DATABASES = [
    "sqlite",
    *([pytest.param("postgres", marks=pytest.mark.postgres)] if POSTGRES else []),
]
# The records made before fuzzing, by parameter name (path or query).
REAL = {"shop_id": "shop1", "seller_id": "s1", "pack": "gb"}
GB_CATEGORIES = ["apparel", "home", "beauty", "food", "electronics", "jewellery", "nope"]
# Well-formed GBP amounts and some to be refused (exponent, zero, wrong decimals, too large).
AMOUNTS = ["0.01", "20.00", "500.00", "1500.00", "1e6", "0.00", "5", "5.001", "9" * 16 + ".99"]


@dataclass(frozen=True)
class Found:
    """One failing case, enough to reproduce it by hand."""

    role: str
    operation: str
    path: str
    status: int
    body: str
    failures: tuple[str, ...]
    curl: str

    def key(self) -> tuple[str, int, tuple[str, ...]]:
        return (self.operation, self.status, tuple(f.splitlines()[0] for f in self.failures))


def _short(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# Events of every known type for `shop1`, carrying every data field any type takes (extra
# fields are ignored), drawn from small pools so that they refer to each other (an order
# placed, then delivered, a case on it); now and then one field is left out.
_IDS = st.sampled_from(["o1", "o2", "o3", "x-1"])
_TEXT = st.one_of(st.just("late dispatch"), st.text(min_size=1, max_size=20))
_EVENT_FIELDS = {
    "order_id": _IDS,
    "case_id": _IDS,
    "dispute_id": _IDS,
    "complaint_id": _IDS,
    "fine_id": _IDS,
    "violation_id": _IDS,
    "charge_id": _IDS,
    "campaign_id": _IDS,
    "creator_id": _IDS,
    "ticket_id": _IDS,
    "customer_id": _IDS,
    "category": st.sampled_from(GB_CATEGORIES),
    "amount": st.sampled_from(AMOUNTS),
    "consumer_loss": st.sampled_from(AMOUNTS),
    "currency": st.sampled_from(["GBP", "GBP", "GBP", "CNY"]),
    "type": st.sampled_from(["counterfeit", "late_dispatch"]),
    "kind": st.sampled_from(["ads", "logistics"]),
    "reason": _TEXT,
    "subject": _TEXT,
}
_EVENT_DATA = st.tuples(
    st.fixed_dictionaries(_EVENT_FIELDS), st.sampled_from([None, None, None, *_EVENT_FIELDS])
).map(lambda pair: {k: v for k, v in pair[0].items() if k != pair[1]})
_EVENTS = st.lists(
    st.fixed_dictionaries(
        {
            "id": st.one_of(st.uuids().map(str), st.just("dup-1")),
            "type": st.sampled_from(EVENT_TYPES),
            "shop_id": st.sampled_from(["shop1", "shop1", "shop1", "nope"]),
            "occurred_at": st.integers(-400 * 24, 30 * 24).map(
                lambda h: (START + timedelta(hours=h)).isoformat().replace("+00:00", "Z")
            ),
            "data": _EVENT_DATA,
        }
    ),
    max_size=8,
)


def _aim_body(draw: Callable[[st.SearchStrategy[Any]], Any], body: Any) -> Any:
    """The body with its ids, market, money and events pointed at the records that exist."""
    if isinstance(body, list):
        return [_aim_body(draw, item) for item in body]
    if not isinstance(body, dict):
        return body
    out = {k: _aim_body(draw, v) for k, v in body.items()}
    if "events" in out:
        out["events"] = draw(_EVENTS)
    if {"amount", "currency"} <= set(out):
        out.update(amount=draw(st.sampled_from(AMOUNTS)), currency="GBP")
    for name, value in (("seller_id", "s1"), ("shop_id", "shop1"), ("market", "gb")):
        if name in out:
            out[name] = value
    if "categories" in out:
        out["categories"] = draw(st.lists(st.sampled_from(GB_CATEGORIES), min_size=1, max_size=3))
    return out


# Page cursors are `<payload>.<signature>`: text around a dot reaches the signature check.
_CURSORS = st.one_of(
    st.text(max_size=40),
    st.builds("{}.{}".format, st.text(max_size=40), st.text(max_size=60)),
)


@st.composite
def _aimed(draw: st.DrawFn, strategy: st.SearchStrategy[Any], cursor: bool) -> Any:
    case = draw(strategy)
    if case.meta.generation.mode is GenerationMode.POSITIVE:
        if isinstance(case.body, dict):
            case.body = _aim_body(draw, case.body)
        if cursor:
            case.query = {**(case.query or {}), "cursor": draw(_CURSORS)}
    return case


def _strategy(operation: Any) -> st.SearchStrategy[Any]:
    """Positive and negative cases; half of them aimed at the records that exist."""
    names = {(p.location.value, p.name) for p in operation.iter_parameters()}
    path = {n: v for n, v in REAL.items() if ("path", n) in names} or None
    query = {n: v for n, v in REAL.items() if ("query", n) in names} or None
    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategies.append(operation.as_strategy(generation_mode=mode))
        aimed = operation.as_strategy(generation_mode=mode, path_parameters=path, query=query)
        strategies.append(_aimed(aimed, cursor=("query", "cursor") in names))
    return st.one_of(strategies)


def _coverage(schema: Any, operation: Any) -> CoverageGenerator:
    """The coverage phase's deterministic cases, as `schema.parametrize()` sends them first
    (its generator is not exported at the top level of schemathesis)."""
    return CoverageGenerator(
        operation=operation,
        generation_modes=list(GenerationMode),
        generation_config=schema.config.generation_for(operation=operation, phase="coverage"),
        auth_storage=None,
        override=Override(),
        feedback=FeedbackSources(),
    )


def _fuzz(schema: Any, headers: dict[str, str], role: str) -> list[Found]:
    found: list[Found] = []

    def check(case: Any) -> None:
        response = case.call(headers=headers)
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except FailureGroup as group:
            failures: tuple[Failure, ...] = tuple(group.exceptions)
        except Failure as failure:
            failures = (failure,)
        else:
            return
        request = response.request
        found.append(
            Found(
                role=role,
                operation=f"{case.method.upper()} {case.operation.path}",
                path=_short(request.path_url, 200),
                status=response.status_code,
                body=_short(response.content.decode("utf-8", "replace")),
                failures=tuple(_short(f"{f.title}: {f.message}", 600) for f in failures),
                curl=_short(case.as_curl_command(headers=dict(request.headers)), 1200),
            )
        )

    for result in schema.get_all_operations():
        operation = result.ok()
        for case in _coverage(schema, operation):
            check(case)

        @seed(SEED)
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
            print_blob=False,
        )
        @given(case=_strategy(operation))
        def fuzz(case: Any) -> None:
            check(case)

        fuzz()
    return found


def _report(found: list[Found]) -> str:
    groups: dict[tuple[str, int, tuple[str, ...]], list[Found]] = {}
    for f in found:
        groups.setdefault(f.key(), []).append(f)
    lines = [f"{len(found)} failing cases in {len(groups)} groups (seed {SEED}):"]
    for cases in groups.values():
        first = cases[0]
        roles = sorted({c.role for c in cases})
        lines.append(f"\n- {first.operation} -> {first.status}: {len(cases)}x as {roles}")
        lines.append(f"  e.g. {first.path}")
        lines.append(f"  body: {first.body}")
        lines.extend(f"  {line}" for f in first.failures for line in f.splitlines() if line)
        lines.append(f"  reproduce (as {first.role}): {first.curl}")
    return "\n".join(lines)


def _seed(api: Api) -> Api:
    api.seller("s1")
    api.shop("shop1", "s1", market="gb", categories=["apparel"])
    r = api.pay_in("shop1", "500.00")
    assert r.status_code == 201, r.text
    api.events(
        placed("e1", "o1", "2026-02-20T10:00:00Z"),
        ev("e2", "order.delivered", "2026-02-25T10:00:00Z", order_id="o1"),
        placed("e3", "o2", "2026-03-01T10:00:00Z"),
        ev("e4", "after_sales.opened", "2026-03-01T11:00:00Z", case_id="c1", order_id="o2"),
    )
    return api


@pytest.fixture
def seeded(client: TestClient, auth: TokenFactory) -> Iterator[Api]:
    yield _seed(Api(client, auth))
    asgi.shutdown_lifespans()  # schemathesis keeps each app's lifespan until stopped


@pytest.fixture
def sandboxed(engine: Engine, tmp_path: Path) -> Iterator[Api]:
    """The same records in an app with the sandbox clock (real time plus an offset)."""
    settings = Settings(database_url=str(engine.url), data_dir=tmp_path / "data", sandbox=True)
    app = build(settings, engine=engine)
    run(app, policies.ensure_default_packs, ADMIN, app.now_refreshed())

    def auth(role: str, seller: str | None = None) -> dict[str, str]:
        issued = run(app, create_token, ADMIN, app.now_refreshed(), role=role, seller_id=seller)
        return {"Authorization": f"Bearer {issued.token}"}

    with TestClient(create_app(app)) as client:
        yield _seed(Api(client, auth))
    asgi.shutdown_lifespans()


@contextmanager
def _plain_tracebacks() -> Iterator[None]:
    """The app logs each 5xx with its traceback; structlog's default console renderer
    draws it with rich and every local (seconds each), so plain ones while fuzzing."""
    saved = structlog.get_config()
    plain = structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    processors = [
        plain if isinstance(p, structlog.dev.ConsoleRenderer) else p for p in saved["processors"]
    ]
    structlog.configure(processors=processors)
    try:
        yield
    finally:
        structlog.configure(**saved)


def _run(api: Api, headers: dict[str, str], role: str) -> None:
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", api.c.app, config=schemathesis.Config(seed=SEED)
    )
    with _plain_tracebacks():
        found = _fuzz(schema, headers, role)
    assert not found, _report(found)


@pytest.mark.parametrize("engine", DATABASES, indirect=True)
@pytest.mark.parametrize("role", ROLES)
def test_fuzz_the_openapi_document(seeded: Api, auth: TokenFactory, role: str) -> None:
    _run(seeded, auth(role, seller="s1" if role == "owner" else None), role)


@pytest.mark.parametrize("engine", DATABASES, indirect=True)
def test_fuzz_with_the_sandbox_clock(sandboxed: Api) -> None:
    """As a platform admin, with DEPOSITDESK_SANDBOX=1: the clock endpoints answer too."""
    _run(sandboxed, sandboxed.admin, "platform_admin (sandbox)")
