"""`python -m benchmarks` (`make bench`): every benchmark, then a summary.

Options: `--events N` (ingestion, default 1,000,000), `--chunk N` (events per
ingest() transaction, default ingest()'s own), `--orders N` (finished orders of the
big eligibility shop, default 1,000,000), `--calls N` (timed eligibility calls per
shop and kind, default 300), `--shops N` (shops with a due ladder step for the timer
sweep, default 100,000; it runs on SQLite and on the PostgreSQL of
DEPOSITDESK_BENCH_POSTGRES_URL, skipped when that is not reachable),
`--applications N` (refund applications taken through submit, approve, payout and
paid in the sandbox, default 10,000; SQLite and that PostgreSQL too),
`--api-shops N`, `--api-orders N`, `--api-events N`, `--api-seconds S` (the API load
benchmark: a marketplace of N shops and orders, default 1,000 and 1,000,000, S seconds
per call and client count, default 5, N events ingested during the reads, default
300,000; `depositdesk serve` on SQLite in one process and on that PostgreSQL with
`--pg-workers` processes, default 4),
`--ledger-events N`, `--ledger-history N`, `--payins N` (the ledger benchmark: N
violations against N order events, default 100,000; a deduction on a shop with N
entries, default 1,000,000, against a new shop; N pay-ins against N pgledger transfers
on that PostgreSQL, default 2,000),
`--archive-orders N` (the archive benchmark: a shop with N orders and their events,
default 1,000,000; `--archive-plain` for a non-anonymised archive),
`--only ingestion|eligibility|timers|refunds|api|ledger|archive`.
"""

from __future__ import annotations

import argparse
import time

from benchmarks import (
    bench_api,
    bench_archive,
    bench_ledger,
    bench_refunds,
    bench_timer_sweep,
    eligibility,
    ingestion,
)
from benchmarks._common import Report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="depositdesk benchmarks (not tests)"
    )
    parser.add_argument(
        "--events",
        type=int,
        default=1_000_000,
        help="events in the ingestion file (default 1,000,000)",
    )
    parser.add_argument(
        "--orders",
        type=int,
        default=1_000_000,
        help="finished orders of the big eligibility shop (default 1,000,000)",
    )
    parser.add_argument(
        "--calls",
        type=int,
        default=300,
        help="timed eligibility calls per shop and kind (default 300)",
    )
    parser.add_argument(
        "--chunk",
        type=int,
        default=ingestion.CHUNK,
        help=f"events per ingest() transaction (default {ingestion.CHUNK:,})",
    )
    parser.add_argument(
        "--shops",
        type=int,
        default=bench_timer_sweep.SHOPS,
        help="shops with a due ladder step in the timer sweep (default 100,000)",
    )
    parser.add_argument(
        "--applications",
        type=int,
        default=bench_refunds.APPLICATIONS,
        help="refund applications through submit, approve, payout, paid (default 10,000)",
    )
    parser.add_argument(
        "--ledger-events",
        type=int,
        default=bench_ledger.EVENTS,
        help="violations and order events of the ledger benchmark (default 100,000)",
    )
    parser.add_argument(
        "--ledger-history",
        type=int,
        default=bench_ledger.HISTORY,
        help="ledger entries of the long-history shop (default 1,000,000)",
    )
    parser.add_argument(
        "--payins",
        type=int,
        default=bench_ledger.PAYINS,
        help="pay-ins and pgledger transfers, one transaction each (default 2,000)",
    )
    parser.add_argument("--api-shops", type=int, default=bench_api.SHOPS)
    parser.add_argument("--api-orders", type=int, default=bench_api.ORDERS)
    parser.add_argument("--api-events", type=int, default=bench_api.EVENTS)
    parser.add_argument("--api-seconds", type=float, default=bench_api.SECONDS)
    parser.add_argument("--pg-workers", type=int, default=bench_api.PG_WORKERS)
    parser.add_argument(
        "--archive-orders",
        type=int,
        default=bench_archive.ORDERS,
        help="orders of the archived shop (default 1,000,000)",
    )
    parser.add_argument(
        "--archive-plain", action="store_true", help="archive without anonymising customers"
    )
    parser.add_argument(
        "--only",
        choices=("ingestion", "eligibility", "timers", "refunds", "api", "ledger", "archive"),
        default=None,
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    reports: list[Report] = []
    # Ingestion first: its peak-RSS reading covers only the child processes started so far.
    if args.only in (None, "ingestion"):
        reports.append(ingestion.bench(args.events, chunk=args.chunk))
    if args.only in (None, "eligibility"):
        reports.append(eligibility.bench(big=args.orders, calls=args.calls))
    if args.only in (None, "timers"):
        reports.append(bench_timer_sweep.bench(shops=args.shops))
    if args.only in (None, "refunds"):
        reports.append(bench_refunds.bench(applications=args.applications))
    if args.only in (None, "ledger"):
        reports.append(
            bench_ledger.bench(
                events=args.ledger_events, history=args.ledger_history, payins=args.payins
            )
        )
    if args.only in (None, "archive"):
        reports.append(bench_archive.bench(args.archive_orders, anonymize=not args.archive_plain))
    if args.only in (None, "api"):
        reports.append(
            bench_api.bench(
                shops=args.api_shops,
                orders=args.api_orders,
                events=args.api_events,
                seconds=args.api_seconds,
                pg_workers=args.pg_workers,
            )
        )

    print()
    print("=" * 100)
    print("Summary (ratios against baselines measured in this run; not a test)")
    print("=" * 100)
    for report in reports:
        report.print()
    missed = [o for r in reports for o in r.outcomes if o.met is False]
    print("-" * 100)
    print(
        f"{'all targets met' if not missed else f'{len(missed)} target(s) NOT met'}; "
        f"took {time.perf_counter() - started:.0f}s"
    )


if __name__ == "__main__":
    main()
