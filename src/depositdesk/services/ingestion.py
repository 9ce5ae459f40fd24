"""Event ingestion: validate, drop duplicates, update the projection (EVT-1..4).

Events are taken in chunks; each chunk is one transaction in which the events
are stored and the per-shop projection is brought up to date, so the projection
is never behind the stored events. Within a chunk, work is batched: one query
loads the rows the chunk touches, the merge runs in memory (domain/shop_state),
and batched writes store what changed.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import orjson
import structlog

from depositdesk.domain.events import (
    EVENT_ID,
    MAX_DATA_BYTES,
    Event,
    EventRejected,
    Rejection,
    parse_event,
)
from depositdesk.domain.json_shape import strict_loads
from depositdesk.domain.ledger import (
    BALANCE_LIMIT_MINOR,
)
from depositdesk.domain.money import Money
from depositdesk.domain.policy import PolicyBook
from depositdesk.domain.shop import Shop
from depositdesk.domain.shop_state import (
    ORDER_EVENTS,
    RECORD_EVENTS,
    TOGGLE_EVENTS,
    OrderState,
    RecordKind,
    RecordState,
    ToggleState,
    apply_category_stop,
    apply_order_event,
    apply_record_event,
    apply_toggle_event,
    settle_after_sales,
)
from depositdesk.services import audit
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.deposit_events import apply_money_events
from depositdesk.services.difference_offers import offer_after_stops
from depositdesk.services.ports.repositories import EventRow, OrderKey, RecordKey, ToggleKey
from depositdesk.services.ports.uow import UnitOfWork, UowFactory
from depositdesk.services.unlink_actions import auto_reply_tickets
from depositdesk.services.unlinks import refund_after_events

CHUNK = 10_000  # events per transaction: a write lock held ~0.3 s on SQLite
# An event may not be dated more than this before its market's first policy
# version, nor more than the skew after now: a sender whose local time is labelled
# UTC runs up to 14 hours ahead, and such events are kept rather than lost.
EARLIEST_MARGIN = timedelta(days=365)
CLOCK_SKEW = timedelta(days=1)
# Event types that move money at ingestion, and the field with the amount.
_MONEY_MOVES = {"proceeds.available": "amount", "violation.recorded": "consumer_loss"}
log = structlog.get_logger("depositdesk.ingestion")


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[Rejection] = field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.rejected.extend(other.rejected)
        self.rejected.sort(key=lambda r: r.index)


# Events are stored with their data as received (validated, so amounts are exact
# strings already), keys sorted.
def _encode(data: object) -> str:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def ingest(
    uow_factory: UowFactory,
    who: Principal,
    now: Callable[[], datetime],
    raws: Iterable[object],
    *,
    chunk: int = CHUNK,
    start_index: int = 0,
    progress: Callable[[int], None] | None = None,
) -> IngestResult:
    """Take events (decoded JSON objects); each chunk commits on its own."""
    require(who, Role.INTEGRATION)
    total = IngestResult()
    with _collector_paused(), audit.acting(who):  # AUD-1: who sent them
        for index, batch in _batches(raws, chunk, start_index):
            total.add(_ingest_chunk(uow_factory, now(), index, batch))
            if progress is not None:
                progress(len(batch))
    return total


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause CPython's cyclic garbage collector while events are ingested.

    A chunk makes some hundred thousand objects (decoded events, rows, states) that
    live until it ends and are then freed by reference counting. While they live, the
    collector keeps finding them, promotes them to the oldest generation and runs full
    collections over the whole heap: a fifth of ingestion's time, for next to no
    garbage (about 150 unreachable objects a chunk, collected once it resumes). The
    switch is process-wide: two ingestions at once in two threads at worst turn it
    back on early.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _batches(raws: Iterable[object], size: int, start: int) -> Iterator[tuple[int, list[object]]]:
    batch: list[object] = []
    index = start
    for raw in raws:
        batch.append(raw)
        if len(batch) >= size:
            yield index, batch
            index += len(batch)
            batch = []
    if batch:
        yield index, batch


class _Undecodable:
    """Stands in for a line of a JSON-lines file that is not JSON."""

    def __init__(self, error: str) -> None:
        self.error = error


def decode_lines(lines: Iterable[str | bytes]) -> Iterator[object]:
    """Decode JSON lines (text or UTF-8 bytes); a line that is not JSON is passed on
    as a rejection-to-be, and blank lines are skipped."""
    for line in lines:
        if not line.strip():
            continue
        try:
            yield decode_line(line.encode() if isinstance(line, str) else line)
        except ValueError as exc:  # orjson's and json's decode errors, TooDeep
            yield _Undecodable(str(exc))


def decode_line(line: bytes) -> object:
    """One line, decoded as strictly as the API decodes a body (json_shape.strict_loads)
    at about half the cost (2-3 µs a line against 5 µs): orjson, checked for what it
    quietly changes. It keeps the last of two equal keys, and it turns an integer
    too big for 64 bits into a float. So the strict decoder reads the line again when
    it has a float, a backslash (maybe an escaped quote) or a quote before whitespace,
    or when its count of `":` differs from the keys decoded: without those, every
    `":` ends a key, so equal counts mean no key was lost."""
    value = orjson.loads(line)
    if (
        b"\\" in line  # an escaped character: maybe a quote inside a string
        or b'" ' in line  # a key may end before whitespace and its colon
        or b'"\t' in line
        or line.count(b'":') != _keys_unless_float(value)
    ):
        return strict_loads(line)
    return value


_FLAT = frozenset({str, int, bool, type(None)})


def _keys_unless_float(value: object) -> int:
    """How many object keys a decoded value holds; -1 when it holds a float."""
    if type(value) is not dict:
        return _keys_anywhere(value)
    count = len(value)  # the usual event: flat fields and a flat `data`
    for member in value.values():
        if type(member) in _FLAT:
            continue
        if type(member) is not dict:
            return _keys_anywhere(value)
        for inner in member.values():
            if type(inner) not in _FLAT:
                return _keys_anywhere(value)
        count += len(member)
    return count


def _keys_anywhere(value: object) -> int:
    count = 0
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            count += len(item)  # type: ignore[arg-type]
            stack.extend(item.values())  # type: ignore[attr-defined]
        elif kind is list:
            stack.extend(item)  # type: ignore[arg-type]
        elif kind is float:
            return -1
    return count


def _ingest_chunk(
    uow_factory: UowFactory, now: datetime, first: int, raws: list[object]
) -> IngestResult:
    result = IngestResult()
    valid: list[tuple[int, Event]] = []
    received: dict[str, str] = {}  # event id -> its data as the marketplace sent it
    seen: set[str] = set()
    for offset, raw in enumerate(raws):
        index = first + offset
        if isinstance(raw, _Undecodable):
            result.rejected.append(
                Rejection(index, None, "bad_value", None, f"not a JSON object: {raw.error}")
            )
            continue
        try:
            event = parse_event(raw)
            data = _encode(raw["data"])  # type: ignore[index]
            if len(data) > MAX_DATA_BYTES:
                raise EventRejected(
                    "bad_value", "data", f"data is larger than {MAX_DATA_BYTES:,} bytes as JSON"
                )
        except EventRejected as rej:
            result.rejected.append(
                Rejection(index, _echo_id(raw), rej.reason, rej.field, rej.detail)
            )
            continue
        if event.id in seen:
            result.duplicates += 1
            continue
        seen.add(event.id)
        valid.append((index, event))
        received[event.id] = data
    if valid:
        result.add(_store(uow_factory, now, valid, received))
    return result


def _echo_id(raw: object) -> str | None:
    """The id of a rejected event, when it is one that can be shown back."""
    rid = raw.get("id") if isinstance(raw, dict) else None
    return rid if isinstance(rid, str) and EVENT_ID.fullmatch(rid) else None


def _store(
    uow_factory: UowFactory,
    now: datetime,
    valid: list[tuple[int, Event]],
    received: dict[str, str],
) -> IngestResult:
    """Store valid events in one transaction. Should it fail for a reason no check
    foresaw, nothing of it is kept and the events are tried again in halves, so that
    one event that cannot be stored is rejected alone and the rest are taken (EVT-1)."""
    try:
        return _store_once(uow_factory, now, valid, received)
    except Exception:
        if len(valid) == 1:
            index, event = valid[0]
            log.exception("event could not be stored", event_id=event.id, index=index)
            detail = "the event could not be stored; the error was logged, nothing was kept"
            return IngestResult(
                rejected=[Rejection(index, event.id, "unprocessable", None, detail)]
            )
        half = len(valid) // 2
        result = _store(uow_factory, now, valid[:half], received)
        result.add(_store(uow_factory, now, valid[half:], received))
        return result


def _store_once(
    uow_factory: UowFactory,
    now: datetime,
    valid: list[tuple[int, Event]],
    received: dict[str, str],
) -> IngestResult:
    result = IngestResult()
    with uow_factory() as uow:
        # Lock the shops this chunk touches (PostgreSQL; SQLite has one writer) so
        # parallel ingestion of one shop's events cannot lose a projection update.
        shops = uow.shops.many({e.shop_id for _, e in valid}, lock=True)
        book = PolicyBook(uow.policies.versions())
        exposure: dict[str, int] = {}  # per shop: the largest balance, plus what comes
        uow.ledger.balances_of({e.shop_id for _, e in valid if e.type in _MONEY_MOVES})
        accepted: list[Event] = []
        for index, event in valid:
            reason = _shop_rejection(event, shops.get(event.shop_id), book, now)
            if reason is None and event.type in _MONEY_MOVES:
                reason = _balance_rejection(uow, event, exposure)
            if reason is not None:
                result.rejected.append(Rejection(index, event.id, *reason))
            else:
                accepted.append(event)
        rows: list[EventRow] = [
            (e.id, e.shop_id, e.type, e.occurred_at, received[e.id]) for e in accepted
        ]
        inserted = uow.events.insert_new(rows, now)
        fresh = [e for e in accepted if e.id in inserted]
        result.duplicates += len(accepted) - len(fresh)
        result.accepted = len(fresh)
        _project(uow, fresh, shops, book, now)
        audit.record(  # AUD-1: one record per chunk; money events have theirs per shop
            uow,
            audit.current_actor(),
            now,
            "events.ingest",
            after={
                "first_index": valid[0][0] if valid else None,
                "accepted": result.accepted,
                "duplicates": result.duplicates,
                "rejected": len(result.rejected),
            },
        )
        uow.commit()
    return result


def _balance_rejection(
    uow: UnitOfWork, event: Event, exposure: dict[str, int]
) -> tuple[str, str | None, str] | None:
    """No event may take a balance of its shop past BALANCE_LIMIT_MINOR. Counted
    conservatively: every amount of the chunk is added to the shop's largest balance."""
    shop_id = event.shop_id
    if shop_id not in exposure:
        exposure[shop_id] = max(map(abs, uow.ledger.balances(shop_id).values()), default=0)
    name = _MONEY_MOVES[event.type]
    amount = event.money(name).minor
    if exposure[shop_id] + amount > BALANCE_LIMIT_MINOR:
        return (
            "out_of_range",
            f"data.{name}",
            f"this amount would take a balance of shop {shop_id} past "
            f"{BALANCE_LIMIT_MINOR:,} minor units",
        )
    exposure[shop_id] += amount
    return None


@lru_cache(maxsize=64)
def _earliest(first_effective: date) -> datetime:
    """The earliest accepted event time of a market whose first policy starts then."""
    return datetime.combine(first_effective, time(0), UTC) - EARLIEST_MARGIN


def _shop_rejection(
    event: Event, shop: Shop | None, book: PolicyBook, now: datetime
) -> tuple[str, str | None, str] | None:
    if shop is None:
        return (
            "unknown_shop",
            "shop_id",
            f"shop {event.shop_id} is not known to depositdesk; create it first (POST /v1/shops)",
        )
    earliest = _earliest(book.first(shop.market).effective_from)
    if not earliest <= event.occurred_at <= now + CLOCK_SKEW:
        return (
            "out_of_range",
            "occurred_at",
            f"occurred_at must lie between {earliest:%Y-%m-%d} ({EARLIEST_MARGIN.days} days "
            f"before the {shop.market} market's first policy) and now plus "
            f"{CLOCK_SKEW.days} day",
        )
    # Every money-carrying event type has a `currency` field (domain/events.py).
    currency = event.data.get("currency")
    if currency is None and event.type != "order.placed":
        return None
    pack = book.in_force(shop.market, event.occurred_at)
    if currency is not None and currency != pack.currency:
        return (
            "bad_value",
            "data.currency",
            f"shop {event.shop_id} trades in {pack.currency}, not {currency}",
        )
    for name, value in event.data.items():
        if isinstance(value, Money) and value.minor > pack.amount_limit.minor:
            return (
                "out_of_range",
                f"data.{name}",
                f"a single amount in the {pack.pack} market is at most {pack.amount_limit}",
            )
    if event.type == "order.placed":
        cutoff = shop.orders_cutoff_at
        if cutoff is not None and event.occurred_at > cutoff:
            # EVT-4: no new orders after an unlink's cutoff or a termination.
            return (
                "shop_closed_for_orders",
                "occurred_at",
                f"shop {event.shop_id} takes no new orders after {cutoff.isoformat()}",
            )
        if pack.category(event.data["category"]) is None:
            return (
                "bad_value",
                "data.category",
                f"{event.data['category']!r} is not a category of the {pack.pack} pack",
            )
    return None


def _project(
    uow: UnitOfWork, fresh: list[Event], shops: dict[str, Shop], book: PolicyBook, now: datetime
) -> None:
    order_events: list[Event] = []
    record_events: list[Event] = []
    toggle_events: list[Event] = []
    other: list[Event] = []
    for e in fresh:
        if e.type in ORDER_EVENTS:
            order_events.append(e)
        elif e.type in RECORD_EVENTS:
            record_events.append(e)
        elif e.type in TOGGLE_EVENTS:
            toggle_events.append(e)
        else:
            other.append(e)
    _project_orders(uow, order_events, shops, book)
    deductions = _project_records(uow, record_events)
    _project_toggles(uow, toggle_events)
    proceeds: list[Event] = []
    stopped: dict[str, list[str]] = {}  # shop -> categories active until this chunk
    for e in other:
        if e.type == "category.stopped":
            current = next(
                (c for c in uow.shops.categories(e.shop_id) if c.category == e.data["category"]),
                None,
            )
            updated = apply_category_stop(current, e)
            if updated != current:
                uow.shops.upsert_category(e.shop_id, updated)
                if current is not None and current.active:
                    stopped.setdefault(e.shop_id, []).append(updated.category)
        elif e.type == "proceeds.available":
            proceeds.append(e)
    apply_money_events(uow, deductions + proceeds, book, now, shops)
    offer_after_stops(uow, stopped, now, book)  # REF-2: a difference may come back
    # UNL-6: tickets after an unlink's cutoff get the auto-reply; REF-1: events of an
    # unlinked shop may clear the last blocker of its full refund.
    tickets = [e for e in record_events if e.type == "ticket.opened"]
    closing = {s.id for s in shops.values() if s.status.is_closing}
    if tickets and closing:
        auto_reply_tickets(uow, [e for e in tickets if e.shop_id in closing], now)
    touched = {e.shop_id for e in order_events + record_events if e.shop_id in closing}
    if touched:
        refund_after_events(uow, now, touched)


# UNL-6a's waiting period runs from the last order *delivered*: what a buyer can still
# claim against. A cancelled order (refunded in full, nothing shipped) leaves nothing
# to wait for; cancelling the unfulfillable ones is itself a step of unlinking.
FINISHING = frozenset({"order.delivered"})


def _project_orders(
    uow: UnitOfWork, evts: list[Event], shops: dict[str, Shop], book: PolicyBook
) -> None:
    if not evts:
        return
    # Each order's events of this chunk folded on their own; the merge with what is
    # stored is set-based, in the database (projection.merge_orders).
    states: dict[OrderKey, OrderState] = {}
    latest: dict[tuple[str, str], datetime] = {}
    finished: dict[str, datetime] = {}  # UNL-6a: a shop's last order finished
    for e in evts:
        key = (e.shop_id, e.data["order_id"])
        order = states.get(key)
        if order is None:
            order = states[key] = OrderState(key[1])
        apply_order_event(order, e)
        if e.type == "order.placed":
            ck = (e.shop_id, e.data["category"])
            if ck not in latest or latest[ck] < e.occurred_at:
                latest[ck] = e.occurred_at
        elif e.type in FINISHING and finished.get(e.shop_id, e.occurred_at) <= e.occurred_at:
            finished[e.shop_id] = e.occurred_at

    def after_sales(shop_id: str, order: OrderState) -> datetime | None:
        period = None
        if order.delivered_at is not None:
            # The after-sales period of the pack version in force at delivery (POL-1).
            pack = book.in_force(shops[shop_id].market, order.delivered_at)
            period = pack.after_sales_period(order.category)
        settle_after_sales(order, period)
        return order.after_sales_ends_at

    staged = []
    for (shop_id, _), order in states.items():
        after_sales(shop_id, order)
        staged.append((shop_id, order))
    uow.projection.merge_orders(staged, after_sales)
    uow.projection.bump_category_orders(latest)
    uow.projection.bump_finished(finished)


def _project_records(uow: UnitOfWork, evts: list[Event]) -> list[Event]:
    """Fold case-like events; return violation events that were recorded for the first time."""
    if not evts:
        return []
    keyed: list[tuple[RecordKey, Event]] = []
    for e in evts:
        kind, id_field, _ = RECORD_EVENTS[e.type]
        keyed.append(((e.shop_id, kind, e.data[id_field]), e))
    states = uow.projection.load_records({k for k, _ in keyed})
    first_seen: dict[RecordKey, Event] = {}
    for key, e in keyed:
        record = states.get(key)
        if record is None:
            record = states[key] = RecordState(key[1], key[2])
        if apply_record_event(record, e) and key[1] is RecordKind.VIOLATION:
            first_seen[key] = e
    uow.projection.save_records([(k[0], r) for k, r in states.items()])
    return list(first_seen.values())


def _project_toggles(uow: UnitOfWork, evts: list[Event]) -> None:
    if not evts:
        return
    keyed: list[tuple[ToggleKey, Event]] = [
        ((e.shop_id, TOGGLE_EVENTS[e.type][0], e.data[TOGGLE_EVENTS[e.type][1]]), e) for e in evts
    ]
    states = uow.projection.load_toggles({k for k, _ in keyed})
    for key, e in keyed:
        toggle = states.get(key)
        if toggle is None:
            toggle = states[key] = ToggleState(key[1], key[2])
        apply_toggle_event(toggle, e)
    uow.projection.save_toggles([(k[0], t) for k, t in states.items()])
