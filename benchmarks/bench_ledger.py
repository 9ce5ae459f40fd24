"""Ledger benchmark (issue 9): money events against order events, a deduction on a
shop with a long history against one on a new shop, and one pay-in against pgledger.

1. **Violations at the speed of orders** (SQLite and PostgreSQL). Twenty gb shops,
   each paid 4,000 GBP in through the services. Baseline: N `order.placed` events
   (default 100,000) through the real `ingest()` (in its chunks of 10,000), into a
   fresh database, run before and after (the mean is used: the machine drifts). Then N
   `violation.recorded` events over the same shops (losses of 5-80 GBP: the deposits
   run out and receivables grow, so most deductions also issue a top-up notice), each
   a deduction with its entry, its notice and email, its webhooks and the funding
   review. Target: violations/s >= 0.5 x orders/s.
2. **A deduction on a shop with 1,000,000 ledger entries** against one on a new shop
   (SQLite and PostgreSQL). The big shop's history is written in bulk (SQL, two
   postings an entry, its running balances set to their sums); then one
   `violation.recorded` at a time through `ingest()` (a transaction each), alternating
   between the big and the new shop, 200 each (`--deductions`); the medians compared.
   Target: big / new <= 1.5.
3. **One pay-in against pgledger** (PostgreSQL). pgledger (shared/bench/pgledger, SQL
   functions) is loaded into a scratch database of the same server; N transfers
   (default 2,000), one transaction each on one connection, before and after N
   `deposits.pay_in` through `run` (one unit of work each, as the API runs it).
   Target: pay-ins/s >= 1.0 x pgledger's transfers/s. Informative: pay-in entries
   booked in batches of 1,000 (`uow.ledger.post_many`), the issue's 10,000/s.

`--profile` prints a cProfile of the violations' ingestion (SQLite).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import structlog
from sqlalchemy import Engine, make_url, text
from sqlalchemy.exc import OperationalError

from benchmarks._common import ADMIN, INTEGRATION, Report, say
from benchmarks.bench_timer_sweep import PG_URL, postgres_engine, sqlite_engine
from depositdesk.adapters.db.engine import upgrade
from depositdesk.bootstrap import App, build
from depositdesk.demo.events import EventJson, order_placed, violation_recorded
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.ledger import payin_entry
from depositdesk.domain.money import Money
from depositdesk.services import deposits, policies
from depositdesk.services.ingestion import ingest
from depositdesk.services.sellers import create_seller
from depositdesk.services.shops import create_shop
from depositdesk.services.usecase import run
from depositdesk.settings import Settings

EVENTS = 100_000
HISTORY = 1_000_000
DEDUCTIONS = 200
PAYINS = 2_000
SHOPS = 20
RATE_TARGET = 0.5
HISTORY_TARGET = 1.5
PAYIN_TARGET = 1.0
NOW = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
T0 = NOW - timedelta(days=300)
PGLEDGER = Path(__file__).resolve().parents[2] / "shared" / "bench" / "pgledger"

Databases = dict[str, Callable[[], AbstractContextManager[Engine]]]
DATABASES: Databases = {"SQLite": sqlite_engine, "PostgreSQL": postgres_engine}


def _app(engine: Engine, shops: list[str], deposit: str = "4000.00") -> App:
    upgrade(engine)
    app = build(Settings(database_url=str(engine.url)), clock=FixedClock(NOW), engine=engine)
    run(app, policies.ensure_default_packs, ADMIN, T0)
    run(
        app,
        create_seller,
        ADMIN,
        T0,
        id="bench-seller",
        name="Bench Seller",
        email="bench@example.com",
        language="en",
    )
    for shop_id in shops:
        run(
            app,
            create_shop,
            ADMIN,
            T0,
            id=shop_id,
            seller_id="bench-seller",
            name=f"Shop {shop_id}",
            market="gb",
            categories=["apparel"],
        )
        if deposit:
            run(
                app,
                deposits.pay_in,
                ADMIN,
                T0,
                shop_id,
                amount=deposit,
                currency=None,
                reference=f"bench {shop_id}",
                idempotency_key=f"bench-{shop_id}",
            )
    return app


def shop_ids(n: int = SHOPS) -> list[str]:
    return [f"lb-{i:02d}" for i in range(n)]


def _at(i: int, n: int) -> datetime:
    return T0 + timedelta(days=1) + timedelta(seconds=i * (250 * 86_400 // max(n, 1)))


def orders(n: int, shops: list[str]) -> list[EventJson]:
    return [
        order_placed(
            f"o-{i:08d}",
            shops[i % len(shops)],
            _at(i, n),
            order_id=f"ord-{i:08d}",
            category="apparel",
            amount=Money("GBP", 1000 + i % 40_000),
            customer_id=f"cus-{i % 5000:05d}",
        )
        for i in range(n)
    ]


def violations(n: int, shops: list[str], prefix: str = "v") -> list[EventJson]:
    return [
        violation_recorded(
            f"{prefix}-{i:08d}",
            shops[i % len(shops)],
            _at(i, n),
            violation_id=f"{prefix}-{i:08d}",
            type="misleading_listing",
            consumer_loss=Money("GBP", 500 + (i * 7919) % 7500),
        )
        for i in range(n)
    ]


def _ingest(app: App, events: list[EventJson]) -> float:
    started = time.perf_counter()
    result = ingest(app.uow, INTEGRATION, lambda: NOW, events)
    elapsed = time.perf_counter() - started
    if result.accepted != len(events):
        raise SystemExit(
            f"ingestion took {result.accepted} of {len(events)}: {result.rejected[:3]}"
        )
    return elapsed


# -- 1. violations against orders ------------------------------------------------------


def violations_vs_orders(
    name: str, database: Callable[[], AbstractContextManager[Engine]], n: int, profile: bool
) -> list[tuple[str, str, str, bool | None]]:
    shops = shop_ids()
    order_events, violation_events = orders(n, shops), violations(n, shops)
    times: list[float] = []
    for label in ("orders (1/2)", "violations", "orders (2/2)"):
        with database() as engine:
            app = _app(engine, shops)
            events = violation_events if label == "violations" else order_events
            say(f"[ledger] {name}: {n:,} {label} ...")
            profiler = cProfile.Profile() if profile and label == "violations" else None
            if profiler is not None:
                profiler.enable()
            seconds = _ingest(app, events)
            if profiler is not None:
                profiler.disable()
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(40)
                print(out.getvalue())
            say(f"[ledger]   {n / seconds:,.0f} events/s")
            times.append(seconds)
    order_rate = n / ((times[0] + times[2]) / 2)
    violation_rate = n / times[1]
    ratio = violation_rate / order_rate
    return [
        (f"{name}: order.placed through ingest()", f"{order_rate:,.0f} events/s", "", None),
        (
            f"{name}: violation.recorded through ingest()",
            f"{violation_rate:,.0f} events/s",
            "",
            None,
        ),
        (
            f"{name}: violations / orders",
            f"{ratio:.2f}",
            f">= {RATE_TARGET}",
            ratio >= RATE_TARGET,
        ),
    ]


# -- 2. a deduction on a long history ---------------------------------------------------


def _write_history(engine: Engine, shop_id: str, entries: int) -> None:
    """`entries` pay-in entries of 1.00 (two postings each) in bulk, and the shop's
    running balances set to the sums, as the services would have left them."""
    postgres = engine.dialect.name == "postgresql"
    series = (
        "SELECT g AS n FROM generate_series(1, :n) AS g"
        if postgres
        else "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :n) "
        "SELECT n FROM s"
    )
    at = "2026-01-01 00:00:00"
    with engine.begin() as conn:
        top = conn.execute(text("SELECT coalesce(max(id), 0) FROM journal_entries")).scalar_one()
        conn.execute(
            text(
                "INSERT INTO journal_entries (id, shop_id, kind, memo, at, source) "
                "SELECT :top + n, :shop, 'payin', 'history', :at, 'bench:' || n "
                f"FROM ({series}) AS q"
            ),
            {"top": top, "shop": shop_id, "n": entries, "at": at},
        )
        for account, sign in (("cash", 1), ("deposit_held", -1)):
            conn.execute(
                text(
                    "INSERT INTO postings (entry_id, shop_id, account, currency, amount_minor) "
                    f"SELECT :top + n, :shop, :account, 'GBP', :amount FROM ({series}) AS q"
                ),
                {
                    "top": top,
                    "shop": shop_id,
                    "n": entries,
                    "account": account,
                    "amount": 100 * sign,
                },
            )
        if postgres:
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('journal_entries', 'id'), "
                    "(SELECT max(id) FROM journal_entries))"
                )
            )
        conn.execute(text("DELETE FROM account_balances WHERE shop_id = :shop"), {"shop": shop_id})
        conn.execute(
            text(
                "INSERT INTO account_balances (shop_id, account, currency, balance_minor) "
                "SELECT shop_id, account, currency, SUM(amount_minor) FROM postings "
                "WHERE shop_id = :shop GROUP BY shop_id, account, currency"
            ),
            {"shop": shop_id},
        )
    if postgres:
        with engine.connect() as conn:
            conn.execute(text("COMMIT"))
            conn.exec_driver_sql("ANALYZE journal_entries")
            conn.exec_driver_sql("ANALYZE postings")


def deduction_on_history(
    name: str, database: Callable[[], AbstractContextManager[Engine]], history: int, k: int
) -> list[tuple[str, str, str, bool | None]]:
    with database() as engine:
        app = _app(engine, ["lb-big", "lb-new"])
        say(f"[ledger] {name}: writing {history:,} entries of history to lb-big ...")
        started = time.perf_counter()
        _write_history(engine, "lb-big", history)
        say(f"[ledger]   {time.perf_counter() - started:.1f}s")
        big_events = violations(k, ["lb-big"], "vb")
        new_events = violations(k, ["lb-new"], "vn")
        big: list[float] = []
        new: list[float] = []
        for i in range(k):
            new.append(_ingest(app, [new_events[i]]))
            big.append(_ingest(app, [big_events[i]]))
    big_ms, new_ms = statistics.median(big) * 1000, statistics.median(new) * 1000
    ratio = big_ms / new_ms
    return [
        (f"{name}: one deduction, new shop (median)", f"{new_ms:.2f} ms", "", None),
        (f"{name}: one deduction, {history:,} entries (median)", f"{big_ms:.2f} ms", "", None),
        (
            f"{name}: long history / new",
            f"{ratio:.2f}",
            f"<= {HISTORY_TARGET}",
            ratio <= HISTORY_TARGET,
        ),
    ]


# -- 3. one pay-in against pgledger ---------------------------------------------------


@contextmanager
def pgledger_database() -> Iterator[str]:
    """A scratch database on the benchmark's server with pgledger loaded; its
    psycopg connection string. Dropped after."""
    url = make_url(PG_URL).set(drivername="postgresql")
    name = f"dd_bench_pgledger_{uuid.uuid4().hex[:8]}"
    admin = url.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    target = url.set(database=name).render_as_string(hide_password=False)
    try:
        with psycopg.connect(target, autocommit=True) as conn:
            for part in ("vendor/uuid-to-ulid.sql", "vendor/ulid-to-uuid.sql", "pgledger.sql"):
                conn.execute((PGLEDGER / part).read_text())  # type: ignore[arg-type]
        yield target
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def pgledger_transfers(target: str, n: int) -> float:
    """Seconds for n transfers of 1.00, one transaction each, one connection."""
    with psycopg.connect(target, autocommit=True) as conn:
        source = conn.execute("SELECT id FROM pgledger_create_account('ext', 'GBP')").fetchone()
        held = conn.execute("SELECT id FROM pgledger_create_account('held', 'GBP')").fetchone()
        assert source is not None and held is not None
        started = time.perf_counter()
        for _ in range(n):
            conn.execute(
                "SELECT * FROM pgledger_create_transfer(%s, %s, 1.00)", (source[0], held[0])
            )
        return time.perf_counter() - started


def payins_vs_pgledger(n: int) -> list[tuple[str, str, str, bool | None]]:
    with pgledger_database() as target, postgres_engine() as engine:
        app = _app(engine, ["lb-pay"], deposit="")
        say(f"[ledger] PostgreSQL: {n:,} pgledger transfers (1/2) ...")
        before = pgledger_transfers(target, n)
        say(f"[ledger]   {n / before:,.0f} transfers/s")
        say(f"[ledger] PostgreSQL: {n:,} deposits.pay_in through run ...")
        started = time.perf_counter()
        for i in range(n):
            run(
                app,
                deposits.pay_in,
                INTEGRATION,
                NOW,
                "lb-pay",
                amount="1.00",
                currency=None,
                reference=f"R{i}",
                idempotency_key=f"k{i}",
            )
        payin_s = time.perf_counter() - started
        say(f"[ledger]   {n / payin_s:,.0f} pay-ins/s")
        say(f"[ledger] PostgreSQL: {n:,} pgledger transfers (2/2) ...")
        after = pgledger_transfers(target, n)
        say(f"[ledger]   {n / after:,.0f} transfers/s")
        batch = 1000
        entries = [
            ("lb-pay", payin_entry(Money("GBP", 100), Money("GBP", 0), f"B{i}"), NOW, f"batch:{i}")
            for i in range(10 * batch)
        ]
        started = time.perf_counter()
        for i in range(0, len(entries), batch):
            with app.uow() as uow:
                uow.ledger.post_many(entries[i : i + batch])
                uow.commit()
        batch_rate = len(entries) / (time.perf_counter() - started)
    pg_rate = n / ((before + after) / 2)
    ratio = (n / payin_s) / pg_rate
    return [
        (
            "PostgreSQL: pgledger_create_transfer, 1 per txn",
            f"{pg_rate:,.0f} transfers/s",
            "",
            None,
        ),
        ("PostgreSQL: deposits.pay_in through run", f"{n / payin_s:,.0f} pay-ins/s", "", None),
        (
            "PostgreSQL: pay-ins / pgledger transfers",
            f"{ratio:.2f}",
            f">= {PAYIN_TARGET}",
            ratio >= PAYIN_TARGET,
        ),
        (
            f"PostgreSQL: pay-in entries, post_many of {batch:,}",
            f"{batch_rate:,.0f} entries/s",
            ">= 10,000",
            batch_rate >= 10_000,
        ),
    ]


def _reachable() -> bool:
    try:
        with postgres_engine():
            return True
    except (OperationalError, psycopg.OperationalError):
        return False


def bench(
    events: int = EVENTS,
    history: int = HISTORY,
    deductions: int = DEDUCTIONS,
    payins: int = PAYINS,
    databases: tuple[str, ...] = ("sqlite", "postgres"),
    profile: bool = False,
) -> Report:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    report = Report("Ledger (issue 9): money events, long histories, one pay-in")
    chosen = {
        "SQLite": "sqlite" in databases,
        "PostgreSQL": "postgres" in databases and _reachable(),
    }
    if "postgres" in databases and not chosen["PostgreSQL"]:
        report.add(f"PostgreSQL: skipped, not reachable at {PG_URL}", "-")
    lines: list[tuple[str, str, str, bool | None]] = []
    for name, database in DATABASES.items():
        if chosen[name]:
            lines += violations_vs_orders(name, database, events, profile and name == "SQLite")
    for name, database in DATABASES.items():
        if chosen[name]:
            lines += deduction_on_history(name, database, history, deductions)
    if chosen["PostgreSQL"]:
        lines += payins_vs_pgledger(payins)
    for line in lines:
        report.add(*line)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_ledger")
    parser.add_argument("--events", type=int, default=EVENTS, help="orders and violations each")
    parser.add_argument("--history", type=int, default=HISTORY, help="entries of the big shop")
    parser.add_argument("--deductions", type=int, default=DEDUCTIONS, help="timed per shop")
    parser.add_argument("--payins", type=int, default=PAYINS, help="pay-ins and transfers")
    parser.add_argument(
        "--databases",
        default="sqlite,postgres",
        type=lambda v: tuple(v.split(",")),
        help="comma-separated: sqlite, postgres",
    )
    parser.add_argument("--only", choices=("events", "history", "payin"), default=None)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    if args.only == "payin":
        report = Report("Ledger: one pay-in against pgledger")
        for line in payins_vs_pgledger(args.payins):
            report.add(*line)
    elif args.only == "history":
        report = Report("Ledger: a deduction on a long history")
        for name, database in DATABASES.items():
            if name.lower().startswith(args.databases[0][:4]) or len(args.databases) > 1:
                for line in deduction_on_history(name, database, args.history, args.deductions):
                    report.add(*line)
    elif args.only == "events":
        report = Report("Ledger: violations against orders")
        for name, database in DATABASES.items():
            if name.lower().startswith(args.databases[0][:4]) or len(args.databases) > 1:
                for line in violations_vs_orders(name, database, args.events, args.profile):
                    report.add(*line)
    else:
        report = bench(
            args.events, args.history, args.deductions, args.payins, args.databases, args.profile
        )
    report.print()


if __name__ == "__main__":
    main()
