"""Ingestion benchmark: the real `ingest()` against a plain executemany floor.

A JSON-lines file of N marketplace events (a realistic mix over ~50 gb shops,
~1% duplicates by id) is streamed to a temporary directory. Then:

- baseline: read the file line by line, `json.loads` each line and insert the raw
  rows into the `events` table of a freshly migrated SQLite database with plain
  `executemany` in chunks of 5000, one commit per chunk (`INSERT OR IGNORE`, so the
  duplicate ids do not abort the chunk). No validation, no projection.
- full path: a second freshly migrated database with the shops created, then the
  real `ingest()` over `decode_lines()` of the same file, exactly as
  `depositdesk events ingest` does. It runs in a child process so that its peak
  RSS can be read with `getrusage(RUSAGE_CHILDREN)`.

Then the same on PostgreSQL (DEPOSITDESK_BENCH_POSTGRES_URL, skipped when not
reachable), each run in a fresh schema: the baseline loads the raw rows into `events`
with psycopg's `COPY` in chunks of 5000 (into a staging table, then `INSERT ... ON
CONFLICT DO NOTHING`, as the duplicates need), one commit per chunk; the full path is
the real `ingest()` in a child process.

Targets (issue 9): events/s of the full path >= 0.5 x the executemany baseline on
SQLite, >= 0.3 x the COPY baseline on PostgreSQL; peak RSS < 300 MB.
"""

from __future__ import annotations

import argparse
import heapq
import json
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks._common import ADMIN, GB_CATEGORIES, Report, rate, say, sqlite_url
from depositdesk.demo.events import (
    EventJson,
    charge_billed,
    event,
    fine_issued,
    order_placed,
    violation_recorded,
)
from depositdesk.domain.money import Money
from depositdesk.services.ingestion import CHUNK
from depositdesk.settings import Settings

RATIO_TARGET = 0.5
PG_RATIO_TARGET = 0.3
RSS_TARGET_MB = 300
BASELINE_CHUNK = 5000
SHOPS = 50
LATE_SHARE = 0.03  # events that arrive out of time order
DUPLICATE_SHARE = 0.01  # events that arrive twice
REPO_ROOT = Path(__file__).resolve().parents[1]

_T0 = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
_T1 = int(datetime(2026, 10, 31, tzinfo=UTC).timestamp())
_HOUR = 3600
_DAY = 24 * _HOUR


def shop_plan(seed: int = 7, shops: int = SHOPS) -> list[tuple[str, list[str]]]:
    """The benchmark's shops and the categories each one sells in."""
    rng = random.Random(seed)
    return [
        (f"shop-{i:02d}", sorted(rng.sample(GB_CATEGORIES, rng.randint(2, 4))))
        for i in range(shops)
    ]


def _gbp(rng: random.Random, low: int, high: int) -> Money:
    return Money("GBP", rng.randint(low * 100, high * 100))


# An event before it is written: (occurred_at in epoch seconds, the event with its id
# still ""). The id is given when the event is first written, so ids rise through the
# file as a marketplace's would.
Line = tuple[int, EventJson]


class _Events:
    """Makes the events of one order at a time (with the cases that hang off it)."""

    def __init__(self, rng: random.Random, shops: list[tuple[str, list[str]]], n: int) -> None:
        self.rng = rng
        self.shops = shops
        self.next_order = 0
        # Orders are placed at a steady pace from _T0 to _T1 (about 3 events an order),
        # as a marketplace's export runs roughly in time order.
        self.clock = float(_T0)
        self.pace = (_T1 - _T0) / max(1, n // 3)

    @staticmethod
    def _event(type_: str, shop_id: str, at: int, **data: Any) -> Line:
        return at, event("", type_, shop_id, datetime.fromtimestamp(at, UTC), **data)

    @staticmethod
    def _built(build: Callable[..., EventJson], shop_id: str, at: int, **fields: Any) -> Line:
        return at, build("", shop_id, datetime.fromtimestamp(at, UTC), **fields)

    def _case(self, out: list[Line], opened: Line, closed: str, share: float, **data: Any) -> None:
        """A case opened by `opened`; a `share` of them closed by a `closed` event."""
        out.append(opened)
        if self.rng.random() < share:
            at = opened[0] + self.rng.randint(_HOUR, 20 * _DAY)
            out.append(self._event(closed, opened[1]["shop_id"], at, **data))

    def order(self) -> list[Line]:
        rng = self.rng
        shop_id, categories = self.shops[rng.randrange(len(self.shops))]
        self.next_order += 1
        oid = f"ord-{self.next_order:08d}"
        self.clock += self.pace
        at = int(self.clock) + rng.randint(0, 6 * _HOUR)
        out = [
            self._built(
                order_placed,
                shop_id,
                at,
                order_id=oid,
                category=rng.choice(categories),
                amount=_gbp(rng, 3, 400),
                customer_id=f"cus-{rng.randrange(200_000):06d}",
            )
        ]
        roll = rng.random()
        if roll < 0.03:  # cancelled before shipping
            cancelled = at + rng.randint(_HOUR, _DAY)
            out.append(self._event("order.cancelled", shop_id, cancelled, order_id=oid))
            return out
        if roll < 0.04:  # still waiting to ship
            return out
        at += rng.randint(2 * _HOUR, 3 * _DAY)
        out.append(self._event("order.shipped", shop_id, at, order_id=oid))
        roll = rng.random()
        if roll < 0.02:  # cancelled in transit (returned to sender)
            returned = at + rng.randint(_DAY, 5 * _DAY)
            out.append(self._event("order.cancelled", shop_id, returned, order_id=oid))
            return out
        if roll < 0.04:  # still in transit
            return out
        at += rng.randint(_DAY, 6 * _DAY)
        out.append(self._event("order.delivered", shop_id, at, order_id=oid))
        roll = rng.random()
        self._extras(out, shop_id, oid, at, roll)
        return out

    def _extras(self, out: list[Line], shop_id: str, oid: str, at: int, roll: float) -> None:
        rng = self.rng
        at += rng.randint(_HOUR, 10 * _DAY)
        n = self.next_order
        if roll < 0.04:
            case = {"case_id": f"asc-{n}", "order_id": oid}
            opened = self._event("after_sales.opened", shop_id, at, **case)
            self._case(out, opened, "after_sales.closed", 0.9, **case)
        elif roll < 0.048:
            dispute = f"dsp-{n}"
            opened = self._event("dispute.opened", shop_id, at, dispute_id=dispute, order_id=oid)
            self._case(out, opened, "dispute.resolved", 0.85, dispute_id=dispute)
        elif roll < 0.053:
            complaint = f"cmp-{n}"
            opened = self._event("complaint.opened", shop_id, at, complaint_id=complaint)
            self._case(out, opened, "complaint.resolved", 0.8, complaint_id=complaint)
        elif roll < 0.068:
            charge = f"chg-{n}"
            billed = self._built(
                charge_billed,
                shop_id,
                at,
                charge_id=charge,
                kind=rng.choice(("ads", "commission")),
                amount=_gbp(rng, 5, 300),
            )
            self._case(out, billed, "charge.settled", 0.9, charge_id=charge)
        elif roll < 0.069:
            fine = f"fin-{n}"
            issued = self._built(
                fine_issued,
                shop_id,
                at,
                fine_id=fine,
                amount=_gbp(rng, 20, 500),
                reason="late dispatch",
            )
            self._case(out, issued, "fine.paid", 0.7, fine_id=fine)
        elif roll < 0.0692:
            violation = f"vio-{n}"
            recorded = self._built(
                violation_recorded,
                shop_id,
                at,
                violation_id=violation,
                type="misleading_listing",
                consumer_loss=_gbp(rng, 5, 80),
                order_id=oid,
            )
            self._case(out, recorded, "violation.rectified", 0.5, violation_id=violation)


def generate(path: Path, n: int, seed: int = 7) -> Counter[str]:
    """Stream n JSON lines to `path`; returns how many of each type (plus duplicates).

    The file runs in time order, as a marketplace's export does, except that a few
    percent of the events arrive late (out of order) and ~1% arrive a second time
    (same id) a little later. A heap holds the events not yet due.
    """
    rng = random.Random(seed)
    maker = _Events(rng, shop_plan(seed), n)
    pending: list[tuple[int, int, Line]] = []  # (due, sequence, event)
    types: Counter[str] = Counter()
    written = duplicates = seq = 0
    with path.open("w", encoding="utf-8") as out:
        while written < n:
            for line in maker.order():
                due = line[0]
                if rng.random() < LATE_SHARE:
                    due += rng.randint(_HOUR, 3 * _DAY)
                seq += 1
                heapq.heappush(pending, (due, seq, line))
                if rng.random() < DUPLICATE_SHARE:  # the same object, so the same id
                    seq += 1
                    heapq.heappush(pending, (due + rng.randint(60, _DAY), seq, line))
            # Every later order is placed after maker.clock: what is due by then can go.
            while pending and pending[0][0] <= maker.clock and written < n:
                _, _, (_, obj) = heapq.heappop(pending)
                if obj["id"]:
                    duplicates += 1
                else:
                    obj["id"] = f"evt-{written + 1 - duplicates:09d}"
                out.write(json.dumps(obj, separators=(",", ":")))
                out.write("\n")
                written += 1
                types[obj["type"]] += 1
    counts = Counter(types)
    counts["(duplicate lines)"] = duplicates
    counts["(lines)"] = written
    return counts


# -- baseline -------------------------------------------------------------------------

_BASELINE_SQL = (
    "INSERT OR IGNORE INTO events (id, shop_id, type, occurred_at, data, "
    "received_at) VALUES (?, ?, ?, ?, ?, ?)"
)


def baseline(db: Path, file: Path) -> tuple[float, int]:
    """Plain executemany of the raw rows; returns (seconds, lines read)."""
    from depositdesk.adapters.db.engine import make_engine, upgrade

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")  # as make_engine sets it up
    con.execute("PRAGMA synchronous=NORMAL")
    received_at = datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" ")
    lines = 0
    start = time.perf_counter()
    with file.open("rb") as handle:
        rows: list[tuple[Any, ...]] = []
        for line in handle:
            raw = json.loads(line)
            rows.append(
                (
                    raw["id"],
                    raw["shop_id"],
                    raw["type"],
                    raw["occurred_at"],
                    json.dumps(raw["data"]),
                    received_at,
                )
            )
            if len(rows) >= BASELINE_CHUNK:
                con.execute("BEGIN")
                con.executemany(_BASELINE_SQL, rows)
                con.execute("COMMIT")
                lines += len(rows)
                rows = []
        if rows:
            con.execute("BEGIN")
            con.executemany(_BASELINE_SQL, rows)
            con.execute("COMMIT")
            lines += len(rows)
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed, lines


# -- full path --------------------------------------------------------------------------


def _prepare_full(url: str) -> None:
    from benchmarks._common import create_shops
    from depositdesk.bootstrap import build, migrate
    from depositdesk.services import policies
    from depositdesk.services.usecase import run

    app = build(Settings(database_url=url, sandbox=False))
    migrate(app)
    run(app, policies.ensure_default_packs, ADMIN, app.clock.now())
    create_shops(app, shop_plan())
    app.engine.dispose()


def _child(url: str, file: Path, profile: Path | None, chunk: int) -> None:
    """Runs in the child process: the real ingestion, as the CLI runs it."""
    from benchmarks._common import INTEGRATION
    from depositdesk.bootstrap import build
    from depositdesk.services.ingestion import decode_lines, ingest

    app = build(Settings(database_url=url, sandbox=False))

    def lines(handle: Any) -> Iterator[bytes]:
        yield from handle  # raw bytes, as `depositdesk events ingest` passes them

    profiler = None
    if profile is not None:
        import cProfile

        profiler = cProfile.Profile()
    with file.open("rb") as handle:
        start = time.perf_counter()
        if profiler is not None:
            profiler.enable()
        result = ingest(
            app.uow, INTEGRATION, app.now_refreshed, decode_lines(lines(handle)), chunk=chunk
        )
        if profiler is not None:
            profiler.disable()
        elapsed = time.perf_counter() - start
    if profiler is not None and profile is not None:
        profiler.dump_stats(str(profile))
    with app.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one()
        orders = conn.exec_driver_sql("SELECT count(*) FROM orders").scalar_one()
    reasons = Counter(r.reason for r in result.rejected)
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "accepted": result.accepted,
                "duplicates": result.duplicates,
                "rejected": len(result.rejected),
                "reasons": dict(reasons),
                "stored": stored,
                "orders": orders,
                "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


def full(
    url: str, file: Path, profile: Path | None = None, chunk: int = CHUNK
) -> tuple[dict[str, Any], float]:
    """Run the real ingestion in a child; returns (its report, peak RSS in MB)."""
    _prepare_full(url)
    cmd = [
        sys.executable,
        "-m",
        "benchmarks.ingestion",
        "--child",
        url,
        str(file),
        "--chunk",
        str(chunk),
    ]
    if profile is not None:
        cmd += ["--profile", str(profile)]
    done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the full-path child failed (exit {done.returncode})")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    return report, peak_kb / 1024


@contextmanager
def _pg_schema() -> Iterator[str]:
    """A fresh schema on the benchmark's PostgreSQL: a URL whose connections use it."""
    from sqlalchemy import make_url, text

    from benchmarks.bench_timer_sweep import PG_URL
    from depositdesk.adapters.db.engine import make_engine

    schema = f"dd_bench_ing_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL, connect_args={"connect_timeout": 3})
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _pg_reachable() -> bool:
    try:
        with _pg_schema():
            return True
    except Exception:
        return False


def pg_baseline(url: str, file: Path) -> tuple[float, int]:
    """COPY of the raw rows into `events` (through a staging table, ON CONFLICT DO
    NOTHING for the duplicates), 5000 a transaction; returns (seconds, lines)."""
    from depositdesk.adapters.db.engine import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    raw: Any = engine.raw_connection()
    con = raw.driver_connection
    con.autocommit = False
    con.execute(
        "CREATE TEMP TABLE events_raw (LIKE events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    con.commit()
    received_at = datetime.now(UTC).replace(tzinfo=None)
    copy_sql = "COPY events_raw (id, shop_id, type, occurred_at, data, received_at) FROM STDIN"
    merge_sql = "INSERT INTO events SELECT * FROM events_raw ON CONFLICT (id) DO NOTHING"
    lines = 0

    def flush(rows: list[tuple[Any, ...]]) -> None:
        with con.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row(row)
        con.execute(merge_sql)
        con.commit()

    start = time.perf_counter()
    with file.open("rb") as handle:
        rows: list[tuple[Any, ...]] = []
        for line in handle:
            r = json.loads(line)
            rows.append(
                (
                    r["id"],
                    r["shop_id"],
                    r["type"],
                    r["occurred_at"],
                    json.dumps(r["data"]),
                    received_at,
                )
            )
            if len(rows) >= BASELINE_CHUNK:
                flush(rows)
                lines += len(rows)
                rows = []
        if rows:
            flush(rows)
            lines += len(rows)
    elapsed = time.perf_counter() - start
    raw.close()
    engine.dispose()
    return elapsed, lines


def _postgres(report: Report, file: Path, n: int, profile: Path | None, chunk: int) -> None:
    say("[ingestion] PostgreSQL baseline (1/2): json.loads + COPY into `events` ...")
    with _pg_schema() as url:
        before_s, base_n = pg_baseline(url, file)
    say(f"[ingestion]   {base_n:,} lines in {before_s:.2f}s = {rate(base_n, before_s)}")
    say("[ingestion] PostgreSQL full path: ingest(decode_lines(file)) in a child ...")
    with _pg_schema() as url:
        child, _ = full(url, file, profile, chunk)
    full_s = child["seconds"]
    say(
        f"[ingestion]   {base_n:,} lines in {full_s:.2f}s = {rate(base_n, full_s)}; "
        f"accepted {child['accepted']:,}, duplicates {child['duplicates']:,}, "
        f"rejected {child['rejected']:,}; {child['stored']:,} events stored"
    )
    say("[ingestion] PostgreSQL baseline (2/2) ...")
    with _pg_schema() as url:
        after_s, _ = pg_baseline(url, file)
    say(f"[ingestion]   {base_n:,} lines in {after_s:.2f}s = {rate(base_n, after_s)}")
    base_s = (before_s + after_s) / 2
    ratio = base_s / full_s
    report.add("PostgreSQL baseline (json.loads + COPY)", rate(base_n, base_s))
    report.add("PostgreSQL full path (ingest over decode_lines)", rate(base_n, full_s))
    report.add(
        "PostgreSQL ratio full / COPY baseline",
        f"{ratio:.3f}",
        f">= {PG_RATIO_TARGET}",
        ratio >= PG_RATIO_TARGET,
    )
    child_mb = child["self_maxrss_kb"] / 1024
    report.add(
        "PostgreSQL peak RSS of the full path (child)",
        f"{child_mb:,.0f} MB",
        f"< {RSS_TARGET_MB} MB",
        child_mb < RSS_TARGET_MB,
    )
    consistent = child["accepted"] + child["duplicates"] + child["rejected"] == base_n
    report.add("PostgreSQL counts add up", "yes" if consistent else "NO")


def bench(
    events: int,
    workdir: Path | None = None,
    profile: Path | None = None,
    chunk: int = CHUNK,
    databases: tuple[str, ...] = ("sqlite", "postgres"),
) -> Report:
    with tempfile.TemporaryDirectory(prefix="depositdesk-bench-", dir=workdir) as tmp:
        root = Path(tmp)
        file = root / "events.jsonl"
        say(f"[ingestion] generating {events:,} events -> {file.name} ...")
        started = time.perf_counter()
        counts = generate(file, events)
        size_mb = file.stat().st_size / 1e6
        say(
            f"[ingestion]   {counts['(lines)']:,} lines, {size_mb:,.0f} MB, "
            f"{counts['(duplicate lines)']:,} duplicate lines "
            f"({time.perf_counter() - started:.1f}s)"
        )
        mix = ", ".join(f"{t} {n:,}" for t, n in counts.most_common() if not t.startswith("("))
        say(f"[ingestion]   mix: {mix}")

        report = Report(
            f"Ingestion of {counts['(lines)']:,} events (ingest() in chunks of {chunk:,})"
        )
        if "sqlite" in databases:
            _sqlite(report, root, file, counts, profile, chunk)
        if "postgres" in databases:
            if _pg_reachable():
                _postgres(report, file, counts["(lines)"], profile, chunk)
            else:
                report.add("PostgreSQL: skipped, not reachable", "-")
    return report


def _sqlite(
    report: Report,
    root: Path,
    file: Path,
    counts: Counter[str],
    profile: Path | None,
    chunk: int,
) -> None:
    # The baseline runs before and after the full path (each time into a fresh
    # database) and the ratio uses the mean: a drift of the machine's speed over
    # the run, common on shared virtual machines, then cancels out.
    say("[ingestion] baseline (1/2): json.loads + executemany into `events` ...")
    before_s, base_n = baseline(root / "baseline1.db", file)
    say(f"[ingestion]   {base_n:,} lines in {before_s:.2f}s = {rate(base_n, before_s)}")

    say("[ingestion] full path: ingest(decode_lines(file)) in a child process ...")
    child, peak_mb = full(sqlite_url(root / "full.db"), file, profile, chunk)
    full_s = child["seconds"]
    say(
        f"[ingestion]   {base_n:,} lines in {full_s:.2f}s = {rate(base_n, full_s)}; "
        f"accepted {child['accepted']:,}, duplicates {child['duplicates']:,}, "
        f"rejected {child['rejected']:,} {child['reasons'] or ''}; "
        f"{child['stored']:,} events and {child['orders']:,} orders stored"
    )

    say("[ingestion] baseline (2/2) ...")
    after_s, _ = baseline(root / "baseline2.db", file)
    say(f"[ingestion]   {base_n:,} lines in {after_s:.2f}s = {rate(base_n, after_s)}")
    base_s = (before_s + after_s) / 2

    ratio = (base_n / full_s) / (base_n / base_s)
    consistent = (
        child["accepted"] + child["duplicates"] + child["rejected"] == base_n
        and child["duplicates"] == counts["(duplicate lines)"]
        and child["stored"] == child["accepted"]
    )
    report.add("SQLite baseline (json.loads + executemany)", rate(base_n, base_s))
    report.add(
        "  (before / after the full path)",
        f"{base_n / before_s / 1000:,.0f}k / {base_n / after_s / 1000:,.0f}k",
    )
    report.add("SQLite full path (ingest over decode_lines)", rate(base_n, full_s))
    report.add(
        "SQLite ratio full / baseline", f"{ratio:.3f}", f">= {RATIO_TARGET}", ratio >= RATIO_TARGET
    )
    report.add(
        "SQLite peak RSS of the full path (child)",
        f"{peak_mb:,.0f} MB",
        f"< {RSS_TARGET_MB} MB",
        peak_mb < RSS_TARGET_MB,
    )
    report.add("SQLite counts add up (accepted+dup+rejected)", "yes" if consistent else "NO")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingestion")
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--profile",
        type=Path,
        default=None,
        help="write cProfile stats of the full path's ingest() here",
    )
    parser.add_argument(
        "--chunk",
        type=int,
        default=CHUNK,
        help=f"events per transaction for ingest() (default {CHUNK}, its default)",
    )
    parser.add_argument(
        "--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres"
    )
    parser.add_argument("--child", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], Path(args.child[1]), args.profile, args.chunk)
        return
    databases = tuple(args.databases.split(","))
    bench(args.events, profile=args.profile, chunk=args.chunk, databases=databases).print()


if __name__ == "__main__":
    main()
