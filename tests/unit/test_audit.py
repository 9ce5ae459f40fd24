"""AUD-1, the pure chain: sealing, canonical JSON, and verify's first bad record."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from depositdesk.domain.audit import (
    GENESIS,
    Anchor,
    AuditEntry,
    BreakReason,
    ChainBreak,
    canonical,
    chain_template,
    seal_all,
    verify,
)

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def chain(n: int) -> list:
    entries = [
        AuditEntry(
            T0 + timedelta(seconds=i),
            "integration:abc",
            "integration",
            "platform",
            "deposits.pay_in",
            "shop:acme-uk-01",
            "acme-uk-01",
            {"held": i * 100, "status": "active"},
            {"held": (i + 1) * 100, "status": "active", "名": "店"},
            f"req-{i}",
        )
        for i in range(n)
    ]
    return seal_all(entries, 0, GENESIS)


def test_aud1_canonical_json_sorts_keys_without_spaces_in_utf8() -> None:
    assert (
        canonical({"b": 1, "a": {"d": None, "c": "店"}})
        == '{"a":{"c":"店","d":null},"b":1}'.encode()
    )


def test_aud1_each_record_links_the_hash_of_the_one_before() -> None:
    records = chain(3)
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS
    assert records[1].prev_hash == records[0].hash and records[2].prev_hash == records[1].hash
    assert verify(records) is None


def test_aud1_an_altered_record_is_the_first_bad_one() -> None:
    records = chain(5)
    records[2] = replace(records[2], after={"held": 1})
    assert verify(records) == ChainBreak(3, BreakReason.ALTERED)


def test_aud1_a_removed_record_is_missing_at_its_seq() -> None:
    records = chain(5)
    del records[1]
    assert verify(records) == ChainBreak(2, BreakReason.MISSING)


def test_aud1_records_out_of_order_are_found() -> None:
    records = chain(5)
    swapped = [records[0], replace(records[2], seq=2), replace(records[1], seq=3), *records[3:]]
    assert verify(swapped) == ChainBreak(2, BreakReason.OUT_OF_ORDER)
    assert verify([records[0], records[1], records[1]]) == ChainBreak(2, BreakReason.OUT_OF_ORDER)


def test_aud1_a_whole_chain_rewritten_fails_its_anchor() -> None:
    records = chain(4)
    anchor = Anchor("2026-03-02", 3, records[2].hash)
    assert verify(records, [anchor]) is None
    forged_entries = [
        AuditEntry(r.at, r.actor, r.role, r.party, "forged", r.target, r.shop_id) for r in records
    ]
    forged = seal_all(forged_entries, 0, GENESIS)
    assert verify(forged) is None
    assert verify(forged, [anchor]) == ChainBreak(3, BreakReason.ANCHOR_MISMATCH)
    assert verify(records[:2], [anchor]) == ChainBreak(3, BreakReason.TRUNCATED)


def test_aud1_an_anchor_file_reads_back() -> None:
    anchor = Anchor("2026-03-02", 7, "ab" * 32)
    assert Anchor.parse("2026-03-02", anchor.line()) == anchor


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**18), 10**18) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
_texts = st.text(max_size=30)


@settings(max_examples=300, deadline=None)
@given(
    at=st.datetimes(timezones=st.just(UTC)),
    fields=st.tuples(_texts, _texts, _texts, _texts),
    optional=st.tuples(st.none() | _texts, st.none() | _texts, st.none() | _texts),
    before=st.none() | st.dictionaries(st.text(max_size=8), _json_values, max_size=4),
    after=st.none() | st.dictionaries(st.text(max_size=8), _json_values, max_size=4),
    seq=st.integers(1, 2**62),
    prev=st.text("0123456789abcdef", min_size=64, max_size=64),
)
def test_aud1_a_record_sealed_from_its_template_is_the_record_seal_makes(
    at: datetime,
    fields: tuple[str, str, str, str],
    optional: tuple[str | None, str | None, str | None],
    before: dict[str, object] | None,
    after: dict[str, object] | None,
    seq: int,
    prev: str,
) -> None:
    """PostgreSQL seals a record under the chain's lock from `chain_template` (the
    head's seq and hash filled in by SQL): the same canonical JSON, so the same hash,
    as `seal` in Python, for any entry."""
    target, shop_id, request_id = optional
    entry = AuditEntry(at, *fields, target, shop_id, before, after, request_id)
    record = seal_all([entry], seq - 1, prev)[0]
    made = chain_template(entry).canonical(seq, prev).encode()
    assert made == canonical(record.fields())
    assert hashlib.sha256(prev.encode() + made).hexdigest() == record.hash
