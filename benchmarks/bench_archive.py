"""Archive benchmark (UNL-4): the shop data archive of a shop with 1,000,000 orders.

A freshly migrated SQLite database gets one shop with N orders in the projection and
their N `order.placed` events (each naming its customer with a name, email, phone and
address, as a marketplace may send them), a ticket event for one order in 100 and a
few ledger entries, bulk-inserted with Core executemany: this measures the archive,
not ingestion. The archive is then built by the worker's own job
(`entrypoints/worker.build_archives`) in a child process, whose peak RSS it reads
with `getrusage(RUSAGE_SELF)` (imports included): the anonymised archive (the
costlier kind: every event's data is parsed, scrubbed and re-encoded, every customer
id pseudonymised).

The baseline, in another child of the same run, writes the same rows with pyarrow
alone: for each big kind (orders, sales history, customers, tickets) its first batch
of rows as the archive holds them, made before the clock starts and written as many
times as the kind has rows — the same row counts, columns and value shapes — by
CSVWriter and ParquetWriter (zstd), in batches of the same size: Arrow conversion and
the two writers, no database, no anonymisation, no zip, no hashing. It runs before and
after the archive and the two are averaged (the shared machine's speed drifts).

Targets: archive seconds / baseline seconds <= 2.0; the archive's peak RSS <= 400 MB.
`--archive-orders N` makes a quick run (`--only archive --archive-orders 50000`).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks._common import ADMIN, Report, create_shops, fresh_app, say, sqlite_url
from depositdesk.adapters.db.tables import events, orders
from depositdesk.bootstrap import App
from depositdesk.services.access import Principal, Role
from depositdesk.services.archives import start_archive
from depositdesk.services.deposits import pay_in
from depositdesk.services.shop_view import load_shop
from depositdesk.services.usecase import run

ORDERS = 1_000_000
RATIO_TARGET = 2.0
RSS_TARGET_MB = 400
SHOP = "big"
CUSTOMERS_EVERY = 5  # one customer per 5 orders
TICKETS_EVERY = 100
FILL_CHUNK = 20_000
BATCH = 10_000  # rows per record batch, as adapters/db/archives_repo.BATCH
REPO_ROOT = Path(__file__).resolve().parent.parent
START = datetime(2023, 1, 1, tzinfo=UTC)
OWNER = Principal("bench-owner", Role.OWNER, "bench-seller", "bench owner")


def _t(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _order(i: int, n: int) -> dict[str, Any]:
    placed = START + timedelta(seconds=86_400 * 900 * i / n)
    customer = f"cust-{i % max(1, n // CUSTOMERS_EVERY):07d}"
    return {
        "order_id": f"ord-{i:08d}",
        "placed": placed,
        "customer": customer,
        "amount_minor": 1000 + i % 9000,
        "data": json.dumps(
            {
                "amount": f"{(1000 + i % 9000) / 100:.2f}",
                "category": "apparel",
                "currency": "GBP",
                "customer_id": customer,
                "customer_name": f"Customer Name {i % 99991}",
                "customer_email": f"{customer}@mail.example",
                "phone": f"+44 7700 {i % 999_999:06d}",
                "shipping": {"address": f"{i % 997} High Street", "city": "Exampleton"},
                "order_id": f"ord-{i:08d}",
            },
            sort_keys=True,
            separators=(",", ":"),
        ),
    }


def _fill(app: App, n: int) -> None:
    """N delivered orders, their placing events, a ticket per TICKETS_EVERY orders."""
    ins_orders, ins_events = orders.insert(), events.insert()
    with app.engine.connect() as conn:
        for start in range(0, n, FILL_CHUNK):
            order_rows, event_rows = [], []
            for i in range(start, min(n, start + FILL_CHUNK)):
                o = _order(i, n)
                placed = o["placed"]
                order_rows.append(
                    {
                        "shop_id": SHOP,
                        "order_id": o["order_id"],
                        "state": "delivered",
                        "category": "apparel",
                        "amount_minor": o["amount_minor"],
                        "currency": "GBP",
                        "customer_id": o["customer"],
                        "placed_at": placed,
                        "placed_event": f"evt-{i:08d}",
                        "shipped_at": placed + timedelta(days=1),
                        "delivered_at": placed + timedelta(days=3),
                        "cancelled_at": None,
                        "after_sales_ends_at": placed + timedelta(days=33),
                    }
                )
                event_rows.append(
                    {
                        "id": f"evt-{i:08d}",
                        "shop_id": SHOP,
                        "type": "order.placed",
                        "occurred_at": placed,
                        "data": o["data"],
                        "received_at": placed,
                    }
                )
                if i % TICKETS_EVERY == 0:
                    event_rows.append(
                        {
                            "id": f"tkt-{i:08d}",
                            "shop_id": SHOP,
                            "type": "ticket.opened",
                            "occurred_at": placed + timedelta(days=2),
                            "data": json.dumps(
                                {
                                    "ticket_id": f"t-{i:08d}",
                                    "subject": f"Where is my parcel? {o['customer']}@mail.example",
                                    "customer_id": o["customer"],
                                }
                            ),
                            "received_at": placed + timedelta(days=2),
                        }
                    )
            conn.begin()
            conn.execute(ins_orders, order_rows)
            conn.execute(ins_events, event_rows)
            conn.commit()


# -- the baseline: the same rows, pyarrow alone --------------------------------------


def _baseline_rows(n: int) -> dict[str, Iterator[tuple[Any, ...]]]:
    def order_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(n):
            o = _order(i, n)
            p = o["placed"]
            yield (
                o["order_id"],
                "delivered",
                "apparel",
                o["amount_minor"],
                "GBP",
                "cus_" + o["customer"][-7:] + "0" * 17,
                _t(p),
                _t(p + timedelta(days=1)),
                _t(p + timedelta(days=3)),
                None,
                _t(p + timedelta(days=33)),
            )

    def event_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(n):
            o = _order(i, n)
            yield (f"evt-{i:08d}", "order.placed", _t(o["placed"]), _t(o["placed"]), o["data"])

    def customer_rows() -> Iterator[tuple[Any, ...]]:
        customers = max(1, n // CUSTOMERS_EVERY)
        for c in range(customers):
            yield (
                f"cus_{c:07d}" + "0" * 17,
                "GBP",
                CUSTOMERS_EVERY,
                5000,
                _t(START),
                _t(START),
                None,
            )

    def ticket_rows() -> Iterator[tuple[Any, ...]]:
        for i in range(0, n, TICKETS_EVERY):
            o = _order(i, n)
            yield (f"tkt-{i:08d}", f"t-{i:08d}", "ticket.opened", _t(o["placed"]), "s", "{}")

    return {
        "orders": order_rows(),
        "sales_history": event_rows(),
        "customers": customer_rows(),
        "tickets": ticket_rows(),
    }


def _baseline_child(n: int, folder: Path) -> None:
    """Each kind's rows (its first BATCH rows, made before the clock starts) written
    as many times as the kind has rows, batch by batch: Arrow conversion, CSVWriter
    and ParquetWriter, nothing else."""
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    from depositdesk.adapters.archive_writer import record_batch, schema_of
    from depositdesk.domain.archives import KIND_BY_NAME

    counts = {
        "orders": n,
        "sales_history": n,
        "customers": max(1, n // CUSTOMERS_EVERY),
        "tickets": len(range(0, n, TICKETS_EVERY)),
    }
    batches = {
        name: [row for _, row in zip(range(min(BATCH, counts[name])), rows, strict=False)]
        for name, rows in _baseline_rows(n).items()
    }
    start = time.perf_counter()
    for name, batch in batches.items():
        schema = schema_of(KIND_BY_NAME[name])
        with (
            pa_csv.CSVWriter(str(folder / f"{name}.csv"), schema) as csv_out,
            pq.ParquetWriter(str(folder / f"{name}.parquet"), schema, compression="zstd") as pq_out,
        ):
            left = counts[name]
            while left > 0:
                record = record_batch(schema, batch[:left])
                csv_out.write_batch(record)
                pq_out.write_batch(record)
                left -= len(batch)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds": seconds}))


def _archive_child(url: str, data_dir: Path) -> None:
    from depositdesk.bootstrap import build
    from depositdesk.entrypoints.worker import build_archives
    from depositdesk.settings import Settings

    app = build(Settings(database_url=url, data_dir=data_dir))
    # As a worker that has been running: the shop's policy (and with it the market's
    # business-day calendar, whose first use imports and compiles about 0.5 s of
    # code) read once before the clock starts; the job reads it again for the manifest.
    with app.uow(read_only=True) as uow:
        load_shop(uow, None, app.clock.now(), SHOP)
    start = time.perf_counter()
    built = build_archives(app)
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "built": built,
                "self_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
            }
        )
    )


def _child(*args: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.bench_archive", "--child", *args]
    done = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the benchmark child failed (exit {done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def bench(orders_count: int = ORDERS, anonymize: bool = True) -> Report:
    report = Report(f"Archive (UNL-4): a shop with {orders_count:,} orders, SQLite")
    with tempfile.TemporaryDirectory(prefix="dd-bench-archive-") as tmp:
        folder = Path(tmp)
        app = fresh_app(folder / "archive.db")
        create_shops(app, [(SHOP, ["apparel"])])
        now = app.clock.now()
        for k in range(3):
            run(
                app,
                pay_in,
                ADMIN,
                now,
                SHOP,
                amount="100.00",
                currency="GBP",
                reference=f"R{k}",
                idempotency_key=f"bench-{k}",
            )
        say(f"filling {orders_count:,} orders and their events ...")
        started = time.perf_counter()
        _fill(app, orders_count)
        say(f"  filled in {time.perf_counter() - started:.1f}s")
        archive = run(app, start_archive, OWNER, now, SHOP, anonymize_customers=anonymize)
        url = sqlite_url(folder / "archive.db")
        app.engine.dispose()
        (folder / "baseline").mkdir()

        def baseline() -> float:
            say("the baseline: the same rows with pyarrow alone ...")
            seconds = float(
                _child("baseline", str(orders_count), str(folder / "baseline"))["seconds"]
            )
            say(f"  {seconds:.1f}s")
            return seconds

        # The machine's speed drifts: the baseline runs before and after, averaged.
        before = baseline()
        say("building the archive in a child process ...")
        built = _child("archive", url, str(folder / "data"))
        # The child's own peak (getrusage in the child): RUSAGE_CHILDREN here would
        # also count the children of benchmarks that ran before this one.
        peak_mb = built["self_maxrss_kb"] / 1024
        assert built["built"] == 1, built
        zip_path = folder / "data" / "archives" / f"{archive.id}.zip"
        size_mb = zip_path.stat().st_size / 1e6
        say(f"  {built['seconds']:.1f}s, zip {size_mb:.0f} MB, peak RSS {peak_mb:.0f} MB")
        after = baseline()
    base_seconds = (before + after) / 2
    ratio = built["seconds"] / base_seconds
    kind = "anonymised" if anonymize else "plain"
    report.add(f"archive ({kind}) seconds", f"{built['seconds']:.1f} s")
    report.add(
        "pyarrow alone (CSV + Parquet) seconds, before / after",
        f"{before:.1f} / {after:.1f} s",
    )
    report.add(
        "archive / pyarrow alone", f"{ratio:.2f}", f"<= {RATIO_TARGET}", ratio <= RATIO_TARGET
    )
    report.add(
        "archive child peak RSS",
        f"{peak_mb:.0f} MB",
        f"<= {RSS_TARGET_MB} MB",
        peak_mb <= RSS_TARGET_MB,
    )
    report.add("zip size", f"{size_mb:.0f} MB")
    return report


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        if sys.argv[2] == "archive":
            _archive_child(sys.argv[3], Path(sys.argv[4]))
        else:
            _baseline_child(int(sys.argv[3]), Path(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_archive")
    parser.add_argument("--orders", type=int, default=ORDERS)
    parser.add_argument("--plain", action="store_true", help="a non-anonymised archive")
    args = parser.parse_args()
    bench(args.orders, anonymize=not args.plain).print()


if __name__ == "__main__":
    main()
