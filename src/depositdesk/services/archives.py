"""The shop data archive (UNL-4): asking for one, reading its progress, and the
worker's job that builds it.

`start_archive` queues an archive (one open per shop: a second is `409
archive_running`). The worker builds it in three steps, like a payout, so two
workers never build one archive and a dead worker's archive is taken over:

1. **Claim** (a short transaction): the oldest queued archive, or a running one whose
   lease ran out, becomes `running` with a new lease and attempt number.
2. **Build** in a read transaction (one snapshot of the shop): each kind of data is
   read in batches and written as CSV and Parquet (adapters/archive_writer.py), then
   zipped with `manifest.json`. Progress and the lease are renewed in short
   transactions of their own as it goes; a worker whose attempt was taken over stops.
3. **Finish** (a short transaction): `ready` with the file list, or `failed` with
   the error; only the attempt that holds the claim may finish it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import structlog

from depositdesk.domain.archives import (
    FORMAT_VERSION,
    KIND_BY_NAME,
    KINDS,
    Archive,
    ArchiveStatus,
    pseudonym,
    pseudonym_key,
)
from depositdesk.domain.clock import rfc3339
from depositdesk.domain.errors import NotFound, Refused
from depositdesk.domain.ids import new_ordered_id
from depositdesk.services import archive_shapes as shape
from depositdesk.services import audit
from depositdesk.services.access import Principal, Role, require_shop_role
from depositdesk.services.money_moves import replay, request_hash
from depositdesk.services.ports.archives import ArchiveRows, ArchiveStore, ArchiveWriter, Batch
from depositdesk.services.ports.uow import UnitOfWork, UowFactory
from depositdesk.services.shop_view import load_shop

LEASE = timedelta(minutes=10)
HEARTBEAT_ROWS = 200_000  # rows between progress updates within a file
# Pseudonyms kept for reuse (each an HMAC; a shop's customers come back in every file):
# about 60 MB when full.
PSEUDONYM_CACHE = 250_000
MANAGERS = (Role.OWNER, Role.ADMIN)
log = structlog.get_logger("depositdesk.archives")


def _visible(uow: UnitOfWork, who: Principal, now: datetime, archive_id: str) -> Archive:
    """An archive the caller may see: its shop's owner/admin (another seller: 404)."""
    archive = uow.archives.get(archive_id)
    if archive is None:
        raise NotFound(f"archive {archive_id} not found")
    shop = uow.shops.get(archive.shop_id)
    if shop is None or (who.is_seller and who.seller_id != shop.seller_id):
        raise NotFound(f"archive {archive_id} not found")
    require_shop_role(who, shop.seller_id, shop.id, MANAGERS, ())
    return archive


def start_archive(
    uow: UnitOfWork,
    who: Principal,
    now: datetime,
    shop_id: str,
    *,
    anonymize_customers: bool,
    idempotency_key: str | None = None,
) -> Archive:
    """UNL-4: queue an archive of the shop's data for the worker; one at a time."""
    view = load_shop(uow, who, now, shop_id, lock=True)
    require_shop_role(who, view.shop.seller_id, shop_id, MANAGERS, ())
    scope, fingerprint = (
        f"{who.party}:archives",
        request_hash("archive", shop_id, anonymize_customers),
    )
    if idempotency_key is not None:
        stored = replay(uow, scope, idempotency_key, fingerprint, str)
        if stored is not None:
            return _visible(uow, who, now, stored)
    running = uow.archives.open_for_shop(shop_id)
    if running is not None:
        raise Refused(
            "archive_running",
            f"shop {shop_id} has an archive {running.status} ({running.id}); "
            "wait until it is ready or failed",
            409,
            archive_id=running.id,
        )
    archive = Archive(
        id=new_ordered_id("arc"),
        shop_id=shop_id,
        status=ArchiveStatus.QUEUED,
        anonymize_customers=anonymize_customers,
        progress=0,
        created_at=now,
        created_by=who.actor,
    )
    uow.archives.add(archive)
    if idempotency_key is not None:
        uow.idempotency.put(scope, idempotency_key, fingerprint, archive.id, now)
    return archive


def get_archive(uow: UnitOfWork, who: Principal, now: datetime, archive_id: str) -> Archive:
    return _visible(uow, who, now, archive_id)


def archive_ready(uow: UnitOfWork, shop_id: str) -> bool:
    """The unlink checklist's `archive` check (UNL-6b): a ready archive of the shop."""
    return uow.archives.ready_for_shop(shop_id) is not None


@dataclass(frozen=True, slots=True)
class Download:
    archive: Archive
    path: Path
    filename: str


def download(
    uow: UnitOfWork, who: Principal, now: datetime, archive_id: str, *, store: ArchiveStore
) -> Download:
    """The zip of a ready archive; 404 until it is ready."""
    archive = _visible(uow, who, now, archive_id)
    if archive.status is not ArchiveStatus.READY:
        raise NotFound(f"archive {archive_id} is {archive.status.value}, not ready to download")
    path = store.path(archive.id)
    if path is None:  # the data folder lost it: start a new archive
        raise NotFound(f"archive {archive_id}'s file is no longer in the data folder")
    stamp = archive.created_at.strftime("%Y%m%dT%H%M%SZ")
    return Download(archive, path, f"{archive.shop_id}-archive-{stamp}.zip")


# -- the worker's job ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BuildReport:
    built: int = 0
    failed: int = 0


def build_due(
    uow_factory: UowFactory,
    read_factory: UowFactory,
    store: ArchiveStore,
    secret: str,
    now: Callable[[], datetime],
    limit: int = 1,
) -> BuildReport:
    """Build up to `limit` archives (see the module docstring). `read_factory` opens
    the read transaction the rows are read in; `now` is the clock."""
    built = failed = 0
    for _ in range(limit):
        archive = _claim(uow_factory, now())
        if archive is None:
            break
        writer: ArchiveWriter | None = None
        try:
            writer = store.writer(archive.id)  # its working folder (a full disk fails here)
            with read_factory() as source:
                manifest = _build(uow_factory, source, archive, writer, secret, now)
            files, size, digest = writer.finish(manifest)
        except _TakenOver:
            if writer is not None:
                writer.discard()
            continue
        except Exception as exc:
            if writer is not None:
                writer.discard()
            log.exception("archive failed", archive_id=archive.id)
            _finish(
                uow_factory,
                replace(
                    archive,
                    status=ArchiveStatus.FAILED,
                    finished_at=now(),
                    error=f"{type(exc).__name__}: {exc}"[:2000],
                ),
            )
            failed += 1
            continue
        done = replace(
            archive,
            status=ArchiveStatus.READY,
            progress=100,
            finished_at=now(),
            files=files,
            size=size,
            sha256=digest,
        )
        built += _finish(uow_factory, done)
    return BuildReport(built, failed)


class _TakenOver(Exception):
    """Another worker holds the archive now (this one's lease ran out)."""


def _claim(uow_factory: UowFactory, now: datetime) -> Archive | None:
    with uow_factory() as uow:
        archive = uow.archives.claim_due(now, now - LEASE)
        uow.commit()
    return archive


def _finish(uow_factory: UowFactory, archive: Archive) -> int:
    with uow_factory() as uow:
        if not uow.archives.finish(archive):
            return 0
        audit.record(
            uow,
            None,
            archive.finished_at or archive.created_at,
            f"archive.{archive.status.value}",
            target=f"archive:{archive.id}",
            shop_id=archive.shop_id,
            after={
                "status": archive.status.value,
                "files": len(archive.files),
                "sha256": archive.sha256,
                "error": archive.error,
            },
        )
        uow.commit()
    return 1


def _build(
    uow_factory: UowFactory,
    source: UnitOfWork,
    archive: Archive,
    writer: ArchiveWriter,
    secret: str,
    now: Callable[[], datetime],
) -> dict[str, Any]:
    rows: ArchiveRows = source.archive_rows
    shop_id = archive.shop_id
    anonymous = archive.anonymize_customers
    key = pseudonym_key(secret)
    cache: dict[str, str] = {}

    def customer(customer_id: str) -> str:
        found = cache.get(customer_id)
        if found is None:
            if len(cache) >= PSEUDONYM_CACHE:  # bounded memory, whatever the shop's size
                cache.clear()
            found = cache[customer_id] = pseudonym(key, shop_id, customer_id)
        return found

    taxes: shape.Taxes = {}
    sales: shape.Sales = {}
    done = 0

    def beat(progress: int) -> None:
        with uow_factory() as uow:
            held = uow.archives.heartbeat(archive, progress, now())
            uow.commit()
        if not held:
            raise _TakenOver(archive.id)

    def counted(index: int, batches: Iterable[Batch]) -> Iterator[Batch]:
        since = 0
        for batch in batches:
            yield batch
            since += len(batch)
            if since >= HEARTBEAT_ROWS:
                since = 0
                beat(int(100 * index / len(KINDS)))

    def put(name: str, batches: Iterable[Batch]) -> None:
        nonlocal done
        writer.write(KIND_BY_NAME[name], counted(done, batches))
        done += 1
        beat(min(99, int(100 * done / len(KINDS))))

    hide = customer if anonymous else None  # None: a plain archive keeps the ids
    put("orders", shape.orders(rows.orders(shop_id), hide, sales))
    put("sales_history", shape.events(rows.events(shop_id, tickets=False), hide, taxes))
    put("ledger_entries", rows.ledger(shop_id))
    put("listings", rows.listings(shop_id))
    put(
        "customers",
        shape.customers(rows.customers(shop_id, details=not anonymous), customer, anonymous),
    )
    put("tickets", shape.tickets(rows.events(shop_id, tickets=True), hide))
    put("customer_messages", shape.messages(rows.customer_messages(shop_id), customer, anonymous))
    put("notices", rows.notices(shop_id))
    put("tax_summary", shape.tax_summary(sales, taxes))
    view = load_shop(source, None, now(), shop_id)
    return {
        "format_version": FORMAT_VERSION,
        "archive_id": archive.id,
        "shop_id": shop_id,
        "generated_at": rfc3339(now()),
        "requested_at": rfc3339(archive.created_at),
        "anonymize_customers": anonymous,
        "policy_versions": [{"pack": view.policy.pack, "version": view.policy.version}],
        "times": "RFC 3339 UTC",
        "amounts": "integer minor units of the row's currency (amount_minor, spent_minor, "
        "sales_minor, tax_minor)",
        "pseudonyms": "keyed HMAC-SHA256 of the customer id: stable within the shop"
        if anonymous
        else None,
    }
