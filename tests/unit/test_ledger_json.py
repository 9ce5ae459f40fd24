"""The ledger page's JSON (DEP-3) is written by orjson from plain values for speed
(issue 9); it must be exactly what the documented response model, LedgerOut, gives
for the same page — any entries, postings, currencies, times and text."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from depositdesk.domain.ledger import Account, EntryKind, Posting, RecordedEntry
from depositdesk.domain.money import Money
from depositdesk.entrypoints.api.schemas.common import MoneyOut
from depositdesk.entrypoints.api.schemas.deposits import (
    SIGN_CONVENTION,
    EntryOut,
    LedgerOut,
    PostingOut,
)
from depositdesk.services.deposits import LedgerPage

CURRENCIES = ("GBP", "CNY", "JPY", "KWD", "USD")  # exponents 2, 2, 0, 3, 2

money = st.builds(Money, st.sampled_from(CURRENCIES), st.integers(-(10**15), 10**15))
times = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)
text = st.text(max_size=40)
postings = st.builds(Posting, st.sampled_from(list(Account)), money)
entries = st.builds(
    RecordedEntry,
    id=st.integers(1, 2**62),
    shop_id=st.just("shop1"),
    at=times,
    kind=st.sampled_from(list(EntryKind)),
    memo=text,
    source=text,
    postings=st.lists(postings, max_size=5).map(tuple),
)
pages = st.builds(
    LedgerPage,
    shop_id=st.just("shop1"),
    currency=st.sampled_from(CURRENCIES),
    entries=st.lists(entries, max_size=8).map(tuple),
    balances=st.dictionaries(st.sampled_from(list(Account)), money),
    next_cursor=st.none(),
)


def _by_the_models(page: LedgerPage, next_cursor: str | None) -> LedgerOut:
    """The page built model by model, as the response model documents it."""
    return LedgerOut(
        shop_id=page.shop_id,
        currency=page.currency,
        sign_convention=SIGN_CONVENTION,
        entries=[
            EntryOut(
                id=e.id,
                at=e.at,
                kind=e.kind,
                memo=e.memo,
                source=e.source,
                postings=[
                    PostingOut(account=p.account, amount=MoneyOut.of(p.amount)) for p in e.postings
                ],
            )
            for e in page.entries
        ],
        balances={a: MoneyOut.of(m) for a, m in page.balances.items()},
        next_cursor=next_cursor,
    )


@settings(max_examples=300)
@given(pages, st.none() | st.text(min_size=1, max_size=60))
def test_dep3_ledger_json_is_the_response_models_json(
    page: LedgerPage, next_cursor: str | None
) -> None:
    written = LedgerOut.json_of(page, next_cursor)
    expected = _by_the_models(page, next_cursor)
    assert orjson.loads(written) == orjson.loads(expected.model_dump_json())
    assert LedgerOut.model_validate_json(written) == expected
