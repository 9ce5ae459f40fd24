"""The rows of each kind of a shop data archive (UNL-4), as the files hold them:
customers pseudonymised and event data scrubbed when the archive is anonymised
(domain/archives.py says how), the tax of the order events summed on the way.

Batches arrive as Arrow record batches (ports/archives.py). The big kinds stay
columnar: a batch's customers are pseudonymised once per distinct customer and put
back by index, and only the `data` column of events passes through Python. The small
kinds (tickets, customers' details, messages, the tax summary) are shaped row by row
and leave as rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

from depositdesk.domain.archives import personal_details, scrub
from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.money import Money
from depositdesk.services.ports.archives import Batch, Row

Pseudonym = Callable[[str], str]
Taxes = dict[tuple[str, str | None], int]  # (month YYYY-MM, currency) -> tax, minor units
# (month YYYY-MM, currency) -> (orders placed, cancelled, gross sales in minor units)
Sales = dict[tuple[str, str | None], tuple[int, int, int]]
PSEUDONYM_CACHE = 250_000  # pseudonyms kept for reuse (each an HMAC): about 60 MB full


def rows_of(batch: Any) -> Iterator[Row]:
    """A record batch's rows as tuples."""
    return zip(*(column.to_pylist() for column in batch.columns), strict=True)


def _pseudonymised(column: Any, customer: Pseudonym) -> Any:
    """Each customer id of a column as its pseudonym: one HMAC (or cache lookup) per
    distinct id of the batch, put back by index; nulls stay null."""
    encoded = pc.dictionary_encode(column)
    names = [customer(c) for c in encoded.dictionary.to_pylist()]
    return pc.take(pa.array(names, pa.string()), encoded.indices)


def _replaced(batch: Any, name: str, column: Any) -> Any:
    index = batch.schema.get_field_index(name)
    return batch.set_column(index, batch.schema.field(index), column)


def orders(batches: Iterable[Batch], customer: Pseudonym | None, sales: Sales) -> Iterator[Batch]:
    """The order projection's rows; anonymised: the customer as its pseudonym. Each
    batch's orders are counted into `sales` on the way (by Arrow, per month and
    currency: the tax summary needs no second pass over the orders)."""
    for batch in batches:
        _count_sales(batch, sales)
        if customer is not None:
            batch = _replaced(batch, "customer", _pseudonymised(batch["customer"], customer))
        yield batch


def _count_sales(batch: Any, sales: Sales) -> None:
    """Orders placed, cancelled, and gross sales of those not cancelled, per month
    (UTC, from placed_at) and currency; orders with no placed_at are not counted."""
    cancelled = pc.is_valid(batch["cancelled_at"])
    table = pa.table(
        {
            "month": pc.utf8_slice_codeunits(batch["placed_at"], 0, 7),
            "currency": batch["currency"],
            "cancelled": pc.cast(cancelled, pa.int64()),
            "sales": pc.if_else(cancelled, 0, batch["amount_minor"]),
        }
    )
    table = table.filter(pc.is_valid(table["month"]))
    grouped = table.group_by(["month", "currency"]).aggregate(
        [("cancelled", "count"), ("cancelled", "sum"), ("sales", "sum")]
    )
    columns = ["month", "currency", "cancelled_count", "cancelled_sum", "sales_sum"]
    for month, currency, orders, cancelled_orders, gross in rows_of(grouped.select(columns)):
        before = sales.get((month, currency), (0, 0, 0))
        sales[(month, currency)] = (
            before[0] + orders,
            before[1] + (cancelled_orders or 0),
            before[2] + (gross or 0),
        )


def _json(data: Any) -> str:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def events(batches: Iterable[Batch], customer: Pseudonym | None, taxes: Taxes) -> Iterator[Batch]:
    """(event_id, type, occurred_at, received_at, data); anonymised: data scrubbed.
    The `tax` amounts of order.placed events are summed per month on the way."""
    for batch in batches:
        types = batch["type"].to_pylist()
        data = batch["data"].to_pylist()
        occurred: list[str] | None = None
        scrubbed: list[str] = []
        for i, (type_, text) in enumerate(zip(types, data, strict=True)):
            parsed = None
            if type_ == "order.placed" and '"tax"' in text:
                parsed = orjson.loads(text)
                if occurred is None:
                    occurred = batch["occurred_at"].to_pylist()
                _add_tax(taxes, occurred[i], parsed)
            if customer is not None:
                whole = parsed if parsed is not None else orjson.loads(text)
                scrubbed.append(_json(scrub(whole, customer)))
        if customer is not None:
            batch = _replaced(batch, "data", pa.array(scrubbed, pa.string()))
        yield batch


def _add_tax(taxes: Taxes, occurred: str, data: Any) -> None:
    currency, tax = data.get("currency"), data.get("tax")
    if not isinstance(currency, str) or not isinstance(tax, str | int):
        return
    try:
        minor = Money.parse(str(tax), currency, "tax").minor
    except ValidationProblem:
        return
    month = (occurred[:7], currency)
    taxes[month] = taxes.get(month, 0) + minor


def tickets(batches: Iterable[Batch], customer: Pseudonym | None) -> Iterator[Batch]:
    for batch in batches:
        out = []
        for event_id, type_, occurred, _received, data in rows_of(batch):
            parsed = orjson.loads(data)
            if customer is not None:
                parsed = scrub(parsed, customer)
            subject = parsed.get("subject")
            out.append((event_id, parsed.get("ticket_id"), type_, occurred, subject, _json(parsed)))
        yield out


def customers(batches: Iterable[Batch], customer: Pseudonym, anonymous: bool) -> Iterator[Batch]:
    """Anonymised: the customer as its pseudonym (no details were read); else each
    customer's details: the personal fields of their latest order event."""
    for batch in batches:
        if anonymous:
            yield _replaced(batch, "customer", _pseudonymised(batch["customer"], customer))
            continue
        out = []
        for *row, data in rows_of(batch):
            found = personal_details(orjson.loads(data)) if data is not None else None
            out.append((*row, _json(found) if found else None))
        yield out


def messages(batches: Iterable[Batch], customer: Pseudonym, anonymous: bool) -> Iterator[Batch]:
    """Anonymised: no address, and a customer (a `notify` message's subject) as its
    pseudonym; orders and tickets are named by their own ids."""
    for batch in batches:
        if not anonymous:
            yield batch
            continue
        yield [
            (unlink_id, kind, customer(about) if kind == "notify" else about, None, sent_at)
            for unlink_id, kind, about, _email, sent_at in rows_of(batch)
        ]


def tax_summary(sales: Sales, taxes: Taxes) -> Iterator[Batch]:
    """One row per month and currency, in that order (a missing currency first)."""
    months = sorted(sales, key=lambda k: (k[0], k[1] is not None, k[1] or ""))
    yield [
        (month, currency, *sales[(month, currency)], taxes.get((month, currency)))
        for month, currency in months
    ]
