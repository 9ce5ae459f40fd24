"""Writing a shop data archive (UNL-4): CSV and Parquet by pyarrow, then one zip.

Batches arrive as Arrow record batches (or rows) and are written by
`pyarrow.csv.CSVWriter` and `pyarrow.parquet.ParquetWriter` (one row group per
batch), so memory holds a few batches, never a file. The writing runs on a thread of
the archive's own, behind the caller reading and shaping the next batches, and the
zipping on another: pyarrow's writers, zlib and SHA-256 let go of the GIL, so on two
cores they cost the caller little. Each kind's two files, once closed, are copied into
the zip in 1 MiB pieces (CSV deflated, Parquet stored: it is compressed already),
hashed on the way, and removed; the zip is renamed into place whole, so a reader never sees half an
archive.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pa_csv  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from depositdesk.domain.archives import ArchiveFile, Kind
from depositdesk.services.ports.archives import ArchiveWriter, Batch

_TYPES = {"string": pa.string(), "int64": pa.int64()}
_PIECE = 1024 * 1024
_ID = re.compile(r"arc_[0-9a-f]{20}")
IN_FLIGHT = 4  # batches handed to the writing thread and not yet written


def schema_of(kind: Kind) -> pa.Schema:
    return pa.schema([pa.field(name, _TYPES[type_]) for name, type_ in kind.columns])


def record_batch(schema: pa.Schema, rows: Batch) -> pa.RecordBatch:
    """A batch as one Arrow record batch of the schema: a record batch of the same
    columns as it is, or rows (tuples in the schema's column order) converted."""
    if isinstance(rows, pa.RecordBatch):
        return pa.record_batch(rows.columns, schema=schema)
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.record_batch(
        [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


class _KindFiles:
    """One kind's CSV and Parquet files while they are written (on the writing thread)."""

    def __init__(self, work: Path, kind: Kind, schema: pa.Schema) -> None:
        self.kind = kind
        self.csv_path = work / f"{kind.name}.csv"
        self.parquet_path = work / f"{kind.name}.parquet"
        self.csv = pa_csv.CSVWriter(str(self.csv_path), schema)
        self.parquet = pq.ParquetWriter(str(self.parquet_path), schema, compression="zstd")

    def write(self, batch: pa.RecordBatch) -> None:
        self.csv.write_batch(batch)
        self.parquet.write_batch(batch)

    def close(self) -> None:
        self.csv.close()
        self.parquet.close()


class ZipArchiveWriter:
    def __init__(self, folder: Path, archive_id: str) -> None:
        self.folder = folder
        self.archive_id = archive_id
        folder.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(dir=folder, prefix=f".{archive_id}-"))
        self.partial = self.work / "archive.zip"
        self.zip = zipfile.ZipFile(self.partial, "w", allowZip64=True)
        self.files: list[ArchiveFile] = []
        self.described: list[dict[str, Any]] = []
        self.thread = ThreadPoolExecutor(1, thread_name_prefix=f"write-{archive_id}")
        self.zipper = ThreadPoolExecutor(1, thread_name_prefix=f"zip-{archive_id}")
        self.zipping: list[Future[None]] = []  # one per kind, in the order written
        self.pending: deque[Future[None]] = deque()  # every task not yet seen done
        self.batches: deque[Future[None]] = deque()  # the batch writes among them

    def _later(self, task: Callable[..., None], *args: Any, holds_batch: bool = False) -> None:
        """Run `task` on the writing thread, in order. At most IN_FLIGHT batches wait
        (memory); closing and zipping a kind's files never hold up the caller, who
        goes on to read the next kind. A failed task's error is raised here, or by
        finish."""
        while self.pending and self.pending[0].done():
            self.pending.popleft().result()
        future = self.thread.submit(task, *args)
        self.pending.append(future)
        if holds_batch:
            self.batches.append(future)
            while len(self.batches) > IN_FLIGHT:
                self.batches.popleft().result()

    def _drain(self) -> None:
        while self.pending:
            self.pending.popleft().result()

    def write(self, kind: Kind, batches: Iterable[Batch]) -> None:
        schema = schema_of(kind)
        files = _KindFiles(self.work, kind, schema)
        rows = 0
        try:
            for batch in batches:
                record = record_batch(schema, batch)
                if record.num_rows:
                    self._later(files.write, record, holds_batch=True)
                    rows += record.num_rows
        finally:
            self._later(self._close_and_zip, files, rows)

    def _close_and_zip(self, files: _KindFiles, rows: int) -> None:
        """(On the writing thread.) Close the kind's files and hand them to the zipping
        thread, so the next kind's batches are written while these are compressed."""
        files.close()
        self.zipping.append(self.zipper.submit(self._zip_kind, files, rows))

    def _zip_kind(self, files: _KindFiles, rows: int) -> None:
        kind = files.kind
        for fmt, path in (("csv", files.csv_path), ("parquet", files.parquet_path)):
            name = f"{kind.name}.{fmt}"
            method = zipfile.ZIP_DEFLATED if fmt == "csv" else zipfile.ZIP_STORED
            digest, size = _copy_into(self.zip, path, name, method)
            path.unlink()
            self.files.append(ArchiveFile(name, kind.name, fmt, rows, digest, size))
            self.described.append(
                {
                    "name": name,
                    "kind": kind.name,
                    "format": fmt,
                    "holds": kind.holds,
                    "columns": [{"name": c, "type": t} for c, t in kind.columns],
                    "rows": rows,
                    "sha256": digest,
                    "bytes": size,
                }
            )

    def finish(self, manifest: dict[str, Any]) -> tuple[tuple[ArchiveFile, ...], int, str]:
        self._drain()
        self.thread.shutdown()
        for zipped in self.zipping:
            zipped.result()
        self.zipper.shutdown()
        target = self.folder / f"{self.archive_id}.zip"
        document = {**manifest, "files": self.described}
        self.zip.writestr(
            "manifest.json",
            json.dumps(document, indent=2, ensure_ascii=False) + "\n",
            compress_type=zipfile.ZIP_DEFLATED,
        )
        self.zip.close()
        whole = hashlib.sha256()
        with self.partial.open("rb") as f:
            while piece := f.read(_PIECE):
                whole.update(piece)
        size = self.partial.stat().st_size
        os.replace(self.partial, target)
        shutil.rmtree(self.work, ignore_errors=True)
        return tuple(self.files), size, whole.hexdigest()

    def discard(self) -> None:
        self.thread.shutdown(wait=True, cancel_futures=True)
        self.zipper.shutdown(wait=True, cancel_futures=True)
        self.pending.clear()
        self.batches.clear()
        with contextlib.suppress(ValueError):  # a file was being zipped when it failed
            self.zip.close()
        shutil.rmtree(self.work, ignore_errors=True)


def _copy_into(zf: zipfile.ZipFile, path: Path, name: str, method: int) -> tuple[str, int]:
    digest = hashlib.sha256()
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = method
    if method == zipfile.ZIP_DEFLATED:
        info._compresslevel = 1  # type: ignore[attr-defined]
    size = 0
    with path.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
        while piece := src.read(_PIECE):
            digest.update(piece)
            dst.write(piece)
            size += len(piece)
    return digest.hexdigest(), size


class LocalArchiveStore:
    """Archives at `<data_dir>/archives/<archive id>.zip`."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "archives"

    def writer(self, archive_id: str) -> ArchiveWriter:
        return ZipArchiveWriter(self.folder, self._checked(archive_id))

    def path(self, archive_id: str) -> Path | None:
        path = self.folder / f"{self._checked(archive_id)}.zip"
        return path if path.is_file() else None

    @staticmethod
    def _checked(archive_id: str) -> str:
        if not _ID.fullmatch(archive_id):  # no id reaches outside the folder
            raise ValueError(f"not an archive id: {archive_id!r}")
        return archive_id
