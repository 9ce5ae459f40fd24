"""Serving under load (issue 9): reads never wait for a writer, one transaction per
request, a revoked token is refused from the next request on. SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import anyio.to_thread
import httpx
import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import DBAPIError

from depositdesk.adapters.db.tables import account_balances, shops
from depositdesk.bootstrap import App
from depositdesk.services.access import Principal, Role
from depositdesk.services.tokens import revoke_token
from depositdesk.services.usecase import run
from tests.conftest import Api

ADMIN = Principal.system(Role.PLATFORM_ADMIN, "test")
# A read that took the write lock would wait for the writer (SQLite's busy timeout is
# 30 s); one that does not answers at once.
PATIENCE_S = 5.0


@contextmanager
def writer_holding_the_lock(app: App, shop_id: str) -> Iterator[None]:
    """Another connection in an open write transaction that changed the shop, as an
    ingestion chunk holds it: BEGIN IMMEDIATE on SQLite (the database's one write lock),
    the shop's row locked by its UPDATE on PostgreSQL. Rolled back on leaving."""
    with app.uow() as writer:
        assert writer.conn is not None
        writer.conn.execute(update(shops).where(shops.c.id == shop_id).values(name="uncommitted"))
        yield


def answered_within(seconds: float, call: Callable[[], httpx.Response]) -> httpx.Response:
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        response = pool.submit(call).result(timeout=seconds)
        assert time.monotonic() - started < seconds
        return response


def test_reads_answer_while_another_connection_holds_an_open_write_transaction(
    api: Api, app: App
) -> None:
    api.seller()
    api.shop("shop1")
    assert api.pay_in("shop1", "500.00").status_code == 201
    owner = api.auth("owner", seller="s1")
    with writer_holding_the_lock(app, "shop1"):
        for path in (
            "/v1/shops/shop1",
            "/v1/shops/shop1/deposit",
            "/v1/shops/shop1/ledger",
            "/v1/shops/shop1/eligibility?kind=full",
            "/v1/shops",
        ):
            r = answered_within(PATIENCE_S, lambda p=path: api.c.get(p, headers=owner))
            assert r.status_code == 200, (path, r.text)
        # The reader sees what was committed, never the writer's change in progress.
        shop = api.c.get("/v1/shops/shop1", headers=owner).json()
        assert shop["name"] == "Shop shop1"
        assert api.c.get("/v1/shops/shop1/deposit", headers=owner).json()["held"] == {
            "amount": "500.00",
            "currency": "GBP",
        }


def _held(conn: Any) -> int:
    """shop1's deposit held, in minor units (a liability: stored as a credit)."""
    b = account_balances.c
    q = select(b.balance_minor).where(b.shop_id == "shop1", b.account == "deposit_held")
    return -int(conn.execute(q).scalar_one())


def test_an_answer_reads_one_snapshot_while_writes_commit(api: Api, app: App) -> None:
    """A read's statements agree with each other: a pay-in committed between two of
    them is seen by neither (SQLite's WAL reader; PostgreSQL's REPEATABLE READ READ
    ONLY), and by the next read."""
    api.seller()
    api.shop("shop1")
    assert api.pay_in("shop1", "500.00").status_code == 201
    with app.uow(read_only=True) as reader:
        first = _held(reader.conn)
        assert api.pay_in("shop1", "100.00").status_code == 201  # commits meanwhile
        assert _held(reader.conn) == first == 50000
    with app.uow(read_only=True) as later:
        assert _held(later.conn) == 60000


@pytest.mark.postgres
def test_a_readers_transaction_refuses_writes_and_its_connection_goes_back_a_writer(
    api: Api, app: App
) -> None:
    """PostgreSQL: a read's transaction is READ ONLY, so a write slipped into a read
    fails instead of committing; the connection then serves writers as before."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("SQLite readers are WAL readers; their writes take the lock as usual")
    api.seller()
    api.shop("shop1")
    with pytest.raises(DBAPIError, match="read-only transaction"), app.uow(read_only=True) as uow:
        assert uow.conn is not None
        uow.conn.execute(update(shops).where(shops.c.id == "shop1").values(name="x"))
    for _ in range(12):  # every connection of the pool, handed out again
        assert api.pay_in("shop1", "1.00").status_code == 201


def test_a_write_waits_for_the_writer_and_then_goes_through(api: Api, app: App) -> None:
    """Writes stay serialised (DEP-3): a pay-in behind an open write transaction
    answers once that transaction ends, and is not lost."""
    api.seller()
    api.shop("shop1")
    with ThreadPoolExecutor(1) as pool, writer_holding_the_lock(app, "shop1"):
        pending = pool.submit(api.pay_in, "shop1", "300.00")
        time.sleep(0.5)
        assert not pending.done()
    assert pending.result(timeout=PATIENCE_S).status_code == 201
    assert api.deposit("shop1")["held"]["amount"] == "300.00"


def _count_begins(app: App) -> tuple[list[int], Callable[[], None]]:
    begins = [0]

    def count(_conn: Any) -> None:
        begins[0] += 1

    event.listen(app.engine, "begin", count)
    return begins, lambda: event.remove(app.engine, "begin", count)


def test_one_request_is_one_transaction(api: Api, app: App) -> None:
    """The token, the clock and the use case share one unit of work."""
    api.seller()
    api.shop("shop1")
    api.pay_in("shop1", "100.00")
    begins, stop = _count_begins(app)
    try:
        for path in ("/v1/shops/shop1/deposit", "/v1/shops/shop1/eligibility?kind=full"):
            begins[0] = 0
            assert api.c.get(path, headers=api.admin).status_code == 200
            assert begins[0] == 1, path
        begins[0] = 0
        assert api.pay_in("shop1", "50.00").status_code == 201
        assert begins[0] == 1
    finally:
        stop()


def test_a_revoked_token_is_refused_from_the_next_request_on(api: Api, app: App) -> None:
    """No token cache (docs/architecture.md): revocation takes effect at once."""
    api.seller()
    owner = api.auth("owner", seller="s1")
    assert api.c.get("/v1/shops", headers=owner).status_code == 200
    token_id = owner["Authorization"].split("_")[1]
    run(app, revoke_token, ADMIN, app.clock.now(), token_id)
    refused = api.c.get("/v1/shops", headers=owner)
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    assert api.c.get("/v1/shops", headers=api.admin).status_code == 200  # others still work


def test_a_pay_in_in_a_code_that_is_not_money_is_refused_naming_the_field(api: Api) -> None:
    api.seller()
    api.shop("shop1")
    for code in ("XAU", "XXX", "XDR"):
        r = api.pay_in("shop1", "100.00", currency=code)
        assert r.status_code == 422
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["code"] == "validation_error"
        [error] = problem["errors"]
        assert error["field"] == "amount.currency"
        assert f"{code} is an ISO 4217 code for" in error["message"]
    assert api.deposit("shop1")["held"]["amount"] == "0.00"


def test_notices_come_a_page_at_a_time_newest_first(api: Api) -> None:
    """Every list pages with limit and cursor (interface.md "Lists")."""
    api.seller()
    for n in (1, 2, 3):
        api.shop(f"shop{n}")
        api.pay_in(f"shop{n}", "1000.00")
        r = api.c.put(
            f"/v1/shops/shop{n}/categories",
            headers=api.admin,
            json={"categories": ["apparel", "jewellery"]},
        )
        assert r.status_code == 200, r.text
    everything = api.c.get("/v1/notices", headers=api.admin).json()
    assert len(everything["items"]) >= 3 and everything["next_cursor"] is None
    paged: list[str] = []
    cursor = None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = api.c.get("/v1/notices", params=params, headers=api.admin).json()
        paged += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == [n["id"] for n in everything["items"]]
    # A cursor is bound to its list: another shop's listing refuses it.
    first = api.c.get("/v1/notices", params={"limit": "1"}, headers=api.admin).json()
    other = api.c.get(
        "/v1/notices",
        params={"shop_id": "shop1", "cursor": first["next_cursor"]},
        headers=api.admin,
    )
    assert other.status_code == 422


def test_a_request_takes_one_trip_to_the_thread_pool(
    api: Api, app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One trip to the thread pool per request (deps.CallRoute): the transaction
    begins, the token is looked up, the use case runs and the transaction ends in the
    endpoint's thread. Each extra trip is two thread switches, the largest fixed cost
    of a small read under load. (Before: three trips, the dependency's entry and exit
    each one of their own.)"""
    api.seller()
    api.shop("shop1")
    api.pay_in("shop1", "100.00")
    trips: list[str] = []
    real = anyio.to_thread.run_sync

    async def counted(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        trips.append(getattr(fn, "__name__", repr(fn)))
        return await real(fn, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    for call in (
        lambda: api.c.get("/v1/shops/shop1/deposit", headers=api.admin),
        lambda: api.c.get("/v1/shops/shop1/eligibility?kind=full", headers=api.admin),
        lambda: api.pay_in("shop1", "50.00"),
    ):
        trips.clear()
        assert call().status_code in (200, 201)
        assert len(trips) == 1, trips
    # An unknown token is refused from the same trip (its refusal is then audited).
    trips.clear()
    refused = api.c.get("/v1/shops/shop1/deposit", headers={"Authorization": "Bearer dds_x"})
    assert refused.status_code == 401
    assert "get_deposit" in trips[0]


def test_an_api_process_freezes_what_it_made_to_start(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The objects a process makes to start (some 280,000) are moved out of the
    garbage collector's reach (asgi.settle_the_heap): a full collection over them
    stopped every request of the process for about 150 ms, every few seconds under
    load. The process still answers."""
    import gc

    from fastapi.testclient import TestClient

    from depositdesk.entrypoints.api import asgi

    monkeypatch.setenv("DEPOSITDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'frozen.db'}")
    monkeypatch.setenv("DEPOSITDESK_DATA_DIR", str(tmp_path))
    gc.unfreeze()
    try:
        api = asgi.create()
        assert gc.get_freeze_count() > 50_000
        with TestClient(api) as client:
            assert client.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()


def test_an_api_process_parses_the_policies_and_builds_the_calendars_at_start(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POL-1, BIZ calendars: what the first request of each process would wait for (the
    packs parsed, which imports every holiday calendar of `holidays` once, and each
    market's business days built) is done before the process serves (asgi.warm_up)."""
    from fastapi.testclient import TestClient

    from depositdesk.adapters.db import repositories
    from depositdesk.bootstrap import build, migrate
    from depositdesk.domain.calendar import _holidays_for
    from depositdesk.entrypoints.api import asgi
    from depositdesk.services import policies
    from depositdesk.settings import Settings
    from tests.conftest import ADMIN, START

    url = f"sqlite:///{tmp_path / 'warm.db'}"
    setup = build(Settings(database_url=url, data_dir=tmp_path))
    migrate(setup)
    run(setup, policies.ensure_default_packs, ADMIN, START)
    setup.engine.dispose()
    monkeypatch.setenv("DEPOSITDESK_DATABASE_URL", url)
    monkeypatch.setenv("DEPOSITDESK_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(repositories, "_parsed", {})
    _holidays_for.cache_clear()
    try:
        api = asgi.create()
        assert len(repositories._parsed) >= 3  # gb, us, cn-crossborder
        assert _holidays_for.cache_info().currsize >= 3  # GB, US, CN
        with TestClient(api) as client:
            assert client.get("/healthz").status_code == 200
    finally:
        import gc

        gc.unfreeze()


def test_a_read_has_a_turn_of_its_own_while_every_write_turn_waits_for_a_lock(
    api: Api, app: App
) -> None:
    """Reads and writes have turns of their own (DEPOSITDESK_API_READERS, the rest of
    the pool for writes): writes queued behind a lock, as many as hold every write turn
    and one more, do not keep a read waiting; they all go through once the lock goes."""
    from dataclasses import replace

    from fastapi.testclient import TestClient

    from depositdesk.entrypoints.api.app import create_app

    api.seller()
    api.shop("shop1")
    small = replace(
        app, settings=app.settings.model_copy(update={"db_pool_size": 3, "api_readers": 1})
    )

    def pay_in(client: TestClient, key: str) -> httpx.Response:
        return client.post(
            "/v1/shops/shop1/deposit/payins",
            headers={**api.integration, "Idempotency-Key": key},
            json={"amount": {"amount": "10.00", "currency": "GBP"}, "reference": f"B-{key}"},
        )

    with TestClient(create_app(small)) as client, ThreadPoolExecutor(3) as pool:
        with writer_holding_the_lock(app, "shop1"):
            writes = [pool.submit(pay_in, client, f"k{n}") for n in range(3)]  # 2 turns + 1
            time.sleep(0.5)
            assert not any(w.done() for w in writes)
            read = answered_within(
                PATIENCE_S, lambda: client.get("/v1/shops/shop1/deposit", headers=api.admin)
            )
            assert read.status_code == 200
            assert read.json()["held"]["amount"] == "0.00"
        assert [w.result(timeout=PATIENCE_S).status_code for w in writes] == [201, 201, 201]
    assert api.deposit("shop1")["held"]["amount"] == "30.00"
