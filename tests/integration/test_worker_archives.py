"""UNL-4 with the worker: building a large archive takes tens of seconds, and the
worker's rounds (due timers, payouts, notice emails) must not wait for it."""

from __future__ import annotations

import threading
import time

import pytest

from depositdesk.bootstrap import App
from depositdesk.entrypoints import worker


def test_unl4_rounds_go_on_while_an_archive_is_being_built(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    building, release = threading.Event(), threading.Event()

    def slow_archive(application: App, limit: int = 1) -> int:
        building.set()
        release.wait(10)  # an archive that takes as long as the test lets it
        return 0

    rounds: list[bool] = []
    real_tick = worker.tick

    def counted(application: App, archives_too: bool = True) -> worker.Tick:
        rounds.append(archives_too)
        return real_tick(application, archives_too=archives_too)

    monkeypatch.setattr(worker, "build_archives", slow_archive)
    monkeypatch.setattr(worker, "tick", counted)
    stop = threading.Event()
    loop = threading.Thread(target=worker.run, args=(app, stop, 0.01))
    loop.start()
    try:
        assert building.wait(5)
        before = len(rounds)
        time.sleep(0.5)
        assert len(rounds) >= before + 3  # rounds went on while the archive was building
        assert rounds and not any(rounds)  # and none of them built archives itself
    finally:
        release.set()
        stop.set()
        loop.join(10)
    assert not loop.is_alive()
