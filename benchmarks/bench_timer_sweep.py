"""Timer sweep benchmark: the real ladder sweep against a plain set-based UPDATE.

N shops (default 100,000) each have an open under-funding case whose first ladder
step (`warning`, 0 days after the top-up due date) is due: one due `enforcement.step`
timer each, so N due ladder steps. One template shop is made through the services
and its rows cloned in bulk (tests/ladder_shops.py), the cases 10 ms apart (as if
their notices had gone out one after another; see "claim" below for why not all at
once); one webhook endpoint receives every event type, as a marketplace's
integration would. Then, on SQLite and on PostgreSQL (each a fresh migrated
database):

- sweep: `services/timers.run_due` at the due date with the real handler
  (`services/enforcement.on_ladder_due`), exactly as the worker runs it: each timer
  claimed, handled and completed in its own transaction; each step writes the shop
  (`restricted`, step `warning`), a rendered notice, its email outbox row, the
  `notice.sent` and `enforcement.step` webhook rows and the next step's timer.
- baseline: `UPDATE shops SET enforcement_step = 'warning' WHERE id IN (…)` over the
  same N rows, 1,000 ids a statement, one transaction per statement; measured three
  times before the sweep and three times after (the step reset, untimed, between
  runs), the ratio using the mean of the two medians, as the machine's speed drifts.
- informative: one `UPDATE … WHERE id = ?` per row, one transaction per row (the
  sweep's transaction shape with nothing else in it), on a sample of 5,000 rows.
- informative, claim: the time `claim_due` takes to find the next due timer among
  the N pending next-step timers, with their due times 10 ms apart and then all
  moved to one instant. `claim_due` orders by `(due_at, id)` and the index is on
  `due_at` alone, so timers sharing a due time are all read and sorted for every
  claim: a sweep of N such timers is quadratic. (A policy version loaded for a whole
  market opens every case at the same `now`, so its ladder timers do share them.)

Target: steps/s of the sweep >= 0.2 x the baseline's rows/s, per database.
`--profile` prints a cProfile of the sweep (timings then include its overhead).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import ColumnElement, Engine, Table, bindparam, func, select, text, update
from sqlalchemy.exc import OperationalError
from tests.ladder_shops import ADMIN, clone_shop, ladder_seller, template_shop

from benchmarks._common import Report, say
from depositdesk.adapters.db.engine import make_engine, upgrade
from depositdesk.adapters.db.tables import notices, outbox, shops, timers
from depositdesk.bootstrap import App, build
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.enforcement import LADDER_TIMER
from depositdesk.domain.ids import new_id
from depositdesk.domain.webhook_endpoints import WebhookEndpoint
from depositdesk.services import policies
from depositdesk.services.timers import run_due
from depositdesk.services.usecase import run
from depositdesk.settings import Settings

RATIO_TARGET = 0.2
SHOPS = 100_000
BASELINE_CHUNK = 1_000
BASELINE_RUNS = 3
PER_ROW_SAMPLE = 5_000
STEP = "warning"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the cases open (top-up notices)
DUE = T0 + timedelta(days=30)  # gb: top-up due 30 days later; `warning` applies then
STAGGER = timedelta(milliseconds=10)  # between two cases opening
CLAIMS = 20  # timed claims in the claim measurement
TEMPLATE = "tpl-000000"
PG_URL = os.environ.get(
    "DEPOSITDESK_BENCH_POSTGRES_URL",
    os.environ.get(
        "DEPOSITDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
)


def shop_ids(n: int) -> list[str]:
    return [f"ls-{i:07d}" for i in range(n)]


@contextmanager
def sqlite_engine() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory(prefix="depositdesk-bench-") as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'timers.db'}")
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_engine() -> Iterator[Engine]:
    """A fresh schema in the PostgreSQL of DEPOSITDESK_BENCH_POSTGRES_URL, dropped after."""
    schema = f"dd_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL, connect_args={"connect_timeout": 3})
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def prepare(engine: Engine, n: int) -> App:
    """N shops with a due `warning` step: one template through the services, N-1 clones,
    then one webhook endpoint for every event type."""
    upgrade(engine)
    app = build(
        Settings(database_url=str(engine.url)), clock=FixedClock(sweep_at(n)), engine=engine
    )
    run(app, policies.ensure_default_packs, ADMIN, T0)
    ladder_seller(app, T0)
    ids = shop_ids(n)
    ids[0] = TEMPLATE
    template_shop(app, T0, TEMPLATE)
    clone_shop(engine, TEMPLATE, ids[1:], STAGGER)
    with app.uow() as uow:
        uow.webhook_endpoints.add(
            WebhookEndpoint(
                id=new_id("whe"),
                url="https://marketplace.example/depositdesk-hooks",
                events=("*",),
                secret="whsec_bench",
                created_at=T0,
                created_by="bench",
            )
        )
        uow.commit()
    if engine.dialect.name == "postgresql":
        vacuum(engine)
    return app


def sweep_at(n: int) -> datetime:
    """When the sweep runs: the last of the N cases is due."""
    return DUE + STAGGER * n


def vacuum(engine: Engine) -> None:
    """PostgreSQL: clean the tables the sweep reads and writes (this schema's only)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE shops, shop_categories, timers, notices, outbox"))


def sweep(app: App, n: int, profile: bool) -> tuple[float, list[float]]:
    """run_due at the due date until nothing is due; (seconds, steps/s per tenth)."""
    tenth = max(1, n // 10)
    rates: list[float] = []
    profiler = cProfile.Profile() if profile else None
    started = time.perf_counter()
    while True:
        part = time.perf_counter()
        if profiler:
            profiler.enable()
        ran = run_due(app.uow, sweep_at(n), limit=tenth)
        if profiler:
            profiler.disable()
        if not ran:
            break
        rates.append(ran / (time.perf_counter() - part))
        say(f"[timers]     {ran:,} timers at {rates[-1]:,.0f}/s")
    seconds = time.perf_counter() - started
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(35)
        stats.sort_stats("tottime").print_stats(20)
        say(out.getvalue())
    return seconds, rates


def reset_steps(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(shops).values(enforcement_step=None))


def baseline(engine: Engine, ids: list[str]) -> float:
    """Seconds for the plain set-based UPDATE of the N rows (1,000 ids a statement)."""
    statement = text("UPDATE shops SET enforcement_step = :step WHERE id IN :ids").bindparams(
        bindparam("ids", expanding=True)
    )
    started = time.perf_counter()
    for i in range(0, len(ids), BASELINE_CHUNK):
        with engine.begin() as conn:
            conn.execute(statement, {"step": STEP, "ids": ids[i : i + BASELINE_CHUNK]})
    return time.perf_counter() - started


def per_row(engine: Engine, ids: list[str]) -> float:
    """Seconds for one UPDATE per row, one transaction each."""
    statement = text("UPDATE shops SET enforcement_step = :step WHERE id = :id")
    started = time.perf_counter()
    for shop_id in ids:
        with engine.begin() as conn:
            conn.execute(statement, {"step": STEP, "id": shop_id})
    return time.perf_counter() - started


def baselines(engine: Engine, ids: list[str], when: str) -> float:
    """The median of BASELINE_RUNS baseline runs, each from steps reset to none."""
    runs = []
    for _ in range(BASELINE_RUNS):
        reset_steps(engine)
        if engine.dialect.name == "postgresql":
            vacuum(engine)
        runs.append(baseline(engine, ids))
    say(
        f"[timers]   baseline {when} the sweep: "
        + ", ".join(f"{len(ids) / s:,.0f}" for s in runs)
        + " rows/s"
    )
    return statistics.median(runs)


def claim_ms(app: App) -> float:
    """Milliseconds `claim_due` takes to find the next due timer (rolled back)."""
    far = DUE + timedelta(days=3650)
    started = time.perf_counter()
    for _ in range(CLAIMS):
        with app.uow() as uow:
            assert uow.timers.claim_due(far, 1)
    return (time.perf_counter() - started) / CLAIMS * 1000


def claims(app: App) -> tuple[float, float]:
    """claim_ms over the pending timers as they are, then all moved to one due time."""
    staggered = claim_ms(app)
    with app.engine.begin() as conn:
        conn.execute(update(timers).where(timers.c.done_at.is_(None)).values(due_at=DUE))
    if app.engine.dialect.name == "postgresql":
        vacuum(app.engine)
    return staggered, claim_ms(app)


def check(engine: Engine, n: int) -> list[str]:
    """What is wrong after the sweep (empty: each shop on `warning` once)."""
    with engine.connect() as conn:

        def count(table: Table, *where: ColumnElement[bool]) -> int:
            query = select(func.count()).select_from(table).where(*where)
            return int(conn.execute(query).scalar_one())

        found = {
            "shops restricted on warning": count(
                shops, shops.c.enforcement_step == STEP, shops.c.status == "restricted"
            ),
            "enforcement notices": count(notices, notices.c.kind == "enforcement"),
            "their emails": count(outbox, outbox.c.topic == "notice.enforcement"),
            "enforcement.step webhooks": count(outbox, outbox.c.topic == "enforcement.step"),
            "next-step timers pending": count(
                timers, timers.c.kind == LADDER_TIMER, timers.c.done_at.is_(None)
            ),
        }
        due_left = count(timers, timers.c.done_at.is_(None), timers.c.due_at <= sweep_at(n))
    problems = [f"{what}: {got:,} (expected {n:,})" for what, got in found.items() if got != n]
    if due_left:
        problems.append(f"{due_left:,} timers still due")
    return problems


def bench_database(
    name: str,
    engine_of: Callable[[], AbstractContextManager[Engine]],
    n: int,
    report: Report,
    profile: bool,
) -> None:
    say(f"[timers] {name}: preparing {n:,} shops with a due ladder step ...")
    with engine_of() as engine:
        started = time.perf_counter()
        app = prepare(engine, n)
        ids = [TEMPLATE, *shop_ids(n)[1:]]
        say(f"[timers]   prepared in {time.perf_counter() - started:.1f}s")
        before = baselines(engine, ids, "before")
        reset_steps(engine)
        if engine.dialect.name == "postgresql":
            vacuum(engine)
        say(f"[timers]   sweep: run_due over {n:,} due timers ...")
        sweep_s, rates = sweep(app, n, profile)
        problems = check(engine, n)
        say(f"[timers]   sweep took {sweep_s:.1f}s; " + ("; ".join(problems) or "all steps once"))
        after = baselines(engine, ids, "after")
        sample = ids[:PER_ROW_SAMPLE]
        reset_steps(engine)
        per_row_s = per_row(engine, sample)
        staggered_ms, shared_ms = claims(app)
        say(
            f"[timers]   claim among {n:,} pending: {staggered_ms:.2f} ms (10 ms apart), "
            f"{shared_ms:.2f} ms (one due time)"
        )
    base_rate = n / ((before + after) / 2)
    sweep_rate = n / sweep_s
    per_row_rate = len(sample) / per_row_s
    ratio = sweep_rate / base_rate
    report.add(f"{name}: baseline UPDATE … WHERE id IN (1,000 ids)", f"{base_rate:,.0f} rows/s")
    report.add(
        f"{name}:   (before / after the sweep)",
        f"{n / before / 1000:,.0f}k / {n / after / 1000:,.0f}k",
    )
    report.add(f"{name}: sweep run_due + on_ladder_due", f"{sweep_rate:,.0f} steps/s")
    report.add(
        f"{name}:   (first / last tenth)",
        f"{rates[0]:,.0f} / {rates[-1]:,.0f}" if rates else "-",
    )
    met = ratio >= RATIO_TARGET
    report.add(f"{name}: ratio sweep / baseline", f"{ratio:.4f}", f">= {RATIO_TARGET}", met)
    report.add(
        f"{name}: informative: 1 UPDATE per row and transaction",
        f"{per_row_rate:,.0f} rows/s",
    )
    report.add(f"{name}:   sweep / that", f"{sweep_rate / per_row_rate:.3f}")
    report.add(f"{name}: every step applied once", "yes" if not problems else "NO")
    report.add(f"{name}: informative: claim among {n:,} pending timers", "")
    report.add(
        f"{name}:   due 10 ms apart / all at one time",
        f"{staggered_ms:.2f} / {shared_ms:.2f} ms",
    )


def bench(
    shops: int = SHOPS, databases: tuple[str, ...] = ("sqlite", "postgres"), profile: bool = False
) -> Report:
    report = Report(f"Timer sweep: {shops:,} due ladder steps (one per shop)")
    engines = {
        "sqlite": ("SQLite", sqlite_engine),
        "postgres": ("PostgreSQL", postgres_engine),
    }
    for key in databases:
        name, engine_of = engines[key]
        try:
            bench_database(name, engine_of, shops, report, profile)
        except OperationalError as exc:  # PostgreSQL not reachable: say so, go on
            if key != "postgres":
                raise
            say(f"[timers] {name} skipped: {exc}")
            report.add(f"{name}: skipped, not reachable at {PG_URL}", "-")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_timer_sweep")
    parser.add_argument("--shops", type=int, default=SHOPS, help="due ladder steps (shops)")
    parser.add_argument(
        "--databases",
        default="sqlite,postgres",
        type=lambda v: tuple(v.split(",")),
        help="comma-separated: sqlite, postgres",
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the sweep")
    args = parser.parse_args(argv)
    bench(args.shops, args.databases, args.profile).print()


if __name__ == "__main__":
    main()
