"""Ports of the shop data archive (UNL-4): its records, the shop's rows to archive,
and the writer of the zip."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from depositdesk.domain.archives import Archive, ArchiveFile, Kind

Row = tuple[Any, ...]
# A batch of rows in a kind's column order: an Arrow record batch (pyarrow.RecordBatch,
# as ArchiveRows reads them), or a sequence of row tuples (what a shape made row by row).
Batch = Any


class ArchiveRepository(Protocol):
    def add(self, archive: Archive) -> None: ...

    def get(self, archive_id: str) -> Archive | None: ...

    def open_for_shop(self, shop_id: str) -> Archive | None:
        """A queued or running archive of the shop (at most one)."""
        ...

    def ready_for_shop(self, shop_id: str) -> Archive | None:
        """The newest ready archive of the shop."""
        ...

    def claim_due(self, now: datetime, lease_started_before: datetime) -> Archive | None:
        """The next archive to build, marked running with a new lease (attempts + 1):
        a running one whose lease ran out first, else the oldest queued; PostgreSQL
        skips rows another worker holds."""
        ...

    def heartbeat(self, archive: Archive, progress: int, now: datetime) -> bool:
        """Progress and a fresh lease, only while `archive` (its attempt) still holds
        the claim; False when another worker took it over."""
        ...

    def finish(self, archive: Archive) -> bool:
        """Store a ready or failed archive, only while its attempt holds the claim."""
        ...


class ArchiveRows(Protocol):
    """The shop's data as Arrow record batches, all read in one snapshot (streamed:
    bounded memory whatever the shop's size). Times are RFC 3339 UTC text, as the
    files hold them; columns are named as the kind's."""

    def orders(self, shop_id: str) -> Iterator[Batch]:
        """Rows of the `orders` kind, `customer` the customer's own id."""
        ...

    def events(self, shop_id: str, *, tickets: bool) -> Iterator[Batch]:
        """(event_id, type, occurred_at, received_at, data JSON), oldest first: the
        ticket events, or every other event."""
        ...

    def ledger(self, shop_id: str) -> Iterator[Batch]: ...

    def listings(self, shop_id: str) -> Iterator[Batch]: ...

    def customers(self, shop_id: str, *, details: bool) -> Iterator[Batch]:
        """(customer id, currency, orders, spent_minor, first, last, data JSON of the
        latest order.placed event or None when `details` is False)."""
        ...

    def customer_messages(self, shop_id: str) -> Iterator[Batch]:
        """(unlink_id, kind, customer id / order id / ticket id, email, sent_at)."""
        ...

    def notices(self, shop_id: str) -> Iterator[Batch]: ...


class ArchiveWriter(Protocol):
    """Writes one archive's files, then the zip (adapters/archive_writer.py)."""

    def write(self, kind: Kind, batches: Iterable[Batch]) -> None:
        """The kind's CSV and Parquet files, from rows in its column order (a file
        with only its header when there are none)."""
        ...

    def finish(self, manifest: dict[str, Any]) -> tuple[tuple[ArchiveFile, ...], int, str]:
        """Zip the files with `manifest.json` (the given fields and the file list);
        return the files, the zip's size and its SHA-256."""
        ...

    def discard(self) -> None:
        """Remove what was written (a failed build)."""
        ...


class ArchiveStore(Protocol):
    def writer(self, archive_id: str) -> ArchiveWriter: ...

    def path(self, archive_id: str) -> Path | None:
        """The ready zip of an archive, or None if it is not on disk."""
        ...
