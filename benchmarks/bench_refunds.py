"""Refund benchmark: N applications (default 10,000) through submit → approve →
payout → paid in the sandbox, against N bare ledger entries.

Setup (not timed), on SQLite and on PostgreSQL (each a fresh migrated database):
one gb shop is made through the services (tests/ladder_shops.template_shop: 1,000
GBP paid for apparel, then jewellery added, 3,000 more paid, so it is funded with
4,000), its contract ended (`services/shops.terminate`), so a full refund of the
4,000 held is eligible at once; its rows are cloned in bulk to N shops of one seller
(tests/ladder_shops.clone_shop), plus one more shop for the baseline.

Timed, in this process, with a fixed clock and the sandbox payout gateway (which
records each payout in `sandbox_payouts`), each step as the API and the worker run
it, one unit of work (transaction) per service call:

1. submit: `services/refunds.apply` for each shop (its seller's owner, its own
   Idempotency-Key): eligibility, the amount reserved in the ledger, the review
   timer, the seller's notice and its email, the `refund.submitted` webhook rows;
2. approve: `services/refunds.decide(approve)` for each (a reviewer): eligibility
   again, the pending payout;
3. payout: `services/payouts.send_due` (100 a call, as a worker round takes them)
   until none is due: claim, the sandbox bank takes it (its own transactions), record
   `sent` with the sandbox's settlement timer;
4. paid: the clock a day and a minute later, `services/timers.run_due` runs the
   settlement timers: `record_result(paid)` books the `refund_payout` entry.

Baseline: N bare ledger entries, `uow.ledger.post` of a balanced two-posting pay-in
entry, one per unit of work, into the baseline shop; run before and after the
refunds (the machine's speed drifts), the ratio using their mean.

Informative: the time `payouts.claim_due` takes to find the next payout with all N
pending (measured between steps 2 and 3, rolled back, not timed): it orders by
`(created_at, id)` while the index holds `status` alone, so on SQLite each claim reads
and sorts every pending payout.

Target: applications/s >= 0.1 x the baseline's entries/s, per database. Logs are
filtered to warnings (the sandbox bank logs every payout at info). `--profile`
prints a cProfile of the four steps (timings then include its overhead).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import pstats
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import OperationalError
from tests.ladder_shops import (
    ADMIN,
    INTEGRATION,
    SELLER,
    clone_shop,
    ladder_seller,
    template_shop,
)

from benchmarks._common import Report, say
from benchmarks.bench_timer_sweep import PG_URL, postgres_engine, sqlite_engine
from depositdesk.adapters.db.engine import upgrade
from depositdesk.adapters.db.tables import journal_entries, payouts, refunds, sandbox_payouts
from depositdesk.bootstrap import App, build
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.ledger import payin_entry
from depositdesk.domain.money import Money
from depositdesk.services import deposits, policies
from depositdesk.services import refunds as refund_service
from depositdesk.services.access import Principal, Role
from depositdesk.services.payouts import LEASE, send_due
from depositdesk.services.shops import terminate
from depositdesk.services.timers import run_due
from depositdesk.services.usecase import run
from depositdesk.settings import Settings

RATIO_TARGET = 0.1
APPLICATIONS = 10_000
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday: shops made, contracts ended
SUBMIT = T0 + timedelta(hours=1)  # applications, approvals, payouts
SETTLE = SUBMIT + timedelta(days=1, minutes=1)  # the sandbox bank settles a day later
TEMPLATE = "tpl-000000"
BASELINE_SHOP = "bl-0000000"
AMOUNT = Money("GBP", 400_000)  # 4,000.00 held, refunded in full
OWNER = Principal("bench-owner", Role.OWNER, SELLER, "bench owner")
REVIEWER = Principal("bench-reviewer", Role.REVIEWER, None, "bench reviewer")
STEPS = ("submit", "approve", "payout", "paid")


def shop_ids(n: int) -> list[str]:
    return [TEMPLATE, *(f"rf-{i:07d}" for i in range(1, n))]


def prepare(engine: Engine, n: int) -> App:
    """N funded gb shops whose contracts ended (one template, N-1 clones) and the
    baseline's shop; the app with the sandbox payout gateway and a fixed clock."""
    upgrade(engine)
    settings = Settings(database_url=str(engine.url), payout_gateway="sandbox")
    app = build(settings, clock=FixedClock(SUBMIT), engine=engine)
    run(app, policies.ensure_default_packs, ADMIN, T0)
    ladder_seller(app, T0)
    template_shop(app, T0, TEMPLATE)  # 1,000 paid, jewellery added: 3,000 short
    run(
        app,
        deposits.pay_in,
        INTEGRATION,
        T0,
        TEMPLATE,
        amount="3000.00",
        currency="GBP",
        reference="BANK-topup",
        idempotency_key="topup",
    )
    run(app, terminate, ADMIN, T0, TEMPLATE, reason="contract ended")
    clone_shop(engine, TEMPLATE, [*shop_ids(n)[1:], BASELINE_SHOP])
    if engine.dialect.name == "postgresql":
        analyze(engine)
    return app


def analyze(engine: Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


def baseline(app: App, n: int, tag: str) -> float:
    """Seconds for N bare ledger entries, one unit of work each."""
    entry = payin_entry(Money("GBP", 100), Money("GBP", 0), "baseline")
    started = time.perf_counter()
    for i in range(n):
        with app.uow() as uow:
            uow.ledger.post(BASELINE_SHOP, entry, SUBMIT, f"bench:{tag}:{i}")
            uow.commit()
    return time.perf_counter() - started


CLAIMS = 20  # timed claims in the claim measurement


def claim_ms(app: App) -> float:
    """Milliseconds `payouts.claim_due` takes to find the next payout among those
    pending (rolled back; not part of the timed steps)."""
    started = time.perf_counter()
    for _ in range(CLAIMS):
        with app.uow() as uow:
            assert uow.payouts.claim_due(SUBMIT, SUBMIT - LEASE) is not None
    return (time.perf_counter() - started) / CLAIMS * 1000


@dataclass
class Pipeline:
    seconds: dict[str, float]
    refund_ids: list[str]
    claim_ms: float = 0.0  # one claim among the N pending payouts

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def pipeline(app: App, ids: list[str], profiler: cProfile.Profile | None) -> Pipeline:
    """The four timed steps over the N shops (see the module docstring)."""
    seconds: dict[str, float] = {}
    refund_ids: list[str] = []
    tenth = max(1, len(ids) // 10)

    def step(name: str, work: Callable[[], None]) -> None:
        say(f"[refunds]   {name} ...")
        if profiler:
            profiler.enable()
        started = time.perf_counter()
        work()
        seconds[name] = time.perf_counter() - started
        if profiler:
            profiler.disable()
        say(f"[refunds]   {name}: {len(ids) / seconds[name]:,.0f}/s")

    def submit() -> None:
        part = time.perf_counter()
        for i, shop_id in enumerate(ids):
            view = run(
                app,
                refund_service.apply,
                OWNER,
                SUBMIT,
                shop_id,
                kind="full",
                category=None,
                reason="the shop is closing",
                idempotency_key=f"apply-{shop_id}",
            )
            refund_ids.append(view.refund.id)
            if (i + 1) % tenth == 0:
                rate = tenth / (time.perf_counter() - part)
                say(f"[refunds]     {i + 1:,} submitted ({rate:,.0f}/s)")
                part = time.perf_counter()

    def approve() -> None:
        for refund_id in refund_ids:
            run(app, refund_service.decide, REVIEWER, SUBMIT, refund_id, decision="approve")

    def payout() -> None:
        while send_due(app.uow, app.gateways, SUBMIT).sent:
            pass

    def paid() -> None:
        assert isinstance(app.clock, FixedClock)
        app.clock.set(SETTLE)
        while run_due(app.uow, SETTLE, limit=1_000):
            pass

    done = Pipeline(seconds, refund_ids)
    for name, work in zip(STEPS, (submit, approve, payout, paid), strict=True):
        if name == "payout":  # untimed: the claim with every payout pending
            done.claim_ms = claim_ms(app)
            say(f"[refunds]   claim among {len(ids):,} pending payouts: {done.claim_ms:.2f} ms")
        step(name, work)
    return done


def check(engine: Engine, n: int) -> list[str]:
    """What is wrong after the pipeline (empty: every refund paid once)."""
    with engine.connect() as conn:
        paid_refunds = conn.execute(
            select(func.count()).where(refunds.c.status == "paid")
        ).scalar_one()
        paid_payouts = conn.execute(
            select(func.count()).where(payouts.c.status == "paid")
        ).scalar_one()
        taken = conn.execute(select(func.count()).select_from(sandbox_payouts)).scalar_one()
        entries = conn.execute(
            select(func.count()).where(journal_entries.c.kind == "refund_payout")
        ).scalar_one()
        paid_out = conn.execute(
            select(func.count(func.distinct(journal_entries.c.shop_id))).where(
                journal_entries.c.kind == "refund_payout"
            )
        ).scalar_one()
    found = {
        "refunds paid": paid_refunds,
        "payouts paid": paid_payouts,
        "payouts the sandbox bank took": taken,
        "refund_payout entries": entries,
        "shops paid out": paid_out,
    }
    return [f"{what}: {got:,} (expected {n:,})" for what, got in found.items() if got != n]


def bench_database(
    name: str,
    engine_of: Callable[[], AbstractContextManager[Engine]],
    n: int,
    report: Report,
    profile: bool,
) -> None:
    say(f"[refunds] {name}: preparing {n:,} shops whose contracts ended ...")
    with engine_of() as engine:
        started = time.perf_counter()
        app = prepare(engine, n)
        say(f"[refunds]   prepared in {time.perf_counter() - started:.1f}s")
        before = baseline(app, n, "before")
        say(f"[refunds]   baseline before: {n / before:,.0f} entries/s")
        profiler = cProfile.Profile() if profile else None
        done = pipeline(app, shop_ids(n), profiler)
        problems = check(engine, n)
        say(
            f"[refunds]   {n:,} applications in {done.total:.1f}s; "
            + ("; ".join(problems) or "every refund paid once")
        )
        after = baseline(app, n, "after")
        say(f"[refunds]   baseline after: {n / after:,.0f} entries/s")
    if profiler:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("cumulative").print_stats(40)
        stats.sort_stats("tottime").print_stats(25)
        say(out.getvalue())
    base_rate = n / ((before + after) / 2)
    rate = n / done.total
    ratio = rate / base_rate
    report.add(f"{name}: baseline ledger.post, 1 per transaction", f"{base_rate:,.0f} entries/s")
    report.add(f"{name}:   (before / after the refunds)", f"{n / before:,.0f} / {n / after:,.0f}")
    report.add(f"{name}: submit → approve → payout → paid", f"{rate:,.1f} applications/s")
    report.add(
        f"{name}:   ms per application: " + " / ".join(STEPS),
        " / ".join(f"{done.seconds[s] / n * 1000:.1f}" for s in STEPS),
    )
    met = ratio >= RATIO_TARGET
    report.add(f"{name}: ratio applications / baseline", f"{ratio:.4f}", f">= {RATIO_TARGET}", met)
    report.add(f"{name}: every refund paid once", "yes" if not problems else "NO")
    report.add(f"{name}: informative: claim among {n:,} pending payouts", f"{done.claim_ms:.2f} ms")


def bench(
    applications: int = APPLICATIONS,
    databases: tuple[str, ...] = ("sqlite", "postgres"),
    profile: bool = False,
) -> Report:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    report = Report(
        f"Refunds: {applications:,} applications through submit → approve → payout → paid (sandbox)"
    )
    engines = {
        "sqlite": ("SQLite", sqlite_engine),
        "postgres": ("PostgreSQL", postgres_engine),
    }
    for key in databases:
        name, engine_of = engines[key]
        try:
            bench_database(name, engine_of, applications, report, profile)
        except OperationalError as exc:  # PostgreSQL not reachable: say so, go on
            if key != "postgres":
                raise
            say(f"[refunds] {name} skipped: {exc}")
            report.add(f"{name}: skipped, not reachable at {PG_URL}", "-")
    return report


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench_refunds")
    parser.add_argument(
        "--applications",
        type=int,
        default=APPLICATIONS,
        help=f"refund applications (shops), default {APPLICATIONS:,}",
    )
    parser.add_argument(
        "--databases",
        default="sqlite,postgres",
        type=lambda v: tuple(v.split(",")),
        help="comma-separated: sqlite, postgres",
    )
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the steps")
    args = parser.parse_args(argv)
    bench(args.applications, args.databases, args.profile).print()


if __name__ == "__main__":
    main()
