"""EVT-2: any permutation or duplication of an event stream gives the same
projection, balances and eligibility (property test on a real SQLite database)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from depositdesk.adapters.db.engine import make_engine
from depositdesk.adapters.db.tables import orders, shop_records, shop_toggles
from depositdesk.bootstrap import build
from depositdesk.demo.events import (
    EventJson,
    event,
    fine_issued,
    order_placed,
    violation_recorded,
)
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.money import Money
from depositdesk.services import deposits
from depositdesk.services.eligibility import eligibility
from depositdesk.services.ingestion import ingest
from depositdesk.services.usecase import read, run
from depositdesk.settings import Settings
from tests.builders import another_shop, open_shop
from tests.conftest import ADMIN, INTEGRATION

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return NOW - timedelta(days=60) + timedelta(minutes=minutes)


@st.composite
def streams(draw: st.DrawFn) -> list[EventJson]:
    """Events for one shop: orders, cases, disputes, fines, violations, toggles."""
    events: list[EventJson] = []

    def add(type_: str, minutes: int, **data: Any) -> None:
        events.append(event(f"e{len(events) + 1}", type_, "shop1", _at(minutes), **data))

    def add_money(build: Callable[..., EventJson], minutes: int, **fields: Any) -> None:
        events.append(build(f"e{len(events) + 1}", "shop1", _at(minutes), **fields))

    t = st.integers(min_value=0, max_value=60 * 24 * 59)
    for i in range(draw(st.integers(0, 8))):
        oid = f"o{i}"
        add_money(
            order_placed,
            draw(t),
            order_id=oid,
            category=draw(st.sampled_from(["apparel", "jewellery"])),
            amount=Money("GBP", 10_00),
            customer_id="c",
        )
        for step in draw(
            st.lists(
                st.sampled_from(["order.shipped", "order.delivered", "order.cancelled"]), max_size=3
            )
        ):
            add(step, draw(t), order_id=oid)
        if draw(st.booleans()):
            add("after_sales.opened", draw(t), case_id=f"c{i}", order_id=oid)
            if draw(st.booleans()):
                add("after_sales.closed", draw(t), case_id=f"c{i}", order_id=oid)
        if draw(st.booleans()):
            add("dispute.opened", draw(t), dispute_id=f"d{i}", order_id=oid)
            if draw(st.booleans()):
                add("dispute.resolved", draw(t), dispute_id=f"d{i}")
    for i in range(draw(st.integers(0, 3))):
        loss = draw(st.sampled_from([1, 300_00, 2500_00]))
        add_money(
            violation_recorded,
            draw(t),
            violation_id=f"v{i}",
            type="fake",
            consumer_loss=Money("GBP", loss),
        )
        if draw(st.booleans()):
            add("violation.rectified", draw(t), violation_id=f"v{i}")
    for i in range(draw(st.integers(0, 2))):
        add_money(fine_issued, draw(t), fine_id=f"f{i}", amount=Money("GBP", 5_00), reason="x")
        if draw(st.booleans()):
            add("fine.paid", draw(t), fine_id=f"f{i}")
    for _ in range(draw(st.integers(0, 3))):
        add(
            draw(st.sampled_from(["campaign.started", "campaign.stopped"])),
            draw(t),
            campaign_id="camp",
        )
    return events


def _fresh_app(template: Path, folder: str, name: str) -> Any:
    path = Path(folder) / f"{name}.db"
    shutil.copy(template, path)
    app = build(
        Settings(database_url=f"sqlite:///{path}"),
        clock=FixedClock(NOW),
        engine=make_engine(f"sqlite:///{path}"),
    )
    open_shop(app, NOW, ["apparel", "jewellery"])
    run(
        app,
        deposits.pay_in,
        ADMIN,
        NOW,
        "shop1",
        amount="4000.00",
        currency=None,
        reference="R",
        idempotency_key="k",
    )
    return app


def _state(app: Any) -> dict[str, Any]:
    def q(uow: Any) -> dict[str, Any]:
        conn = uow.conn
        return {
            "orders": sorted(tuple(r) for r in conn.execute(select(orders))),
            "records": sorted(tuple(r) for r in conn.execute(select(shop_records))),
            "toggles": sorted(tuple(r) for r in conn.execute(select(shop_toggles))),
            "balances": uow.ledger.balances("shop1"),
        }

    state = read(app, q)
    _assert_balances_are_sums_of_postings(app)
    for kind, category in (("full", None), ("difference", "jewellery")):
        state[kind] = read(app, eligibility, ADMIN, NOW, "shop1", kind=kind, category=category)
    return state


def _assert_balances_are_sums_of_postings(app: Any) -> None:
    """DEP-3 as the ledger endpoint shows it: each entry sums to zero, and each
    balance is the sum of that account's postings over all entries."""
    ledger = read(app, deposits.ledger, ADMIN, NOW, "shop1", cursor=None, limit=500)
    sums: dict[str, int] = {}
    for entry in ledger.entries:
        assert sum(p.amount.minor for p in entry.postings) == 0, entry
        for posting in entry.postings:
            sums[posting.account] = sums.get(posting.account, 0) + posting.amount.minor
    shown = {a: m.minor for a, m in ledger.balances.items()}
    assert shown == sums


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stream=streams(), data=st.data())
def test_evt2_permuted_and_duplicated_streams_give_the_same_state(
    sqlite_template: Path, stream: list[EventJson], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(stream))
    dupes = data.draw(st.lists(st.sampled_from(stream), max_size=5)) if stream else []
    mixed = data.draw(st.permutations(shuffled + dupes))
    chunk = data.draw(st.integers(min_value=1, max_value=7))
    with tempfile.TemporaryDirectory() as folder:
        a = _fresh_app(sqlite_template, folder, "a")
        b = _fresh_app(sqlite_template, folder, "b")
        ra = ingest(a.uow, INTEGRATION, lambda: NOW, stream)
        rb = ingest(b.uow, INTEGRATION, lambda: NOW, mixed, chunk=chunk)
        assert ra.accepted == rb.accepted == len(stream)
        assert rb.duplicates == len(dupes)
        assert _state(a) == _state(b)
        a.engine.dispose()
        b.engine.dispose()


_EXAMPLES = iter(range(10**9))


def _for_shop(stream: list[EventJson], shop_id: str, tag: str) -> list[EventJson]:
    """The stream for another shop: its event ids and the ids in its data made unique
    to `tag` (one per shop and example), so examples share one database."""
    out = []
    for e in stream:
        data = {
            k: f"{tag}{v}" if k.endswith("_id") and isinstance(v, str) else v
            for k, v in e["data"].items()
        }
        out.append({**e, "id": f"{tag}{e['id']}", "shop_id": shop_id, "data": data})
    return out


@pytest.fixture
def pg_two_shops(pg_engine: Any) -> Any:
    from tests.conftest import _truncate

    _truncate(pg_engine)
    app = build(Settings(database_url=str(pg_engine.url)), clock=FixedClock(NOW), engine=pg_engine)
    open_shop(app, NOW, ["apparel", "jewellery"])
    another_shop(app, NOW, ["apparel", "jewellery"])
    return app


@pytest.mark.postgres
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stream=streams(), data=st.data())
def test_evt2_set_based_merge_gives_the_same_orders_in_any_order_on_postgres(
    pg_two_shops: Any, stream: list[EventJson], data: st.DataObject
) -> None:
    """The orders merge (staged by COPY, one INSERT ... ON CONFLICT DO UPDATE a chunk)
    and the records (cases, disputes, fines, violations) give the same rows for a
    stream taken whole and for a permutation with duplicates taken in small chunks."""
    app = pg_two_shops
    n = next(_EXAMPLES)
    shuffled = data.draw(st.permutations(stream))
    dupes = data.draw(st.lists(st.sampled_from(stream), max_size=5)) if stream else []
    mixed = data.draw(st.permutations(shuffled + dupes))
    chunk = data.draw(st.integers(min_value=1, max_value=7))
    a, b = f"a{n}-", f"b{n}-"
    ra = ingest(app.uow, INTEGRATION, lambda: NOW, _for_shop(stream, "shop1", a))
    rb = ingest(app.uow, INTEGRATION, lambda: NOW, _for_shop(mixed, "shop2", b), chunk=chunk)
    assert ra.accepted == rb.accepted == len(stream)
    assert rb.duplicates == len(dupes)

    def rows(table: Any, shop_id: str, tag: str) -> list[tuple[Any, ...]]:
        key = table.c.order_id if table is orders else table.c.record_id

        def q(uow: Any) -> list[tuple[Any, ...]]:
            found = uow.conn.execute(
                select(table).where(table.c.shop_id == shop_id, key.like(f"{tag}%"))
            )
            return sorted(
                tuple(v.replace(tag, "") if isinstance(v, str) else v for v in r[1:]) for r in found
            )

        return read(app, q)  # type: ignore[no-any-return]

    assert rows(orders, "shop1", a) == rows(orders, "shop2", b)
    # Cases, disputes, fines and violations: looked up by key arrays and upserted from
    # a staging table on PostgreSQL.
    assert rows(shop_records, "shop1", a) == rows(shop_records, "shop2", b)
