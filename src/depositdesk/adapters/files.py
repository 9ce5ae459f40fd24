"""Files (archives, attachments): a content-addressed store on the local disk."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO

from depositdesk.domain.gateway_messages import StoredFile

_KEY = re.compile(r"[0-9a-f]{64}")


class LocalFileStore:
    """Each file lives at `<root>/<ab>/<cd>/<sha256>`, named by the hex SHA-256 of its
    bytes: the same content is stored once, and a stored file is never changed.

    Writes go to a temporary file in the target folder, are flushed to disk and
    then renamed into place, so a reader never sees half a file. Keys that are not
    a lowercase hex SHA-256 are refused, so no key can reach outside `root`.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, data: bytes) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
            try:
                with os.fdopen(fd, "wb") as file:
                    file.write(data)
                    file.flush()
                    os.fsync(file.fileno())
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temporary)
                raise
        return StoredFile(digest, len(data))

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def read(self, key: str) -> bytes:
        with self.open(key) as file:
            return file.read()

    def _path(self, key: str) -> Path:
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"not a file key (a hex SHA-256): {key!r}")
        return self.root / key[:2] / key[2:4] / key
