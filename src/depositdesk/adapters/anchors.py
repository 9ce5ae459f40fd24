"""The audit anchors as files: `DEPOSITDESK_DATA_DIR/audit-anchors/<YYYY-MM-DD>.txt`,
each `<seq> <hash>` of the chain's head at that day's end (AUD-1)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from depositdesk.domain.audit import Anchor

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class FileAnchorStore:
    def __init__(self, data_dir: Path) -> None:
        self.folder = Path(data_dir) / "audit-anchors"

    def _path(self, day: str) -> Path:
        if not _DAY.match(day):
            raise ValueError(f"not a day: {day!r}")
        return self.folder / f"{day}.txt"

    def has(self, day: str) -> bool:
        return self._path(day).exists()

    def write(self, anchor: Anchor) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(anchor.day)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(anchor.line(), encoding="utf-8")
        try:
            # A link fails when the day's file exists: the first anchor of a day stays.
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink(missing_ok=True)

    def all(self) -> list[Anchor]:
        if not self.folder.is_dir():
            return []
        anchors = []
        for path in sorted(self.folder.glob("*.txt")):
            day = path.stem
            if _DAY.match(day):
                anchors.append(Anchor.parse(day, path.read_text(encoding="utf-8")))
        return anchors
