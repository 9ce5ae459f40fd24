"""The archive job's claim (UNL-4): several workers never build one archive twice, a
dead worker's archive is taken over when its lease runs out, and a stale worker's
writes miss — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from depositdesk.adapters.archive_writer import LocalArchiveStore
from depositdesk.bootstrap import App
from depositdesk.domain.archives import ArchiveStatus
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.worker import build_archives
from depositdesk.services import archives
from depositdesk.services.access import Principal, Role
from depositdesk.services.usecase import run
from tests.builders import ev, placed
from tests.conftest import Api

OWNER = Principal("t-owner", Role.OWNER, "s1", "owner of s1")


@pytest.fixture
def queued(app: App, api: Api) -> str:
    api.seller("s1")
    api.shop("shop1", "s1")
    api.events(
        placed("e1", "o1", "2026-02-01T10:00:00Z"),
        ev("e2", "order.shipped", "2026-02-02T10:00:00Z", order_id="o1"),
    )
    made = run(
        app, archives.start_archive, OWNER, app.clock.now(), "shop1", anonymize_customers=True
    )
    return made.id


def _status(app: App, archive_id: str) -> archives.Archive:
    with app.uow(read_only=True) as uow:
        found = uow.archives.get(archive_id)
    assert found is not None
    return found


def test_two_workers_build_one_archive_once(app: App, queued: str) -> None:
    """UNL-4: workers racing for one queued archive: one builds it, the other finds
    nothing to do (PostgreSQL: SKIP LOCKED; SQLite: one writer at a time)."""
    results: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            results.append(build_archives(app))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(results) == [0, 1]
    archive = _status(app, queued)
    assert archive.status is ArchiveStatus.READY and archive.attempts == 1
    folder = Path(app.settings.data_dir) / "archives"
    assert [p.name for p in folder.iterdir()] == [f"{queued}.zip"]  # no leftovers


def test_a_dead_workers_archive_is_taken_over_after_its_lease(
    app: App, clock: FixedClock, queued: str
) -> None:
    """A worker that claimed an archive and died: once its lease ran out another worker
    claims it (a new attempt); the dead one's late heartbeat and finish change
    nothing."""
    now = clock.now()
    with app.uow() as uow:
        first = uow.archives.claim_due(now, now - archives.LEASE)
        uow.commit()
    assert first is not None and first.attempts == 1
    with app.uow() as uow:
        assert uow.archives.claim_due(now, now - archives.LEASE) is None  # leased
        uow.commit()
    clock.advance(archives.LEASE + timedelta(seconds=1))
    assert build_archives(app) == 1  # the second worker takes it over and builds it
    taken = _status(app, queued)
    assert taken.status is ArchiveStatus.READY and taken.attempts == 2
    with app.uow() as uow:
        assert uow.archives.heartbeat(first, 50, clock.now()) is False
        late = replace(first, status=ArchiveStatus.FAILED, error="late", finished_at=now)
        assert uow.archives.finish(late) is False
        uow.commit()
    assert _status(app, queued).status is ArchiveStatus.READY


def test_a_failed_build_is_recorded_and_a_new_archive_may_start(
    app: App, queued: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A build that raises: the archive is `failed` with the error, its working files
    are gone, and the shop may ask again."""

    def broken(self: object, kind: object, batches: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("depositdesk.adapters.archive_writer.ZipArchiveWriter.write", broken)
    assert build_archives(app) == 1
    failed = _status(app, queued)
    assert failed.status is ArchiveStatus.FAILED and failed.error == "OSError: disk full"
    store = LocalArchiveStore(Path(app.settings.data_dir))
    assert store.path(queued) is None
    assert list(store.folder.iterdir()) == []
    again = run(
        app, archives.start_archive, OWNER, app.clock.now(), "shop1", anonymize_customers=False
    )
    assert again.status is ArchiveStatus.QUEUED
