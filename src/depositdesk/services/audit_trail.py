"""Reading and checking the audit log (AUD-1): the list, the verify command, and the
daily anchors the worker writes outside the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

import structlog

from depositdesk.domain.audit import Anchor, AuditRecord, ChainBreak, ChainVerifier
from depositdesk.services.access import Principal, Role, require
from depositdesk.services.paging import EntryCursor, Page
from depositdesk.services.ports.anchors import AnchorStore
from depositdesk.services.ports.uow import Context, UnitOfWork

AUDIT_READERS = (Role.AUDITOR, Role.PLATFORM_ADMIN)
log = structlog.get_logger("depositdesk.audit")


@dataclass(frozen=True, slots=True)
class ChainReport:
    """What `audit verify` says: whether the chain holds, how many records it checked,
    the first bad one, and the head (the last good record's hash)."""

    ok: bool
    records: int
    first_bad: ChainBreak | None
    head: str
    head_seq: int
    anchors: int


def list_records(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    *,
    shop_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    cursor: EntryCursor | None = None,
    limit: int = 50,
) -> Page[AuditRecord]:
    """The records, newest first (auditor, platform_admin)."""
    require(who, *AUDIT_READERS)
    rows = uow.audit.page(
        shop_id=shop_id,
        actor=actor,
        since=since,
        before_seq=cursor.before_id if cursor is not None else None,
        limit=limit + 1,
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page.of(rows, EntryCursor(rows[-1].seq) if more and rows else None)


def verify_chain(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    *,
    anchors: Sequence[Anchor] = (),
    progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """AUD-1: walk the whole chain from its first record, against the anchors."""
    require(who, *AUDIT_READERS)
    verifier = ChainVerifier(anchors)
    found: ChainBreak | None = None
    for n, record in enumerate(uow.audit.chain(), 1):
        found = verifier.feed(record)
        if progress is not None and n % 1000 == 0:
            progress(1000)
        if found is not None:
            break
    else:
        found = verifier.finish()
    if progress is not None:
        progress(verifier.count % 1000)
    return ChainReport(
        ok=found is None,
        records=verifier.count,
        first_bad=found,
        head=verifier.head,
        head_seq=verifier.last_seq,
        anchors=len(verifier.anchors),
    )


def count_records(uow: UnitOfWork, who: Principal, now: datetime) -> int:
    require(who, *AUDIT_READERS)
    return uow.audit.count()


def anchor_due(ctx: Context, store: AnchorStore, now: datetime) -> Anchor | None:
    """The worker's tick: anchor the head of the chain at the end of the last whole
    day (UTC, the app clock) once, in a file and in the log. Returns the new anchor."""
    day = (now.astimezone(UTC) - timedelta(days=1)).date()
    name = day.isoformat()
    if store.has(name):
        return None
    day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
    with ctx.uow(read_only=True) as uow:
        seq, digest = uow.audit.head_before(day_end)
    anchor = Anchor(name, seq, digest)
    store.write(anchor)
    log.info("audit anchor", day=name, seq=seq, hash=digest)
    return anchor
