"""Many under-funded shops with due ladder timers, fast (the worker race test and
benchmarks/bench_timer_sweep.py).

Going through the services costs about 70 ms a shop (create, pay in, add a costlier
category: three policy look-ups, a ledger entry, a rendered notice), too slow for a
thousand shops in a test or 100,000 in a benchmark. So one *template* shop is made
through the real services (`template_shop`: `create_shop`, `pay_in`,
`set_categories` to a costlier category, which issues the top-up notice, opens the
case and schedules the first ladder timer), and `clone_shop` copies every row the
services wrote for it — the shop with its case, its categories, its journal entry
and postings, its top-up notice, the notice's outbox rows and its ladder timer —
under a new shop id, with fresh ids for the notice, outbox rows, timer and journal
entry (bulk `executemany`). The clones are the template's rows with ids changed:
exactly what the services would have written for each, at the template's time, or
with `stagger` each clone `stagger` later than the one before (every time in its
rows, and in their JSON, moved alike), as if the cases had opened one after another.
The idempotency key of the template's pay-in is not copied (it only replays).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta
from itertools import islice
from typing import Any

from sqlalchemy import Connection, Engine, Table, select

from depositdesk.adapters.db.tables import (
    account_balances,
    journal_entries,
    notices,
    outbox,
    postings,
    shop_categories,
    shops,
    timers,
)
from depositdesk.bootstrap import App
from depositdesk.domain.ids import new_id
from depositdesk.services import deposits, sellers
from depositdesk.services import shops as shop_service
from depositdesk.services.access import Principal, Role
from depositdesk.services.usecase import run
from depositdesk.services.webhooks import time_data

ADMIN = Principal.system(Role.PLATFORM_ADMIN, "ladder shops")
INTEGRATION = Principal.system(Role.INTEGRATION, "ladder shops")
SELLER = "ladder-seller"
PAID = "1000.00"  # apparel's deposit in the gb pack: funded
CATEGORIES = ["apparel", "jewellery"]  # jewellery (4,000.00): owes 3,000.00
BATCH = 5_000  # shops per executemany transaction


def ladder_seller(app: App, now: datetime, seller_id: str = SELLER) -> None:
    """The seller who owns the shops (one is enough: the handler reads it per notice)."""
    run(
        app,
        sellers.create_seller,
        ADMIN,
        now,
        id=seller_id,
        name="Ladder Seller",
        email=f"{seller_id}@example.com",
        language="en",
    )


def template_shop(app: App, now: datetime, shop_id: str, seller_id: str = SELLER) -> None:
    """A gb shop made under-funded at `now` through the services: paid for apparel,
    then jewellery added; its case opens at `now`, due 30 days later, and its first
    ladder timer (`warning`) is due then."""
    run(
        app,
        shop_service.create_shop,
        ADMIN,
        now,
        id=shop_id,
        seller_id=seller_id,
        name=f"Shop {shop_id}",
        market="gb",
        categories=["apparel"],
    )
    run(
        app,
        deposits.pay_in,
        INTEGRATION,
        now,
        shop_id,
        amount=PAID,
        currency="GBP",
        reference=f"BANK-{shop_id}",
        idempotency_key=f"payin-{shop_id}",
    )
    run(app, shop_service.set_categories, ADMIN, now, shop_id, categories=CATEGORIES)


def _rows(conn: Connection, table: Table, *where: Any) -> list[dict[str, Any]]:
    query = select(table).where(*where)
    return [dict(row) for row in conn.execute(query).mappings()]


def _swap(value: Any, ids: dict[str, str], shift: timedelta) -> Any:
    if isinstance(value, str):
        for old, new in ids.items():
            value = value.replace(old, new)
    elif isinstance(value, datetime):
        value += shift
    return value


def _copy(
    row: dict[str, Any], ids: dict[str, str], shift: timedelta, **override: Any
) -> dict[str, Any]:
    copied = {name: _swap(value, ids, shift) for name, value in row.items()}
    copied.update(override)
    return copied


def _chunks(items: Iterable[str], size: int) -> Iterator[list[str]]:
    it = iter(items)
    while part := list(islice(it, size)):
        yield part


def clone_shop(
    engine: Engine,
    template_id: str,
    new_ids: Sequence[str],
    stagger: timedelta = timedelta(0),
) -> None:
    """Copy the rows of `template_id` (made by `template_shop`) to each of `new_ids`,
    `BATCH` shops a transaction; the n-th clone's times `n * stagger` later (keep
    `len(new_ids) * stagger` short of a day, or the dates in the texts go stale).
    Ids must not contain the template's id."""
    with engine.connect() as conn:
        shop_rows = _rows(conn, shops, shops.c.id == template_id)
        category_rows = _rows(conn, shop_categories, shop_categories.c.shop_id == template_id)
        entry_rows = _rows(conn, journal_entries, journal_entries.c.shop_id == template_id)
        posting_rows = _rows(conn, postings, postings.c.shop_id == template_id)
        balance_rows = _rows(conn, account_balances, account_balances.c.shop_id == template_id)
        notice_rows = _rows(conn, notices, notices.c.shop_id == template_id)
        notice_ids = [n["id"] for n in notice_rows]
        outbox_rows = [
            row
            for row in _rows(conn, outbox)
            if any(n in row["dedupe_key"] for n in notice_ids) or template_id in row["dedupe_key"]
        ]
        timer_rows = _rows(conn, timers, timers.c.subject == template_id)
        conn.rollback()
    assert len(shop_rows) == 1 and timer_rows and notice_rows, "not a template shop"
    rows = [*shop_rows, *category_rows, *entry_rows, *notice_rows, *outbox_rows, *timer_rows]
    times = {v for row in rows for v in row.values() if isinstance(v, datetime)}
    done = 0
    for part in _chunks(new_ids, BATCH):
        shifts = [stagger * (done + n + 1) for n in range(len(part))]
        done += len(part)
        with engine.begin() as conn:
            _clone_part(
                conn,
                template_id,
                list(zip(part, shifts, strict=True)),
                times,
                shop_rows[0],
                category_rows,
                entry_rows,
                posting_rows,
                notice_rows,
                outbox_rows,
                timer_rows,
                balance_rows,
            )


def _clone_part(
    conn: Connection,
    template_id: str,
    new_ids: list[tuple[str, timedelta]],
    times: set[datetime],
    shop_row: dict[str, Any],
    category_rows: list[dict[str, Any]],
    entry_rows: list[dict[str, Any]],
    posting_rows: list[dict[str, Any]],
    notice_rows: list[dict[str, Any]],
    outbox_rows: list[dict[str, Any]],
    timer_rows: list[dict[str, Any]],
    balance_rows: list[dict[str, Any]],
) -> None:
    names = ("shops", "categories", "entries", "notices", "outbox", "timers", "balances")
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    swaps: list[tuple[dict[str, str], timedelta]] = []
    for shop_id, shift in new_ids:
        assert template_id not in shop_id
        ids = {template_id: shop_id}
        ids.update({n["id"]: new_id("ntc") for n in notice_rows})
        ids.update({m["id"]: uuid.uuid4().hex for m in outbox_rows})
        ids.update({t["id"]: uuid.uuid4().hex for t in timer_rows})
        if shift:  # the times in JSON text (a timer's case, a webhook's due_at)
            ids.update({time_data(t): time_data(t + shift) for t in times})
        swaps.append((ids, shift))
        out["shops"].append(_copy(shop_row, ids, shift))
        out["categories"] += [_copy(r, ids, shift) for r in category_rows]
        out["entries"] += [_copy(r, ids, shift) for r in entry_rows]
        out["notices"] += [_copy(r, ids, shift) for r in notice_rows]
        out["outbox"] += [_copy(r, ids, shift) for r in outbox_rows]
        out["timers"] += [_copy(r, ids, shift) for r in timer_rows]
        out["balances"] += [_copy(r, ids, shift) for r in balance_rows]
    conn.execute(shops.insert(), out["shops"])
    conn.execute(shop_categories.insert(), out["categories"])
    # Journal entries get new ids from the database; their postings follow them.
    for entry in out["entries"]:
        del entry["id"]
    new_entry_ids = conn.execute(
        journal_entries.insert().returning(journal_entries.c.id, sort_by_parameter_order=True),
        out["entries"],
    ).scalars()
    entry_map = iter(new_entry_ids.all())
    posting_out: list[dict[str, Any]] = []
    for ids, shift in swaps:
        renumber = {e["id"]: next(entry_map) for e in entry_rows}
        for row in posting_rows:
            copied = _copy(row, ids, shift, entry_id=renumber[row["entry_id"]])
            del copied["id"]
            posting_out.append(copied)
    conn.execute(postings.insert(), posting_out)
    if out["balances"]:  # the running balances (DEP-3) follow the postings
        conn.execute(account_balances.insert(), out["balances"])
    conn.execute(notices.insert(), out["notices"])
    if out["outbox"]:
        conn.execute(outbox.insert(), out["outbox"])
    conn.execute(timers.insert(), out["timers"])
