"""DEP-3: the running balances (`account_balances`) always equal the sums of the
postings, whichever way entries are booked (one at a time, in batches, by the
services, by ingestion, by parallel transactions), on SQLite and PostgreSQL; and the
migration that adds them fills them from the postings already there."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from depositdesk.adapters.db.engine import alembic_config
from depositdesk.bootstrap import App, build
from depositdesk.demo.events import proceeds_available, violation_recorded
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.ledger import Account, EntryKind, JournalEntry, entry
from depositdesk.domain.money import Money
from depositdesk.domain.notices import NoticeKind
from depositdesk.services import deposits
from depositdesk.services.ingestion import ingest
from depositdesk.services.usecase import read, run
from depositdesk.settings import Settings
from tests.builders import open_shop
from tests.conftest import ADMIN, INTEGRATION

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACCOUNTS = list(Account)


def _sums_and_stored(engine: Engine) -> tuple[dict[Any, int], dict[Any, int]]:
    with engine.connect() as conn:
        sums = {
            (s, a, c): int(t)
            for s, a, c, t in conn.execute(
                text(
                    "SELECT shop_id, account, currency, SUM(amount_minor) FROM postings "
                    "GROUP BY shop_id, account, currency"
                )
            )
        }
        stored = {
            (s, a, c): int(b)
            for s, a, c, b in conn.execute(
                text("SELECT shop_id, account, currency, balance_minor FROM account_balances")
            )
        }
    return sums, stored


def assert_balances_are_sums(app: App) -> None:
    """The stored rows equal the sums, and `ledger.balances` answers the stored rows."""
    sums, stored = _sums_and_stored(app.engine)
    assert stored == sums
    shops = {s for s, _, _ in stored}
    for shop_id in shops:
        shown = read(app, lambda uow, s=shop_id: uow.ledger.balances(s))
        assert {(shop_id, a.value, c): v for (a, c), v in shown.items()} == {
            k: v for k, v in stored.items() if k[0] == shop_id
        }


@pytest.fixture
def ledger_app(engine: Engine) -> App:
    app = build(Settings(database_url=str(engine.url)), clock=FixedClock(NOW), engine=engine)
    open_shop(app, NOW, ["apparel", "jewellery"])
    return app


@st.composite
def entries(draw: st.DrawFn) -> JournalEntry:
    """A balanced entry over two to four accounts, in GBP and sometimes CNY too."""
    postings: list[tuple[Account, Money]] = []
    for currency in draw(st.sampled_from([["GBP"], ["GBP", "CNY"]])):
        amounts = draw(st.lists(st.integers(-(10**9), 10**9), min_size=1, max_size=3))
        accounts = draw(
            st.lists(
                st.sampled_from(ACCOUNTS), min_size=len(amounts) + 1, max_size=len(amounts) + 1
            )
        )
        amounts.append(-sum(amounts))
        postings += [(a, Money(currency, m)) for a, m in zip(accounts, amounts, strict=True)]
    if all(m.minor == 0 for _, m in postings):
        postings = [(Account.CASH, Money("GBP", 1)), (Account.DEPOSIT_HELD, Money("GBP", -1))]
    return entry(EntryKind.PAYIN, "property", *postings)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(
        st.tuples(st.booleans(), st.lists(entries(), min_size=1, max_size=6)),
        min_size=1,
        max_size=4,
    )
)
def test_dep3_stored_balances_always_equal_the_sums_of_postings(
    ledger_app: App, batches: list[tuple[bool, list[JournalEntry]]]
) -> None:
    """Entries booked one by one (`post`) or in batches (`post_many`), some on the same
    account twice in one entry, some read back in the same unit of work: the stored
    balances stay the sums (the examples accumulate on one database, which the
    property also covers)."""

    def book(uow: Any, one_by_one: bool, batch: list[JournalEntry]) -> None:
        before = uow.ledger.balances("shop1")
        if one_by_one:
            for e in batch:
                uow.ledger.post("shop1", e, NOW, "test")
        else:
            uow.ledger.post_many([("shop1", e, NOW, "test") for e in batch])
        expected = dict(before)
        for e in batch:
            for p in e.postings:
                key = (p.account, p.amount.currency)
                expected[key] = expected.get(key, 0) + p.amount.minor
        assert uow.ledger.balances("shop1") == expected  # what this unit of work sees
        uow.commit()

    for one_by_one, batch in batches:
        with ledger_app.uow() as uow:
            book(uow, one_by_one, batch)
    assert_balances_are_sums(ledger_app)


def _violation(n: int, loss: int, minutes: int) -> dict[str, Any]:
    return violation_recorded(
        f"v-evt-{n}",
        "shop1",
        NOW - timedelta(days=1) + timedelta(minutes=minutes),
        violation_id=f"v{n}",
        type="fake",
        consumer_loss=Money("GBP", loss),
    )


def test_dep3_dep8_services_and_ingestion_keep_the_balances(ledger_app: App) -> None:
    """Pay-ins, deductions beyond the deposit (receivables) and proceeds offsets (DEP-7),
    booked by the services and ingestion, keep the stored balances equal to the sums."""
    for i, amount in enumerate(("100.00", "2500.00")):
        run(
            ledger_app,
            deposits.pay_in,
            ADMIN,
            NOW,
            "shop1",
            amount=amount,
            currency=None,
            reference=f"R{i}",
            idempotency_key=f"k{i}",
        )
    events = [_violation(i, 900_00 + i, i) for i in range(5)]
    events.append(
        proceeds_available("p-1", "shop1", NOW - timedelta(hours=1), amount=Money("GBP", 1500_00))
    )
    result = ingest(ledger_app.uow, INTEGRATION, lambda: NOW, events, chunk=3)
    assert result.accepted == 6 and not result.rejected
    assert_balances_are_sums(ledger_app)
    balances = read(ledger_app, lambda uow: uow.ledger.balances("shop1"))
    assert balances[(Account.RECEIVABLE, "GBP")] >= 0  # what is owed is repaid first


def _parallel(n: int, fn: Callable[[int], Any]) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


@pytest.mark.postgres
def test_dep3_parallel_transactions_on_one_shop_lose_no_balance_update(pg_engine: Engine) -> None:
    """Eight connections post to one shop at once without taking its lock: the upsert
    adds to the stored row under its row lock, so no update is lost."""
    from tests.conftest import _truncate

    _truncate(pg_engine)
    app = build(Settings(database_url=str(pg_engine.url)), clock=FixedClock(NOW), engine=pg_engine)
    open_shop(app, NOW, ["apparel"])
    one = entry(
        EntryKind.PAYIN,
        "parallel",
        (Account.CASH, Money("GBP", 1)),
        (Account.DEPOSIT_HELD, Money("GBP", -1)),
    )

    def worker(i: int) -> None:
        for n in range(25):
            with app.uow() as uow:
                if n % 2:
                    uow.ledger.post("shop1", one, NOW, f"t{i}:{n}")
                else:
                    uow.ledger.post_many([("shop1", one, NOW, f"t{i}:{n}")] * 2)
                uow.commit()

    assert _parallel(8, worker) == [None] * 8
    balances = read(app, lambda uow: uow.ledger.balances("shop1"))
    assert balances == {(Account.CASH, "GBP"): 8 * 38, (Account.DEPOSIT_HELD, "GBP"): -8 * 38}
    assert_balances_are_sums(app)


def test_dep3_migration_fills_the_balances_from_the_postings(engine: Engine) -> None:
    """Migration 0009 backfills each account's balance from the postings already booked."""
    app = build(Settings(database_url=str(engine.url)), clock=FixedClock(NOW), engine=engine)
    open_shop(app, NOW, ["apparel"])
    for i in range(3):
        run(
            app,
            deposits.pay_in,
            ADMIN,
            NOW,
            "shop1",
            amount=f"{100 + i}.00",
            currency=None,
            reference=f"R{i}",
            idempotency_key=f"k{i}",
        )
    before = _sums_and_stored(engine)
    with engine.connect() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "20261122_0008")
        command.upgrade(config, "head")
        connection.commit()
    sums, stored = _sums_and_stored(engine)
    assert stored == sums == before[0] == before[1]
    assert sums[("shop1", "deposit_held", "GBP")] == -303_00


def test_dep5_dep8_a_run_of_deductions_in_one_chunk_gets_one_topup_notice(
    ledger_app: App,
) -> None:
    """A shop's run of deductions in a chunk is told in one notice that lists each
    (DEP-8), and the deposit is reviewed once after it, so one top-up notice states
    what they left owed (DEP-5), rather than four emails of each kind."""
    run(
        ledger_app,
        deposits.pay_in,
        ADMIN,
        NOW,
        "shop1",
        amount="4000.00",
        currency=None,
        reference="R",
        idempotency_key="k",
    )
    events = [_violation(i, 300_00, i) for i in range(4)]
    assert ingest(ledger_app.uow, INTEGRATION, lambda: NOW, events).accepted == 4
    single = read(ledger_app, lambda uow: uow.notices.of_kind("shop1", NoticeKind.DEDUCTION))
    runs = read(ledger_app, lambda uow: uow.notices.of_kind("shop1", NoticeKind.DEDUCTIONS))
    topups = read(ledger_app, lambda uow: uow.notices.of_kind("shop1", NoticeKind.TOPUP))
    assert single == [] and len(runs) == 1
    assert runs[0].data["violations"] == 4 and runs[0].data["loss_minor"] == 1200_00
    assert all(f"(v{i}): £300.00" in runs[0].body for i in range(4)), runs[0].body
    assert [n.data["owed_minor"] for n in topups] == [1200_00]
    view = read(ledger_app, deposits.deposit, ADMIN, NOW, "shop1")
    assert view.position.held.minor == 2800_00 and view.enforcement is not None


def test_dep7_proceeds_after_deductions_in_the_same_chunk_pay_what_they_left_owed(
    ledger_app: App,
) -> None:
    """The review runs before proceeds are offset, so proceeds arriving after
    deductions in the same chunk take the shortfall at once (DEP-7)."""
    run(
        ledger_app,
        deposits.pay_in,
        ADMIN,
        NOW,
        "shop1",
        amount="4000.00",
        currency=None,
        reference="R",
        idempotency_key="k",
    )
    events = [_violation(i, 300_00, i) for i in range(2)]
    events.append(
        proceeds_available("p-1", "shop1", NOW - timedelta(hours=1), amount=Money("GBP", 1000_00))
    )
    assert ingest(ledger_app.uow, INTEGRATION, lambda: NOW, events).accepted == 3
    view = read(ledger_app, deposits.deposit, ADMIN, NOW, "shop1")
    assert view.position.held.minor == 4000_00 and view.enforcement is None
    assert view.position.proceeds.minor == 400_00
    assert_balances_are_sums(ledger_app)
