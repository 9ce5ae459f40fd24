"""The audit log's hash chain (AUD-1): who did what, when, to what, before and after.

Each record carries the hash of the one before it, so a record altered, removed or
put out of order breaks the chain at that record. The hash covers every field but
itself, as canonical JSON (sorted keys, no spaces, UTF-8):
`hash = sha256(prev_hash + canonical(fields without hash))`. The first record's
`prev_hash` is GENESIS. A rewrite of the whole chain (every hash recomputed) is
caught by the anchors: the head's (seq, hash) written outside the database at each
day's end, which `verify` checks too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

GENESIS = "0" * 64
SYSTEM_ACTOR = "system"  # depositdesk itself: the worker's timers and payouts

JsonDict = dict[str, Any]


class BreakReason(StrEnum):
    """Why `verify` stopped at a record (the first bad one)."""

    ALTERED = "altered"  # its hash is not the hash of its fields
    MISSING = "missing"  # a record before it was removed (a gap in seq)
    OUT_OF_ORDER = "out_of_order"  # its seq or prev_hash does not follow the one before
    ANCHOR_MISMATCH = "anchor_mismatch"  # not the hash anchored for that seq
    TRUNCATED = "truncated"  # the chain ends before an anchored seq


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What happened, before it has its place in the chain."""

    at: datetime
    actor: str  # a principal's actor string (`role:token_id`), or SYSTEM_ACTOR
    role: str
    party: str  # whom the actor acts for: "platform" or "seller:<id>"
    action: str  # the use case's name, e.g. "deposits.pay_in"
    target: str | None = None  # "shop:acme-uk-01", "refund:ref_…", "token:…"
    shop_id: str | None = None
    before: JsonDict | None = None
    after: JsonDict | None = None
    request_id: str | None = None


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """An entry in its place: `seq` from 1, linked to the previous record's hash."""

    seq: int
    at: datetime
    actor: str
    role: str
    party: str
    action: str
    target: str | None
    shop_id: str | None
    before: JsonDict | None
    after: JsonDict | None
    request_id: str | None
    prev_hash: str
    hash: str

    def fields(self) -> JsonDict:
        """Every field the hash covers (all but the hash), JSON-able."""
        return {
            "seq": self.seq,
            "at": timestamp(self.at),
            "actor": self.actor,
            "role": self.role,
            "party": self.party,
            "action": self.action,
            "target": self.target,
            "shop_id": self.shop_id,
            "before": self.before,
            "after": self.after,
            "request_id": self.request_id,
            "prev_hash": self.prev_hash,
        }

    def computed_hash(self) -> str:
        return chain_hash(self.prev_hash, self.fields())


@dataclass(frozen=True, slots=True)
class ShopFacts:
    """What a record's before/after needs of a shop's row, read in one statement."""

    status: str
    enforcement_step: str | None
    market: str
    categories: tuple[str, ...]  # the active ones


@dataclass(frozen=True, slots=True)
class ChainBreak:
    seq: int
    reason: BreakReason


@dataclass(frozen=True, slots=True)
class Anchor:
    """The head of the chain at a day's end, kept outside the database."""

    day: str  # YYYY-MM-DD (UTC, the app clock)
    seq: int
    hash: str

    def line(self) -> str:
        return f"{self.seq} {self.hash}\n"

    @classmethod
    def parse(cls, day: str, text: str) -> Anchor:
        seq, digest = text.split()
        return cls(day, int(seq), digest)


def timestamp(at: datetime) -> str:
    """`at` as the hash sees it: UTC, microseconds, `Z`."""
    if at.tzinfo is None:
        raise ValueError("an audit time needs a time zone")
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(data: Mapping[str, Any]) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8 (non-ASCII kept as is)."""
    return _dumps(data).encode()


def chain_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(fields)).hexdigest()


def seal(entry: AuditEntry, seq: int, prev_hash: str) -> AuditRecord:
    """The entry as record `seq`, after the record whose hash is `prev_hash`."""
    record = _placed(entry, seq, prev_hash)
    return replace(record, hash=record.computed_hash())


def _placed(entry: AuditEntry, seq: int, prev_hash: str) -> AuditRecord:
    """The entry as record `seq`, its hash not made yet."""
    if entry.at.tzinfo is None:
        raise ValueError("an audit time needs a time zone")
    return AuditRecord(
        seq=seq,
        at=entry.at.astimezone(UTC),
        actor=entry.actor,
        role=entry.role,
        party=entry.party,
        action=entry.action,
        target=entry.target,
        shop_id=entry.shop_id,
        before=entry.before,
        after=entry.after,
        request_id=entry.request_id,
        prev_hash=prev_hash,
        hash="",
    )


@dataclass(frozen=True, slots=True)
class ChainTemplate:
    """An entry's canonical JSON around the two fields only the chain's head decides,
    so a database can seal it under the chain's lock without a round trip to us:
    `canonical = head + prev_hash + middle + str(seq) + tail` (both are plain ASCII
    in JSON: a hex string and an integer), and the hash is
    `sha256(prev_hash + canonical)`, as `seal` makes it."""

    head: str  # up to the opening quote of prev_hash's value
    middle: str  # from its closing quote to seq's value
    tail: str  # after seq's value, to the closing brace

    def canonical(self, seq: int, prev_hash: str) -> str:
        return f"{self.head}{prev_hash}{self.middle}{seq}{self.tail}"


def chain_template(entry: AuditEntry) -> ChainTemplate:
    """The entry's `ChainTemplate` (json.dumps with sorted keys writes an object as its
    members in key order, each `"key":value`, joined by commas)."""
    fields = _placed(entry, 0, GENESIS).fields()
    members = {key: _dumps({key: value})[1:-1] for key, value in fields.items()}
    keys = sorted(members)
    prev, seq = keys.index("prev_hash"), keys.index("seq")
    if not prev < seq:  # fixed by the field names; checked, not assumed
        raise AssertionError("prev_hash sorts before seq")
    head = "{" + "".join(members[k] + "," for k in keys[:prev]) + '"prev_hash":"'
    middle = '"' + "".join("," + members[k] for k in keys[prev + 1 : seq]) + ',"seq":'
    tail = "".join("," + members[k] for k in keys[seq + 1 :]) + "}"
    return ChainTemplate(head, middle, tail)


def _dumps(data: Mapping[str, Any]) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def seal_all(entries: Iterable[AuditEntry], last_seq: int, last_hash: str) -> list[AuditRecord]:
    """Entries appended after the record (last_seq, last_hash), in order."""
    sealed: list[AuditRecord] = []
    for entry in entries:
        record = seal(entry, last_seq + 1, last_hash)
        sealed.append(record)
        last_seq, last_hash = record.seq, record.hash
    return sealed


class ChainVerifier:
    """Checks records fed in seq order, one at a time (a long chain streams)."""

    def __init__(self, anchors: Iterable[Anchor] = ()) -> None:
        self.anchors = {a.seq: a for a in anchors if a.seq > 0}
        self.count = 0
        self.last_seq = 0
        self.head = GENESIS

    def feed(self, record: AuditRecord) -> ChainBreak | None:
        expected = self.last_seq + 1
        if record.seq > expected:
            return ChainBreak(expected, BreakReason.MISSING)
        if record.seq < expected:
            return ChainBreak(record.seq, BreakReason.OUT_OF_ORDER)
        if record.prev_hash != self.head:  # moved here from elsewhere in the chain
            return ChainBreak(record.seq, BreakReason.OUT_OF_ORDER)
        if record.computed_hash() != record.hash:
            return ChainBreak(record.seq, BreakReason.ALTERED)
        anchor = self.anchors.get(record.seq)
        if anchor is not None and anchor.hash != record.hash:
            return ChainBreak(record.seq, BreakReason.ANCHOR_MISMATCH)
        self.count += 1
        self.last_seq, self.head = record.seq, record.hash
        return None

    def finish(self) -> ChainBreak | None:
        """After the last record: an anchored seq beyond it means the chain lost its end."""
        beyond = [seq for seq in self.anchors if seq > self.last_seq]
        if beyond:
            return ChainBreak(self.last_seq + 1, BreakReason.TRUNCATED)
        return None


def verify(records: Iterable[AuditRecord], anchors: Iterable[Anchor] = ()) -> ChainBreak | None:
    """AUD-1: the first bad record (altered, removed, inserted out of order, or not
    the anchored one), or None when the whole chain holds."""
    verifier = ChainVerifier(anchors)
    for record in records:
        found = verifier.feed(record)
        if found is not None:
            return found
    return verifier.finish()
