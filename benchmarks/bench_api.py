"""API load benchmark (issue 9): a real `depositdesk serve` under concurrent clients.

A marketplace is seeded into a fresh database: `--api-shops` shops (default 1,000) with
`--api-orders` finished orders between them (default 1,000,000, bulk-inserted into the
projection with their closed cases, as benchmarks/eligibility.py does), and one *hot*
shop made through the services with 150 open orders and cases (ingested) and 120
pay-ins. Then `depositdesk serve` runs as a subprocess: SQLite in one process, the
PostgreSQL of DEPOSITDESK_BENCH_POSTGRES_URL (a scratch database, dropped after) with
`--pg-workers` processes (default 4).

A load generator in this process (asyncio, one persistent HTTP/1.1 connection per
client, a minimal client so that it takes little of the machine the server runs on)
calls, at 1, 16 and 64 clients, for `--api-seconds` each after a warm-up:
`GET /healthz` (the baseline, measured in the same run), the hot shop's eligibility,
deposit and ledger page, and `POST …/deposit/payins` spread over the shops. Then the
three reads, mixed, at 16 clients, idle and then for twice as long while
`depositdesk events ingest` loads `--api-events` events (benchmarks/ingestion.py's
file; the measurement starts once its first chunk is committed). The machine's load
average is printed with each database: on a shared machine it says how far the
figures can be trusted.

Targets: eligibility req/s >= 0.5 x healthz at each client count; p99 <= 100 ms at 16
clients; reads during the ingestion p99 <= 2 x idle; no request errors.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from benchmarks._common import ADMIN, INTEGRATION, Report, say
from benchmarks.eligibility import fill_history
from benchmarks.ingestion import generate, shop_plan
from depositdesk.adapters.db.engine import make_engine
from depositdesk.bootstrap import App, build, migrate
from depositdesk.demo.events import EventJson, event, order_placed
from depositdesk.domain.money import Money
from depositdesk.services import policies
from depositdesk.services.deposits import pay_in
from depositdesk.services.ingestion import ingest
from depositdesk.services.sellers import create_seller
from depositdesk.services.shops import create_shop
from depositdesk.services.tokens import create_token
from depositdesk.services.usecase import run
from depositdesk.settings import Settings

SHOPS = 1_000
ORDERS = 1_000_000
EVENTS = 300_000
SECONDS = 5.0
WARMUP = 1.0
CLIENTS = (1, 16, 64)
PG_WORKERS = 4
# Per API process: 4 x (8 + 2) = 40 connections, within a default PostgreSQL's 100.
PG_POOL = ("8", "2")
HOT = "m-0000"
OPEN_ORDERS = 150
HOT_PAYINS = 120
ELIGIBILITY_RATIO = 0.5
P99_MS = 100.0
INGEST_P99_RATIO = 2.0
INGEST_CLIENTS = 16
REPO_ROOT = Path(__file__).resolve().parents[1]
CLI = str(Path(sys.executable).with_name("depositdesk"))  # the installed command
PG_URL = os.environ.get(
    "DEPOSITDESK_BENCH_POSTGRES_URL",
    os.environ.get(
        "DEPOSITDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    ),
)


# -- the marketplace --------------------------------------------------------------------


def shop_id(n: int) -> str:
    return f"m-{n:04d}"


def _open_events(now: datetime) -> list[EventJson]:
    """The hot shop's open orders (placed, shipped, in their after-sales period) and a
    few open cases: over 100 records that block a full refund."""
    events: list[EventJson] = []

    def at(hours_ago: float) -> datetime:
        return now - timedelta(hours=hours_ago)

    for i in range(OPEN_ORDERS):
        oid = f"open-{i:04d}"
        events.append(
            order_placed(
                f"open-evt-{i:04d}-p",
                HOT,
                at(24 * 20 - i),
                order_id=oid,
                category="apparel" if i % 2 else "home",
                amount=Money("GBP", 20_00 + i),
                customer_id=f"cus-{i:05d}",
            )
        )
        if i % 3:
            shipped = at(24 * 19 - i)
            events.append(event(f"open-evt-{i:04d}-s", "order.shipped", HOT, shipped, order_id=oid))
        if i % 3 == 2:
            delivered = at(24 * 17 - i)
            events.append(
                event(f"open-evt-{i:04d}-d", "order.delivered", HOT, delivered, order_id=oid)
            )
    for i in range(10):
        events.append(
            event(
                f"open-case-{i}",
                "after_sales.opened",
                HOT,
                at(24 * 2),
                case_id=f"case-{i}",
                order_id=f"open-{3 * i + 2:04d}",
            )
        )
    return events


@dataclass(frozen=True)
class Seeded:
    admin: str  # tokens
    integration: str
    shops: int
    orders: int
    open_records: int


def seed(app: App, shops: int, orders: int) -> Seeded:
    """Shops, their finished history, the hot shop's open records and pay-ins, the
    ingestion file's shops, and two tokens."""
    now = app.clock.now()
    run(app, policies.ensure_default_packs, ADMIN, now)
    run(
        app,
        create_seller,
        ADMIN,
        now,
        id="bench-seller",
        name="Bench Seller",
        email="bench@example.com",
        language="en",
    )
    plan = [(shop_id(n), ["apparel", "home"]) for n in range(shops)] + shop_plan()
    started = time.perf_counter()
    for sid, categories in plan:
        run(
            app,
            create_shop,
            ADMIN,
            now,
            id=sid,
            seller_id="bench-seller",
            name=f"Shop {sid}",
            market="gb",
            categories=categories,
        )
    say(f"[api]   {len(plan):,} shops made ({time.perf_counter() - started:.1f}s)")
    started = time.perf_counter()
    per_shop = orders // shops
    for n in range(shops):
        fill_history(app, shop_id(n), per_shop + (1 if n < orders % shops else 0))
    say(f"[api]   {orders:,} finished orders inserted ({time.perf_counter() - started:.1f}s)")
    for i in range(HOT_PAYINS):
        run(
            app,
            pay_in,
            INTEGRATION,
            now,
            HOT,
            amount="100.00",
            currency="GBP",
            reference=f"TRX-hot-{i}",
            idempotency_key=f"seed-hot-{i}",
        )
    result = ingest(app.uow, INTEGRATION, app.clock.now, _open_events(now))
    assert not result.rejected, result.rejected[:3]
    with app.engine.connect() as conn:
        open_records = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM orders WHERE shop_id = :s AND state != 'delivered')"
                " + (SELECT count(*) FROM orders WHERE shop_id = :s AND state = 'delivered'"
                "    AND after_sales_ends_at > :now)"
                " + (SELECT count(*) FROM shop_records WHERE shop_id = :s AND is_open)"
            ),
            {"s": HOT, "now": now},
        ).scalar_one()
    admin = run(app, create_token, ADMIN, now, role="platform_admin", name="bench").token
    integration = run(app, create_token, ADMIN, now, role="integration", name="bench").token
    return Seeded(admin, integration, shops, orders, int(open_records))


def settle(app: App) -> None:
    """What an operator does after a bulk load, done before anything is measured: the
    planner's statistics and the visibility map brought up to date and dirty pages
    written. Otherwise PostgreSQL's autovacuum and checkpointer take up the million
    seeded orders during the measurements, a few seconds of one of the two cores at a
    time the run does not choose (one call's p99 doubled, another's did not, from
    one run to the next)."""
    engine = app.engine
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
            try:
                conn.exec_driver_sql("CHECKPOINT")
            except DBAPIError as exc:  # not a superuser (nor pg_checkpoint): go on
                say(f"[api]   no CHECKPOINT: {str(exc.orig).strip()}")
        return
    raw = engine.raw_connection()
    try:
        raw.execute("ANALYZE")
        raw.commit()
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        raw.close()


# -- databases --------------------------------------------------------------------------


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="depositdesk-bench-api-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'api.db'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A scratch database next to DEPOSITDESK_BENCH_POSTGRES_URL's, dropped after."""
    name = f"dd_bench_api_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_URL, connect_args={"connect_timeout": 3}, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_reachable() -> str | None:
    try:
        engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


# -- the server -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(url: str, workers: int, log: Path) -> Iterator[int]:
    """`depositdesk serve` on a free port until the block ends."""
    port = _free_port()
    env = {**os.environ, "DEPOSITDESK_DATABASE_URL": url, "DEPOSITDESK_SANDBOX": "0"}
    if url.startswith("postgresql"):
        env["DEPOSITDESK_DB_POOL_SIZE"], env["DEPOSITDESK_DB_MAX_OVERFLOW"] = PG_POOL
    cmd = [CLI, "serve", "--port", str(port)]
    cmd += ["--workers", str(workers)]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=out)
        try:
            _wait_ready(port, proc)
            yield port
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"depositdesk serve exited with {proc.returncode}")
        try:
            status, _ = asyncio.run(_once(port, b"GET /healthz HTTP/1.1\r\nHost: b\r\n\r\n"))
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("depositdesk serve did not answer /healthz in time")


async def _once(port: int, request: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        return await _response(reader)
    finally:
        writer.close()


# -- the load generator -----------------------------------------------------------------


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """One HTTP/1.1 response with a Content-Length (what uvicorn sends for these)."""
    status_line = await reader.readline()
    if not status_line:
        raise ConnectionError("the server closed the connection")
    status = int(status_line.split(b" ", 2)[1])
    length = 0
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
        elif name.strip().lower() == b"transfer-encoding":
            raise ConnectionError("chunked responses are not read by this client")
    return status, await reader.readexactly(length)


Request = Callable[[], tuple[str, bytes]]  # -> (call name, request bytes)


def get(path: str, token: str | None) -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: bench\r\n{auth}\r\n".encode()


def post(path: str, token: str, body: dict[str, object], key: str) -> bytes:
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
        f"Idempotency-Key: {key}\r\n\r\n"
    )
    return head.encode() + data


@dataclass
class Samples:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    first_error: str = ""


async def _client(
    port: int, next_request: Request, warm_until: float, stop_at: float, samples: Samples
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            name, request = next_request()
            started = time.perf_counter()
            if started >= stop_at:
                return
            try:
                writer.write(request)
                status, body = await _response(reader)
            except (ConnectionError, asyncio.IncompleteReadError, ValueError) as exc:
                samples.errors[name] = samples.errors.get(name, 0) + 1
                samples.first_error = samples.first_error or repr(exc)
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                continue
            done = time.perf_counter()
            if started < warm_until:
                continue
            samples.latencies.setdefault(name, []).append(done - started)
            if status >= 300:
                samples.errors[name] = samples.errors.get(name, 0) + 1
                samples.first_error = samples.first_error or f"{status} {body[:200]!r}"
    finally:
        writer.close()


def load(port: int, clients: int, next_request: Request, seconds: float) -> Samples:
    async def main() -> Samples:
        samples = Samples()
        begin = time.perf_counter()
        warm_until, stop_at = begin + WARMUP, begin + WARMUP + seconds
        await asyncio.gather(
            *(_client(port, next_request, warm_until, stop_at, samples) for _ in range(clients))
        )
        return samples

    return asyncio.run(main())


@dataclass(frozen=True)
class Measured:
    call: str
    clients: int
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def row(self) -> str:
        return (
            f"{self.call:<22} {self.clients:>7} {self.rps:>9,.0f} {self.p50_ms:>9.1f} "
            f"{self.p99_ms:>9.1f} {self.errors:>7}"
        )


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def measured(samples: Samples, name: str, clients: int, seconds: float) -> Measured:
    values = samples.latencies.get(name, [])
    return Measured(
        name,
        clients,
        len(values),
        samples.errors.get(name, 0),
        seconds,
        _percentile(values, 0.5),
        _percentile(values, 0.99),
    )


class Calls:
    """The requests of each measured call."""

    def __init__(self, seeded: Seeded) -> None:
        self.seeded = seeded
        self.rng = random.Random(9)
        self.n = 0
        admin = seeded.admin
        self.fixed = {
            "healthz": get("/healthz", None),
            "eligibility": get(f"/v1/shops/{HOT}/eligibility?kind=full", admin),
            "deposit": get(f"/v1/shops/{HOT}/deposit", admin),
            "ledger page": get(f"/v1/shops/{HOT}/ledger?limit=50", admin),
        }

    def one(self, name: str) -> Request:
        if name == "pay-in":
            return self.pay_in
        request = self.fixed[name]
        return lambda: (name, request)

    def pay_in(self) -> tuple[str, bytes]:
        self.n += 1
        shop = shop_id(1 + self.rng.randrange(max(1, self.seeded.shops - 1)))
        body = {
            "amount": {"amount": "10.00", "currency": "GBP"},
            "reference": f"BENCH-{self.n}",
        }
        key = f"bench-{uuid.uuid4().hex}"
        return "pay-in", post(
            f"/v1/shops/{shop}/deposit/payins", self.seeded.integration, body, key
        )

    def reads(self) -> Request:
        names = ("eligibility", "deposit", "ledger page")
        counter = iter(range(1 << 62))

        def next_read() -> tuple[str, bytes]:
            name = names[next(counter) % len(names)]
            return name, self.fixed[name]

        return next_read


CALLS = ("healthz", "eligibility", "deposit", "ledger page", "pay-in")


def _events_stored(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())
    finally:
        engine.dispose()


def during_ingestion(
    url: str, port: int, calls: Calls, events_file: Path, seconds: float, log: Path
) -> tuple[Samples, bool, float]:
    """The mixed reads while `depositdesk events ingest` runs: (samples, whether the
    ingestion ran the whole time, events stored per second meanwhile)."""
    env = {**os.environ, "DEPOSITDESK_DATABASE_URL": url, "DEPOSITDESK_SANDBOX": "0"}
    cmd = [CLI, "events", "ingest"]
    cmd.append(str(events_file))
    seeded_events = _events_stored(url)
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 180
            before = seeded_events
            while (before := _events_stored(url)) == seeded_events:
                if time.monotonic() > deadline:
                    raise SystemExit("events ingest stored nothing in 180 s")
                if proc.poll() is not None:
                    raise SystemExit(f"events ingest exited with {proc.returncode} early")
                time.sleep(0.2)
            started = time.perf_counter()
            samples = load(port, INGEST_CLIENTS, calls.reads(), seconds * 2)
            throughout = proc.poll() is None
            stored = _events_stored(url) - before
            rate = stored / (time.perf_counter() - started)
        finally:
            proc.kill()
            proc.wait()
    return samples, throughout, rate


def bench_one(
    label: str,
    url: str,
    workers: int,
    shops: int,
    orders: int,
    events_file: Path,
    seconds: float,
    workdir: Path,
) -> tuple[list[Measured], dict[str, object]]:
    say(f"[api] {label}: seeding {shops:,} shops, {orders:,} orders ...")
    load_before = os.getloadavg()[0]
    app = build(Settings(database_url=url, sandbox=False))
    migrate(app)
    seeded = seed(app, shops, orders)
    settle(app)
    app.engine.dispose()
    say(f"[api]   the hot shop {HOT} has {seeded.open_records} open records")
    calls = Calls(seeded)
    results: list[Measured] = []
    info: dict[str, object] = {"open_records": seeded.open_records}
    with server(url, workers, workdir / f"serve-{label}.log") as port:
        say(f"[api]   depositdesk serve --workers {workers} on port {port}")
        for clients in CLIENTS:
            for name in CALLS:
                samples = load(port, clients, calls.one(name), seconds)
                m = measured(samples, name, clients, seconds)
                results.append(m)
                say(f"[api]   {m.row()}" + (f"  {samples.first_error}" if m.errors else ""))
        idle = load(port, INGEST_CLIENTS, calls.reads(), seconds)
        busy, throughout, rate = during_ingestion(
            url, port, calls, events_file, seconds, workdir / f"ingest-{label}.log"
        )
    for name in ("eligibility", "deposit", "ledger page"):
        quiet = measured(idle, name, INGEST_CLIENTS, seconds)
        loaded = measured(busy, name, INGEST_CLIENTS, seconds * 2)
        info[f"idle {name}"] = quiet
        info[f"ingesting {name}"] = loaded
        say(f"[api]   idle      {quiet.row()}")
        say(f"[api]   ingesting {loaded.row()}")
    info["load average"] = f"{load_before:.1f} before seeding, {os.getloadavg()[0]:.1f} at the end"
    info["ingestion throughout"] = throughout
    info["ingested events/s"] = rate
    say(
        f"[api]   ingestion committed {rate:,.0f} events/s meanwhile (chunks of 10,000); "
        "ran throughout: " + ("yes" if throughout else "NO")
    )
    return results, info


def _add_targets(
    report: Report, label: str, results: list[Measured], info: dict[str, object]
) -> None:
    by = {(m.call, m.clients): m for m in results}
    for clients in CLIENTS:
        health, elig = by[("healthz", clients)], by[("eligibility", clients)]
        ratio = elig.rps / health.rps if health.rps else 0.0
        report.add(
            f"{label}: eligibility/healthz req/s at {clients}",
            f"{elig.rps:,.0f}/{health.rps:,.0f} = {ratio:.2f}",
            f">= {ELIGIBILITY_RATIO}",
            ratio >= ELIGIBILITY_RATIO,
        )
    for name in CALLS[1:]:
        m = by[(name, 16)]
        report.add(
            f"{label}: {name} p99 at 16 clients",
            f"{m.p99_ms:.1f} ms",
            f"<= {P99_MS:.0f} ms",
            m.p99_ms <= P99_MS,
        )
    for name in ("eligibility", "deposit", "ledger page"):
        quiet = info[f"idle {name}"]
        loaded = info[f"ingesting {name}"]
        assert isinstance(quiet, Measured) and isinstance(loaded, Measured)
        ratio = loaded.p99_ms / quiet.p99_ms
        report.add(
            f"{label}: {name} p99 ingesting / idle",
            f"{loaded.p99_ms:.1f}/{quiet.p99_ms:.1f} = {ratio:.2f}",
            f"<= {INGEST_P99_RATIO}",
            ratio <= INGEST_P99_RATIO,
        )
    errors = sum(m.errors for m in results) + sum(
        m.errors for m in info.values() if isinstance(m, Measured)
    )
    report.add(f"{label}: request errors", str(errors), "0", errors == 0)
    report.add(f"{label}: machine load (1 min average)", str(info["load average"]))
    report.add(
        f"{label}: ingestion ran through the window",
        f"{'yes' if info['ingestion throughout'] else 'NO'} "
        f"({info['ingested events/s']:,.0f} events/s)",
    )


def print_table(label: str, results: list[Measured]) -> None:
    print(f"\n{label}")
    print(f"{'call':<22} {'clients':>7} {'req/s':>9} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}")
    for m in results:
        print(m.row())


def bench(
    shops: int = SHOPS,
    orders: int = ORDERS,
    events: int = EVENTS,
    seconds: float = SECONDS,
    pg_workers: int = PG_WORKERS,
    databases: tuple[str, ...] = ("sqlite", "postgresql"),
) -> Report:
    report = Report(
        f"API under load: {shops:,} shops, {orders:,} orders, {seconds:g}s per call and "
        f"client count, {events:,} events ingested during the reads ({os.cpu_count()} CPUs)"
    )
    with tempfile.TemporaryDirectory(prefix="depositdesk-bench-api-") as tmp:
        workdir = Path(tmp)
        events_file = workdir / "events.jsonl"
        say(f"[api] generating {events:,} events for the ingestion ...")
        generate(events_file, events)
        tables: list[tuple[str, list[Measured]]] = []
        if "sqlite" in databases:
            with sqlite_database() as url:
                results, info = bench_one(
                    "SQLite", url, 1, shops, orders, events_file, seconds, workdir
                )
                tables.append(("SQLite, 1 process", results))
                _add_targets(report, "SQLite", results, info)
        problem = postgres_reachable() if "postgresql" in databases else "not asked for"
        if problem is not None:
            say(f"[api] PostgreSQL skipped: {problem}")
            report.add("PostgreSQL", f"skipped ({problem})")
        else:
            with postgres_database() as url:
                label = f"PostgreSQL, {pg_workers} processes"
                results, info = bench_one(
                    "PostgreSQL", url, pg_workers, shops, orders, events_file, seconds, workdir
                )
                tables.append((label, results))
                _add_targets(report, "PostgreSQL", results, info)
    for label, results in tables:
        print_table(label, results)
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_api")
    parser.add_argument("--api-shops", type=int, default=SHOPS)
    parser.add_argument("--api-orders", type=int, default=ORDERS)
    parser.add_argument("--api-events", type=int, default=EVENTS)
    parser.add_argument("--api-seconds", type=float, default=SECONDS)
    parser.add_argument("--pg-workers", type=int, default=PG_WORKERS)
    parser.add_argument(
        "--api-databases", default="sqlite,postgresql", help="sqlite, postgresql or both"
    )
    args = parser.parse_args(argv)
    bench(
        args.api_shops,
        args.api_orders,
        args.api_events,
        args.api_seconds,
        args.pg_workers,
        tuple(args.api_databases.split(",")),
    ).print()


if __name__ == "__main__":
    main()
