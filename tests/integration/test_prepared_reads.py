"""Hot reads run as statements compiled once (adapters/db/prepared.py): they must give
exactly what SQLAlchemy Core gives for the same statement, on SQLite and PostgreSQL,
inside the unit of work's transaction (issue 9)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, bindparam, insert, literal_column, select

from depositdesk.adapters.db.prepared import Prepared, flush_ahead, read_ahead, together
from depositdesk.adapters.db.tables import idempotency_keys, orders, shops
from depositdesk.bootstrap import App
from depositdesk.services.deposits import PayIn

SHOP_BY_ID = select(shops).where(shops.c.id == bindparam("shop_id"))
RUNNING = (
    select(orders.c.order_id, orders.c.after_sales_ends_at, orders.c.amount_minor)
    .where(
        orders.c.shop_id == bindparam("shop_id"), orders.c.after_sales_ends_at > bindparam("now")
    )
    .order_by(orders.c.after_sales_ends_at.desc(), orders.c.order_id)
    .limit(bindparam("limit"))
)


def _orders(app: App, now: datetime) -> None:
    with app.engine.begin() as conn:
        conn.execute(
            insert(orders),
            [
                {
                    "shop_id": "shop1",
                    "order_id": f"o-{i}",
                    "state": "delivered",
                    "category": "apparel",
                    "amount_minor": 100 + i,
                    "currency": "GBP",
                    "customer_id": None,
                    "placed_at": now - timedelta(days=10),
                    "placed_event": f"e-{i}",
                    "delivered_at": now - timedelta(days=5),
                    "after_sales_ends_at": now + timedelta(days=i - 2, microseconds=7),
                }
                for i in range(6)
            ],
        )


def _shop_with_orders(app: App, api: Any) -> tuple[datetime, Prepared, Prepared]:
    """shop1 with six delivered orders; now, and the two statements prepared."""
    api.seller()
    api.shop()
    now = app.clock.now()
    _orders(app, now)
    return now, Prepared(SHOP_BY_ID), Prepared(RUNNING)


def _open_order(order_id: str, now: datetime) -> Any:
    """shop1's delivered order `order_id`, its after-sales period running a day more."""
    return insert(orders).values(
        shop_id="shop1",
        order_id=order_id,
        state="delivered",
        category="apparel",
        amount_minor=1,
        currency="GBP",
        placed_at=now,
        placed_event=f"e-{order_id}",
        after_sales_ends_at=now + timedelta(days=1),
    )


@contextmanager
def _reading(app: App) -> Iterator[Connection]:
    with app.uow(read_only=True) as uow:
        assert uow.conn is not None
        yield uow.conn


def test_prepared_reads_equal_core_reads(app: App, api) -> None:
    """The shop row (text, booleans, aware datetimes, JSON-ish columns) and a page of
    orders with a datetime parameter and a limit: same rows, same types, as Core."""
    now, shop_q, running_q = _shop_with_orders(app, api)
    with _reading(app) as conn:
        core_shop = dict(conn.execute(SHOP_BY_ID, {"shop_id": "shop1"}).mappings().one())
        assert shop_q.first(conn, shop_id="shop1") == core_shop
        assert shop_q.first(conn, shop_id="nope") is None
        for limit in (1, 3, 10):
            core = [
                tuple(r)
                for r in conn.execute(RUNNING, {"shop_id": "shop1", "now": now, "limit": limit})
            ]
            mine = running_q.rows(conn, shop_id="shop1", now=now, limit=limit)
            assert mine == core
            # orders 2 to 5: order 2 ends 7 µs after now, which the parameter keeps
            assert len(mine) == min(limit, 4)
        when = running_q.rows(conn, shop_id="shop1", now=now, limit=1)[0][1]
        assert when.tzinfo is UTC and when.microsecond == 7
        assert core_shop["created_at"].tzinfo is UTC


def test_reads_taken_together_equal_each_taken_alone(app: App, api) -> None:
    """`together` (one round trip on PostgreSQL, psycopg's pipeline mode) gives each
    statement's rows in order, as `raw` gives them alone; `convert` turns one into
    Core's values. An empty answer, one statement and none work too."""
    now, shop_q, running_q = _shop_with_orders(app, api)
    with _reading(app) as conn:
        page = {"shop_id": "shop1", "now": now, "limit": 3}
        calls = [
            (running_q, page),
            (shop_q, {"shop_id": "nope"}),
            (shop_q, {"shop_id": "shop1"}),
            (running_q, {**page, "limit": 10}),
        ]
        alone = [prepared.raw(conn, **params)[0] for prepared, params in calls]
        both = together(conn, *calls)
        assert [list(map(tuple, rows)) for rows in both] == [
            list(map(tuple, rows)) for rows in alone
        ]
        assert [len(rows) for rows in both] == [3, 0, 1, 4]
        assert running_q.convert(conn, both[0][0]) == running_q.rows(conn, **page)[0]
        assert together(conn, (shop_q, {"shop_id": "shop1"}))[0][0][0] == "shop1"
        assert together(conn) == []


def test_a_prepared_read_sees_its_own_transactions_writes(app: App, api) -> None:
    """It runs on the unit of work's connection: an uncommitted write is visible to
    it, and gone after the rollback."""
    api.seller()
    api.shop()
    now = app.clock.now()
    running_q = Prepared(RUNNING)
    with app.uow() as uow:
        conn = uow.conn
        assert conn is not None
        conn.execute(_open_order("fresh", now))
        assert [r[0] for r in running_q.rows(conn, shop_id="shop1", now=now, limit=5)] == ["fresh"]
        uow.rollback()
    with app.uow(read_only=True) as uow:
        assert uow.conn is not None
        assert running_q.rows(uow.conn, shop_id="shop1", now=now, limit=5) == []


def test_a_prepared_read_refuses_what_it_cannot_keep(engine: Engine) -> None:
    """A list parameter (its SQL depends on the list) is refused when first compiled;
    a parameter left out is an error, never a silent NULL."""
    listed = Prepared(select(shops.c.id).where(shops.c.id.in_(["a", "b"])))
    constant = Prepared(
        select(shops.c.id).where(shops.c.id.in_([literal_column("'a'"), literal_column("'b'")]))
    )
    with engine.connect() as conn:
        with pytest.raises(ValueError, match="list parameters"):
            listed.rows(conn)
        assert constant.rows(conn) == []
        with pytest.raises(KeyError, match="shop_id"):
            Prepared(SHOP_BY_ID).rows(conn)


def test_a_read_queued_ahead_rides_with_the_next_read(app: App, api) -> None:
    """`read_ahead` (PostgreSQL, in a unit of work): the queued read runs after the
    next prepared read, in its round trip, and hands its rows, converted, to `take`;
    those rows are what the read gives alone. Elsewhere it says no."""
    now, shop_q, running_q = _shop_with_orders(app, api)
    page = {"shop_id": "shop1", "now": now, "limit": 10}
    taken: list[list[tuple[Any, ...]]] = []
    with _reading(app) as conn:
        alone = running_q.rows(conn, **page)
        queued = read_ahead(conn, running_q, page, taken.append)
        assert queued is (app.engine.dialect.name == "postgresql")
        if not queued:
            return
        assert taken == []  # nothing sent yet
        assert shop_q.first(conn, shop_id="shop1") is not None
        assert taken == [alone]
        flush_ahead(conn)  # nothing left: no second delivery
        assert taken == [alone]


def test_a_read_queued_ahead_runs_after_the_read_it_rides_with(app: App, api) -> None:
    """The order that makes a money write's balances current: queued before the
    shop's lock, read under it. Here the ride is a write's own read: the queued read
    sees the write made before it was sent."""
    api.seller()
    api.shop()
    now = app.clock.now()
    running_q = Prepared(RUNNING)
    taken: list[list[tuple[Any, ...]]] = []
    with app.uow() as uow:
        conn = uow.conn
        assert conn is not None
        page = {"shop_id": "shop1", "now": now, "limit": 5}
        if not read_ahead(conn, running_q, page, taken.append):
            pytest.skip("reads ahead on PostgreSQL only")
        conn.execute(_open_order("late", now))
        flush_ahead(conn)
        assert [row[0] for row in taken[0]] == ["late"]


def test_a_unit_of_work_answers_from_reads_ahead(app: App, api) -> None:
    """The repositories' reads ahead (policy checksums, a shop's categories and
    balances) answer as their own reads do, and leave nothing queued behind."""
    api.seller()
    api.shop()
    assert api.pay_in("shop1", "10.00", key="k1").status_code == 201
    with app.uow(read_only=True) as uow:
        versions = [p.ref for p in uow.policies.versions()]
        categories = uow.shops.categories("shop1")
        balances = uow.ledger.balances("shop1")
        stored = uow.idempotency.get("platform:payins", "k1", PayIn)
    assert stored is not None
    with app.uow(read_only=True) as uow:
        uow.policies.read_ahead()
        uow.shops.read_ahead("shop1")
        uow.ledger.read_ahead("shop1")
        uow.idempotency.read_ahead("platform:payins", "k1")
        uow.idempotency.read_ahead("platform:payins", "never-used")
        assert uow.shops.get("shop1") is not None
        assert [p.ref for p in uow.policies.versions()] == versions
        assert uow.shops.categories("shop1") == categories
        assert uow.ledger.balances("shop1") == balances
        assert uow.idempotency.get("platform:payins", "k1", PayIn) == stored
        assert uow.idempotency.get("platform:payins", "never-used", PayIn) is None
        assert uow.conn is not None
        assert not uow.conn.info.get("depositdesk_read_ahead")


def test_a_write_behind_goes_with_the_commit_and_a_rollback_drops_it(
    app: App, api, engine: Engine
) -> None:
    """PostgreSQL: an idempotency record is written with the commit's round trip, so
    nothing is sent when `put` is called; it is there once the unit of work commits,
    and never if it rolls back. SQLite writes it at once, in the same transaction."""
    api.seller()
    api.shop()
    now = app.clock.now()
    postgres = engine.dialect.name == "postgresql"

    def seen(key: str) -> bool:
        with engine.connect() as other:
            found = other.execute(
                select(idempotency_keys.c.key).where(idempotency_keys.c.key == key)
            ).first()
        return found is not None

    for commit in (False, True):
        key = f"behind-{commit}"
        with app.uow() as uow:
            uow.idempotency.put("test:behind", key, "h", {"n": 1}, now)
            assert uow.conn is not None
            assert bool(uow.conn.info.get("depositdesk_write_behind")) is postgres
            if commit:
                uow.commit()
        assert seen(key) is commit
