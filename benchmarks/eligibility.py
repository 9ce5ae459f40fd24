"""Eligibility benchmark: a shop with 1,000,000 finished orders against one with 1,000.

Both shops live in one freshly migrated SQLite database. Their finished orders
(delivered long ago, after-sales period over) and the closed cases that go with
such a history (after-sales cases, disputes, settled charges for a few percent of
the orders) are bulk-inserted into the projection tables with Core executemany:
this benchmark measures reads, not ingestion.
Both shops then get the same handful of live events through the real `ingest()`
(open orders, orders still in their after-sales period, an open after-sales
case, dispute, complaint, an unpaid fine and an unsettled charge), so the answers
carry blockers. Then `eligibility()` is timed for kind=full and
kind=difference (category apparel, what_if=stop), calls of the two shops
interleaved, after a warm-up.

Target (EVT-3): p50(1M) / p50(1k) <= 1.5 for each kind.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks._common import (
    ADMIN,
    INTEGRATION,
    Report,
    create_shops,
    fresh_app,
    ms,
    p50,
    say,
)
from depositdesk.adapters.db.tables import orders, shop_records
from depositdesk.bootstrap import App
from depositdesk.demo.events import EventJson, charge_billed, event, fine_issued, order_placed
from depositdesk.domain.money import Money
from depositdesk.services.deposits import pay_in
from depositdesk.services.eligibility import EligibilityAnswer, eligibility
from depositdesk.services.ingestion import ingest
from depositdesk.services.usecase import read, run

RATIO_TARGET = 1.5
CATEGORIES = {"apparel": 30, "home": 30}  # after-sales days in the gb pack
FILL_CHUNK = 20_000
KINDS: tuple[tuple[str, str | None, str | None], ...] = (
    ("full", None, None),
    ("difference", "apparel", "stop"),
)


def _finished_rows(shop_id: str, n: int) -> Any:
    """n delivered orders whose after-sales period ended long ago, in key order."""
    start = datetime(2022, 1, 1, tzinfo=UTC)
    span = (datetime(2025, 6, 1, tzinfo=UTC) - start).total_seconds()
    cats = list(CATEGORIES)
    for i in range(n):
        placed = start + timedelta(seconds=span * i / n)
        delivered = placed + timedelta(days=3)
        category = cats[i % len(cats)]
        yield {
            "shop_id": shop_id,
            "order_id": f"hist-{i:08d}",
            "state": "delivered",
            "category": category,
            "amount_minor": 1000 + i % 9000,
            "currency": "GBP",
            "customer_id": f"cus-{i % 50_000:05d}",
            "placed_at": placed,
            "placed_event": f"hist-evt-{shop_id}-{i:08d}",
            "shipped_at": placed + timedelta(days=1),
            "delivered_at": delivered,
            "cancelled_at": None,
            "after_sales_ends_at": delivered + timedelta(days=CATEGORIES[category]),
        }


# Closed cases per finished order: (kind, one in every N orders).
CLOSED_RECORDS = (("after_sales_case", 50), ("dispute", 200), ("charge", 100))


def _closed_records(shop_id: str, n: int) -> Any:
    start = datetime(2022, 1, 1, tzinfo=UTC)
    for kind, every in CLOSED_RECORDS:
        for i in range(0, n, every):
            opened = start + timedelta(days=4, seconds=i)
            yield {
                "shop_id": shop_id,
                "kind": kind,
                "record_id": f"{kind}-{i:08d}",
                "order_id": None if kind == "charge" else f"hist-{i:08d}",
                "is_open": False,
                "opened_at": opened,
                "opened_event": f"hist-{kind}-{shop_id}-{i:08d}",
                "closed_at": opened + timedelta(days=5),
                "amount_minor": 500 if kind == "charge" else None,
                "currency": "GBP" if kind == "charge" else None,
                "attrs": '{"kind":"ads"}' if kind == "charge" else "{}",
            }


def _insert_all(app: App, table: Any, rows: Any) -> None:
    stmt = table.insert()
    with app.engine.connect() as conn:
        while True:
            part = [row for _, row in zip(range(FILL_CHUNK), rows, strict=False)]
            if not part:
                break
            conn.begin()
            conn.execute(stmt, part)
            conn.commit()


def fill_history(app: App, shop_id: str, n: int) -> None:
    _insert_all(app, orders, _finished_rows(shop_id, n))
    _insert_all(app, shop_records, _closed_records(shop_id, n))


def live_events(shop_id: str, now: datetime) -> list[EventJson]:
    """The same few open orders and cases for each shop."""
    events: list[EventJson] = []

    def at(days_ago: float) -> datetime:
        return now - timedelta(days=days_ago)

    def next_id() -> str:
        return f"live-{shop_id}-{len(events):03d}"

    def add(type_: str, days_ago: float, **data: Any) -> None:
        events.append(event(next_id(), type_, shop_id, at(days_ago), **data))

    def placed(order_id: str, days_ago: float, category: str, amount: Money) -> None:
        events.append(
            order_placed(
                next_id(),
                shop_id,
                at(days_ago),
                order_id=order_id,
                category=category,
                amount=amount,
                customer_id=f"cus-{order_id}",
            )
        )

    for i, category in enumerate(("apparel", "apparel", "home", "home", "home")):
        placed(f"open-{i}", 2 + i, category, Money("GBP", 25_00))
    for i, category in enumerate(("apparel", "home", "home")):
        oid = f"recent-{i}"
        placed(oid, 12 + i, category, Money("GBP", 40_00))
        add("order.shipped", 11 + i, order_id=oid)
        add("order.delivered", 9 + i, order_id=oid)
    add("after_sales.opened", 3, case_id="case-1", order_id="recent-0")
    add("dispute.opened", 2, dispute_id="dsp-1", order_id="recent-1")
    add("complaint.opened", 4, complaint_id="cmp-1")
    events.append(
        fine_issued(
            next_id(),
            shop_id,
            at(5),
            fine_id="fine-1",
            amount=Money("GBP", 50_00),
            reason="late dispatch",
        )
    )
    events.append(
        charge_billed(
            next_id(), shop_id, at(6), charge_id="chg-1", kind="ads", amount=Money("GBP", 12_00)
        )
    )
    return events


def setup(db: Path, shops: dict[str, int]) -> App:
    app = fresh_app(db)
    create_shops(app, [(shop_id, list(CATEGORIES)) for shop_id in shops])
    now = app.clock.now()
    for shop_id, n in shops.items():
        started = time.perf_counter()
        fill_history(app, shop_id, n)
        say(
            f"[eligibility]   {shop_id}: {n:,} finished orders (and their closed cases) inserted "
            f"({time.perf_counter() - started:.1f}s)"
        )
        run(
            app,
            pay_in,
            INTEGRATION,
            now,
            shop_id,
            amount="4000.00",
            currency="GBP",
            reference=f"TRX-{shop_id}",
            idempotency_key=f"payin-{shop_id}",
        )
        result = ingest(app.uow, INTEGRATION, app.clock.now, live_events(shop_id, now))
        assert not result.rejected, result.rejected
    return app


def _call(
    app: App, now: datetime, shop_id: str, kind: str, category: str | None, what_if: str | None
) -> tuple[float, EligibilityAnswer]:
    start = time.perf_counter()
    answer = read(
        app, eligibility, ADMIN, now, shop_id, kind=kind, category=category, what_if=what_if
    )
    return time.perf_counter() - start, answer


def bench(
    big: int = 1_000_000,
    small: int = 1_000,
    calls: int = 300,
    warmup: int = 30,
    workdir: Path | None = None,
) -> Report:
    shops = {f"shop-{small}": small, f"shop-{big}": big}
    report = Report(
        f"Eligibility: {small:,} vs {big:,} finished orders (p50 of {calls} calls each, SQLite)"
    )
    with tempfile.TemporaryDirectory(prefix="depositdesk-bench-", dir=workdir) as tmp:
        say(f"[eligibility] filling a database with {small + big:,} finished orders ...")
        app = setup(Path(tmp) / "eligibility.db", shops)
        now = app.clock.now()
        try:
            for kind, category, what_if in KINDS:
                samples: dict[str, list[float]] = {shop_id: [] for shop_id in shops}
                answers: dict[str, EligibilityAnswer] = {}
                for i in range(warmup + calls):
                    for shop_id in shops:  # interleaved: both see the same machine noise
                        seconds, answers[shop_id] = _call(
                            app, now, shop_id, kind, category, what_if
                        )
                        if i >= warmup:
                            samples[shop_id].append(seconds)
                codes = {s: [str(c) for c in a.result.codes()] for s, a in answers.items()}
                same = len({tuple(c) for c in codes.values()}) == 1
                p_small, p_big = (p50(samples[s]) for s in shops)
                ratio = p_big / p_small
                label = kind if category is None else f"{kind} ({category}, {what_if})"
                say(
                    f"[eligibility]   {label}: p50 {ms(p_small)} ({small:,}) vs "
                    f"{ms(p_big)} ({big:,}); blockers {codes[f'shop-{big}']}"
                    + ("" if same else f" / small shop {codes[f'shop-{small}']}")
                )
                report.add(f"{label}: p50 {small:,} orders", ms(p_small))
                report.add(f"{label}: p50 {big:,} orders", ms(p_big))
                report.add(
                    f"{label}: ratio p50 big / small",
                    f"{ratio:.3f}",
                    f"<= {RATIO_TARGET}",
                    ratio <= RATIO_TARGET,
                )
                report.add(f"{label}: same blockers for both shops", "yes" if same else "NO")
        finally:
            app.engine.dispose()
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.eligibility")
    parser.add_argument(
        "--orders", type=int, default=1_000_000, help="finished orders of the big shop"
    )
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args(argv)
    bench(big=args.orders, calls=args.calls).print()


if __name__ == "__main__":
    main()
