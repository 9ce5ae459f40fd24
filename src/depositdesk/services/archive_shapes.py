"""The rows of each kind of a shop data archive (UNL-4), as the files hold them:
customers pseudonymised and event data scrubbed when the archive is anonymised
(domain/archives.py says how), the tax of the order events summed on the way."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import orjson

from depositdesk.domain.archives import personal_details, scrub
from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.money import Money
from depositdesk.services.ports.archives import Batch

Pseudonym = Callable[[str], str]
Taxes = dict[tuple[str, str], int]  # (month YYYY-MM, currency) -> tax in minor units


def orders(batches: Iterable[Batch], customer: Pseudonym | None) -> Iterator[Batch]:
    """The order projection's rows; anonymised: the customer as its pseudonym."""
    if customer is None:
        yield from batches
        return
    for batch in batches:
        yield [(*r[:5], customer(r[5]) if r[5] is not None else None, *r[6:]) for r in batch]


def _json(data: Any) -> str:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def events(batches: Iterable[Batch], customer: Pseudonym | None, taxes: Taxes) -> Iterator[Batch]:
    """(event_id, type, occurred_at, received_at, data); anonymised: data scrubbed.
    The `tax` amounts of order.placed events are summed per month on the way."""
    for batch in batches:
        out = []
        for event_id, type_, occurred, received, data in batch:
            parsed = None
            if type_ == "order.placed" and '"tax"' in data:
                parsed = orjson.loads(data)
                _add_tax(taxes, occurred, parsed)
            if customer is not None:
                data = _json(scrub(parsed if parsed is not None else orjson.loads(data), customer))
            out.append((event_id, type_, occurred, received, data))
        yield out


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
        for event_id, type_, occurred, _received, data in batch:
            parsed = orjson.loads(data)
            if customer is not None:
                parsed = scrub(parsed, customer)
            subject = parsed.get("subject")
            out.append((event_id, parsed.get("ticket_id"), type_, occurred, subject, _json(parsed)))
        yield out


def customers(batches: Iterable[Batch], customer: Pseudonym, anonymous: bool) -> Iterator[Batch]:
    for batch in batches:
        out = []
        for customer_id, currency, orders, spent, first, last, data in batch:
            details = None
            if not anonymous and data is not None:
                found = personal_details(orjson.loads(data))
                details = _json(found) if found else None
            who = customer(customer_id) if anonymous else customer_id
            out.append((who, currency, orders, int(spent or 0), first, last, details))
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
            for unlink_id, kind, about, _email, sent_at in batch
        ]


def tax_summary(batches: Iterable[Batch], taxes: Taxes) -> Iterator[Batch]:
    for batch in batches:
        yield [
            (
                month,
                currency,
                orders,
                int(cancelled or 0),
                int(sales or 0),
                taxes.get((month, currency)),
            )
            for month, currency, orders, cancelled, sales in batch
        ]
