"""AUD-1 in the database: the chain is appended only (UPDATE and DELETE refused by the
database), never forks under parallel writers, verifies after any sequence of calls,
and is anchored at each day's end. SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import DBAPIError

from depositdesk.adapters.anchors import FileAnchorStore
from depositdesk.adapters.db.tables import audit_log
from depositdesk.bootstrap import App
from depositdesk.domain.audit import Anchor, BreakReason
from depositdesk.domain.errors import DomainError
from depositdesk.services import audit, audit_trail, deposits, refunds, sellers, shops
from depositdesk.services.access import Principal, Role
from depositdesk.services.ingestion import ingest
from depositdesk.services.usecase import read, run
from tests.builders import ev
from tests.conftest import ADMIN, INTEGRATION, START
from tests.integration.audit_tampering import tamper

AUDITOR = ADMIN


def _chain(app: App) -> audit_trail.ChainReport:
    return read(app, audit_trail.verify_chain, AUDITOR, app.clock.now())


def _shop(app: App, shop_id: str, seller_id: str = "s1") -> None:
    now = app.clock.now()
    if read(app, lambda uow: uow.sellers.get(seller_id)) is None:
        run(
            app,
            sellers.create_seller,
            ADMIN,
            now,
            id=seller_id,
            name="S",
            email="s@example.com",
            language="en",
        )
    run(
        app,
        shops.create_shop,
        ADMIN,
        now,
        id=shop_id,
        seller_id=seller_id,
        name=shop_id,
        market="gb",
        categories=["apparel"],
    )


def _pay(app: App, shop_id: str, amount: str, key: str) -> None:
    run(
        app,
        deposits.pay_in,
        INTEGRATION,
        app.clock.now(),
        shop_id,
        amount=amount,
        currency="GBP",
        reference=key,
        idempotency_key=key,
    )


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE"]
)
def test_aud1_the_database_refuses_update_and_delete(
    app: App, engine: Engine, statement: str
) -> None:
    if statement == "TRUNCATE":
        # PostgreSQL's TRUNCATE fires no row trigger; SQLite's nearest is DELETE.
        is_pg = engine.dialect.name == "postgresql"
        statement = "TRUNCATE audit_log" if is_pg else "DELETE FROM audit_log WHERE 1"
    _shop(app, "shop1")
    assert _chain(app).records >= 3
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement))
    assert _chain(app).ok


@pytest.mark.postgres
def test_aud1_eight_parallel_writers_on_postgres_leave_one_unbroken_chain(
    app: App, engine: Engine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the chain lock of PostgreSQL (SQLite has one writer)")
    for n in range(8):
        _shop(app, f"par{n}")
    before = _chain(app).records
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(15):
                _pay(app, f"par{n}", "10.00", f"k{n}-{i}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = _chain(app)
    assert report.ok, report.first_bad
    pay_ins = 8 * 15
    with engine.connect() as conn:
        seqs = list(conn.execute(text("SELECT seq FROM audit_log ORDER BY seq")).scalars())
        actions = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'deposits.pay_in'")
        ).scalar_one()
    assert seqs == list(range(1, len(seqs) + 1))
    assert actions == pay_ins
    assert report.records >= before + pay_ins


def test_aud1_records_sealed_by_the_database_verify_whatever_their_text(app: App) -> None:
    """PostgreSQL seals records itself (SQL's sha256 over the entry's canonical JSON
    around the head's seq and hash); Python's verify must find the same hashes, for
    text JSON escapes, text outside ASCII and several records in one transaction."""
    tricky = {
        "name": 'Ünïcode 店铺 "quoted" back\\slash',
        "lines": "a\nb\tc\u2028d",
        "emoji": "💷",
        "nested": {"z": [1, -2, 3.5, None, True], "a": {"": "empty key"}},
        "big": 10**18,
    }
    now = app.clock.now()
    with app.uow() as uow:
        for i in range(3):
            audit.record(
                uow,
                ADMIN,
                now + timedelta(microseconds=i),
                "test.tricky",
                target=f"shop:ünï-{i}",
                shop_id="shop1",
                before={"i": i, **tricky},
                after={"i": i + 1, "name": tricky["name"]},
            )
        uow.commit()
    report = _chain(app)
    assert report.ok, report.first_bad
    page = read(app, audit_trail.list_records, AUDITOR, now, shop_id="shop1")
    assert [r.before["name"] for r in page.items if r.before] == [tricky["name"]] * 3


def test_aud1_a_rolled_back_change_leaves_no_record(app: App) -> None:
    _shop(app, "shop1")
    records = _chain(app).records
    with pytest.raises(DomainError):
        _pay(app, "shop1", "-5.00", "bad")
    with pytest.raises(DomainError):
        run(app, shops.terminate, ADMIN, app.clock.now(), "no-such-shop", reason="x")
    assert _chain(app).records == records


def test_aud1_record_alone_keeps_a_refusal_whose_transaction_rolled_back(app: App) -> None:
    audit.record_alone(
        app.uow, INTEGRATION, app.clock.now(), "auth.refused", target="shop:shop1", shop_id="shop1"
    )
    page = read(app, audit_trail.list_records, AUDITOR, app.clock.now(), shop_id="shop1")
    assert [r.action for r in page.items] == ["auth.refused"]
    assert page.items[0].actor == INTEGRATION.actor and _chain(app).ok


def test_aud1_anchors_catch_a_rewrite_of_the_whole_chain(
    app: App, engine: Engine, tmp_path: Path
) -> None:
    store = FileAnchorStore(tmp_path / "data")
    _shop(app, "shop1")
    _pay(app, "shop1", "1000.00", "a")
    day_after = START + timedelta(days=1, minutes=5)
    anchor = audit_trail.anchor_due(app, store, day_after)
    assert anchor is not None and anchor.day == START.date().isoformat()
    assert audit_trail.anchor_due(app, store, day_after) is None  # once a day
    assert store.all() == [anchor]
    report = read(app, audit_trail.verify_chain, AUDITOR, day_after, anchors=store.all())
    assert report.ok and report.head == anchor.hash and report.anchors == 1

    # An attacker rewrites the chain from record 2 on, every hash recomputed: it holds
    # together, but no longer matches the anchor.
    with engine.connect() as conn:
        rows = list(conn.execute(select(audit_log).order_by(audit_log.c.seq)).mappings())
    from depositdesk.adapters.db.audit_repo import _record
    from depositdesk.domain.audit import AuditEntry, seal_all

    forged = seal_all(
        [
            AuditEntry(r.at, r.actor, r.role, r.party, "forged", r.target, r.shop_id)
            for r in map(_record, rows[1:])
        ],
        1,
        rows[0]["hash"],
    )
    statements: list[tuple[str, dict[str, object]]] = [("DELETE FROM audit_log WHERE seq > 1", {})]
    for f in forged:
        statements.append(
            (
                "INSERT INTO audit_log (seq, at, actor, role, party, action, target, shop_id,"
                " prev_hash, hash) VALUES (:seq, :at, :actor, :role, :party, :action, :target,"
                " :shop_id, :prev_hash, :hash)",
                {
                    "seq": f.seq,
                    "at": f.at.replace(tzinfo=None),
                    "actor": f.actor,
                    "role": f.role,
                    "party": f.party,
                    "action": f.action,
                    "target": f.target,
                    "shop_id": f.shop_id,
                    "prev_hash": f.prev_hash,
                    "hash": f.hash,
                },
            )
        )
    from tests.integration.audit_tampering import without_triggers

    without_triggers(engine, *statements)
    assert _chain(app).ok  # without anchors, a consistent forgery passes
    report = read(app, audit_trail.verify_chain, AUDITOR, day_after, anchors=store.all())
    assert not report.ok and report.first_bad is not None
    assert report.first_bad.reason is BreakReason.ANCHOR_MISMATCH
    assert report.first_bad.seq == anchor.seq


def test_aud1_a_chain_cut_short_of_its_anchor_is_truncated(app: App, engine: Engine) -> None:
    _shop(app, "shop1")
    seq, digest = read(app, lambda uow: uow.audit.head())
    tamper(engine, "deleted", seq)
    report = read(
        app, audit_trail.verify_chain, AUDITOR, app.clock.now(), anchors=[Anchor("x", seq, digest)]
    )
    assert report.first_bad is not None and report.first_bad.reason is BreakReason.TRUNCATED


# -- any sequence of calls leaves a chain that verifies (AUD-1) ------------------------

Step = tuple[str, int]
steps = st.lists(
    st.tuples(
        st.sampled_from(
            ["pay_in", "violation", "proceeds", "categories", "apply", "withdraw", "terminate"]
        ),
        st.integers(min_value=1, max_value=900),
    ),
    min_size=1,
    max_size=8,
)
_examples = iter(range(10**6))


@settings(
    max_examples=12,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(calls=steps)
def test_aud1_any_sequence_of_calls_leaves_a_chain_that_verifies(
    app: App, calls: list[Step]
) -> None:
    n = next(_examples)
    shop_id = f"h{n}"
    _shop(app, shop_id, seller_id=f"hs{n}")
    now = app.clock.now()
    applied: list[str] = []
    for i, (kind, amount) in enumerate(calls):
        try:
            if kind == "pay_in":
                _pay(app, shop_id, f"{amount}.00", f"{shop_id}-{i}")
            elif kind in ("violation", "proceeds"):
                data = (
                    {"violation_id": f"V{i}", "type": "short_shipment"}
                    if kind == "violation"
                    else {}
                )
                money_key = "consumer_loss" if kind == "violation" else "amount"
                event_type = "violation.recorded" if kind == "violation" else "proceeds.available"
                event = ev(
                    f"{shop_id}-e{i}",
                    event_type,
                    now.isoformat(),
                    shop=shop_id,
                    currency="GBP",
                    **data,
                    **{money_key: f"{amount}.00"},
                )
                ingest(app.uow, INTEGRATION, lambda: now, [event])
            elif kind == "categories":
                cats = ["apparel", "electronics"] if amount % 2 else ["apparel"]
                run(app, shops.set_categories, ADMIN, now, shop_id, categories=cats)
            elif kind == "apply":
                owner = _owner(f"hs{n}")
                view = run(
                    app,
                    refunds.apply,
                    owner,
                    now,
                    shop_id,
                    kind="full",
                    category=None,
                    reason="r",
                    idempotency_key=f"{shop_id}-a{i}",
                )
                applied.append(view.refund.id)
            elif kind == "withdraw" and applied:
                run(app, refunds.withdraw, _owner(f"hs{n}"), now, applied.pop())
            elif kind == "terminate":
                run(app, shops.terminate, ADMIN, now, shop_id, reason="ended")
        except DomainError:
            pass  # refused calls are part of any sequence; they leave no record
    report = _chain(app)
    assert report.ok, report.first_bad


def _owner(seller_id: str) -> Principal:
    return Principal("owner-token", Role.OWNER, seller_id, "owner")


def test_aud1_records_carry_utc_times_as_hashed(app: App) -> None:
    _shop(app, "shop1")
    page = read(app, audit_trail.list_records, AUDITOR, app.clock.now(), limit=1)
    assert page.items[0].at == app.clock.now().astimezone(UTC)
    assert isinstance(page.items[0].at, datetime)
