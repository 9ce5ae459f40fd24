"""AUD-1, the pure chain: sealing, canonical JSON, and verify's first bad record."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from depositdesk.domain.audit import (
    GENESIS,
    Anchor,
    AuditEntry,
    BreakReason,
    ChainBreak,
    canonical,
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
