"""Writing a shop data archive (UNL-4): CSV and Parquet by pyarrow, then one zip.

Rows arrive in batches and leave as Arrow record batches through
`pyarrow.csv.CSVWriter` and `pyarrow.parquet.ParquetWriter` (one row group per
batch), so memory holds a batch, never a file. The files are written to a working
folder, then copied into the zip in 1 MiB pieces, hashed on the way; the zip is
renamed into place whole, so a reader never sees half an archive.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
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


def schema_of(kind: Kind) -> pa.Schema:
    return pa.schema([pa.field(name, _TYPES[type_]) for name, type_ in kind.columns])


def record_batch(schema: pa.Schema, rows: Batch) -> pa.RecordBatch:
    """Rows (tuples in the schema's column order) as one Arrow record batch."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in schema]
    return pa.record_batch(
        [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


class ZipArchiveWriter:
    def __init__(self, folder: Path, archive_id: str) -> None:
        self.folder = folder
        self.archive_id = archive_id
        folder.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(dir=folder, prefix=f".{archive_id}-"))
        self.written: list[tuple[Kind, str, int]] = []  # kind, format, rows

    def write(self, kind: Kind, batches: Iterable[Batch]) -> None:
        schema = schema_of(kind)
        rows = 0
        csv_path = self.work / f"{kind.name}.csv"
        parquet_path = self.work / f"{kind.name}.parquet"
        with (
            pa_csv.CSVWriter(str(csv_path), schema) as csv_out,
            pq.ParquetWriter(str(parquet_path), schema, compression="zstd") as parquet_out,
        ):
            for rows_batch in batches:
                if not rows_batch:
                    continue
                batch = record_batch(schema, rows_batch)
                csv_out.write_batch(batch)
                parquet_out.write_batch(batch)
                rows += batch.num_rows
        self.written.append((kind, "csv", rows))
        self.written.append((kind, "parquet", rows))

    def finish(self, manifest: dict[str, Any]) -> tuple[tuple[ArchiveFile, ...], int, str]:
        target = self.folder / f"{self.archive_id}.zip"
        partial = self.work / "archive.zip"
        files: list[ArchiveFile] = []
        described: list[dict[str, Any]] = []
        # CSV compresses well and cheaply at level 1; Parquet is compressed already.
        with zipfile.ZipFile(partial, "w", allowZip64=True) as zf:
            for kind, fmt, rows in self.written:
                name = f"{kind.name}.{fmt}"
                method = zipfile.ZIP_DEFLATED if fmt == "csv" else zipfile.ZIP_STORED
                digest, size = _copy_into(zf, self.work / name, name, method)
                files.append(ArchiveFile(name, kind.name, fmt, rows, digest, size))
                described.append(
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
            document = {**manifest, "files": described}
            zf.writestr(
                "manifest.json",
                json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                compress_type=zipfile.ZIP_DEFLATED,
            )
        whole = hashlib.sha256()
        with partial.open("rb") as f:
            while piece := f.read(_PIECE):
                whole.update(piece)
        size = partial.stat().st_size
        os.replace(partial, target)
        shutil.rmtree(self.work, ignore_errors=True)
        return tuple(files), size, whole.hexdigest()

    def discard(self) -> None:
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
