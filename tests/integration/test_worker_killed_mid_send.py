"""The outbox across a crash (services/outbox.py "Crashes"): a worker process killed
with SIGKILL after the SMTP server received a notice's email but before the row was
marked sent. A worker restarted after the lease sends it again with the same
Message-ID; the receiver sees that id at most twice, never another one; the row ends
sent; nothing is lost (SQLite and PostgreSQL, real SMTP, real processes).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from threading import Event
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select

from depositdesk.adapters.db.tables import outbox
from depositdesk.bootstrap import build
from depositdesk.domain.clock import FixedClock
from depositdesk.services import policies
from depositdesk.services.outbox import LEASE, send_due
from depositdesk.services.usecase import run
from depositdesk.settings import Settings
from tests.conftest import ADMIN, START
from tests.integration.conftest import Inbox, free_port
from tests.integration.worker_process import database_url, go, result_of, spawn
from tests.ladder_shops import ladder_seller, template_shop


class StallingInbox(Inbox):
    """Keeps every message; its answer to the first one waits until `release` is set,
    so the sender is stuck between sending and recording (and is killed there)."""

    def __init__(self) -> None:
        super().__init__()
        self.first_received = Event()
        self.release = Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if not self.first_received.is_set():
            self.first_received.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        return answer


@pytest.fixture
def stalling_smtp() -> Iterator[tuple[str, StallingInbox]]:
    inbox = StallingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", inbox
    finally:
        inbox.release.set()
        controller.stop()


def _worker_round(
    spawned: list[subprocess.Popen[str]], db_url: str, smtp_url: str, now: datetime
) -> subprocess.Popen[str]:
    """`tick` (one worker round) in its own process, the clock at `now`; it starts
    when `go` tells it (so its start-up overlaps the test's other steps)."""
    return spawn(spawned, db_url, now, "--round", "--wait", env={"DEPOSITDESK_SMTP_URL": smtp_url})


def test_dep5_notice_email_survives_sigkill_between_send_and_mark(
    engine: Engine,
    tmp_path: Path,
    stalling_smtp: tuple[str, StallingInbox],
    spawned: list[subprocess.Popen[str]],
) -> None:
    smtp_url, inbox = stalling_smtp
    settings = Settings(database_url=str(engine.url), smtp_url=smtp_url, data_dir=tmp_path)
    app = build(settings, clock=FixedClock(START), engine=engine)
    run(app, policies.ensure_default_packs, ADMIN, START)
    ladder_seller(app, START)
    template_shop(app, START, "shop1")  # under-funded: a top-up notice and its email
    with engine.connect() as conn:
        [row_id] = conn.execute(select(outbox.c.id)).scalars().all()
    with app.uow() as uow:
        row = uow.outbox.get(row_id)
    assert row is not None and row.channel == "email" and row.pending and row.attempts == 0
    url = database_url(engine)

    after = START + LEASE + timedelta(seconds=1)
    first = _worker_round(spawned, url, smtp_url, START)
    second = _worker_round(spawned, url, smtp_url, after)  # the restarted worker, once told

    # 1. A worker sends the email; the server has it, the worker waits for its answer
    #    and is killed there: the row was leased (claimed), never marked.
    go(first)
    assert inbox.first_received.wait(timeout=90), "the first worker sent nothing"
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)
    inbox.release.set()
    assert first.returncode == -signal.SIGKILL
    assert len(inbox.messages) == 1
    with app.uow() as uow:
        leased = uow.outbox.get(row.id)
    assert leased is not None
    assert (leased.attempts, leased.sent_at, leased.failed_at) == (1, None, None)
    assert leased.available_at == START + LEASE

    # 2. Within the lease no worker takes it again.
    assert send_due(app.uow, app.gateways, START + LEASE - timedelta(seconds=1)).claimed == 0
    assert len(inbox.messages) == 1

    # 3. A worker restarted after the lease sends it again, and records it.
    go(second)
    out, err = second.communicate(timeout=90)
    assert second.returncode == 0, err
    assert result_of(out)["sent"] == 1

    ids = [str(m["Message-ID"]) for m in inbox.messages]
    assert len(ids) <= 2 and set(ids) == {f"<{row.id}@depositdesk>"}, ids
    assert len(ids) == 2  # the first copy did arrive before the kill
    with app.uow() as uow:
        sent = uow.outbox.get(row.id)
        assert uow.outbox.pending_count() == 0
    with engine.connect() as conn:  # still one row for the notice: nothing lost or added
        assert conn.execute(select(outbox.c.id)).scalars().all() == [row.id]
    assert sent is not None
    assert (sent.sent_at, sent.attempts, sent.failed_at) == (after, 2, None)

    # 4. Never a third time.
    assert send_due(app.uow, app.gateways, after + LEASE * 2).claimed == 0
    assert len(inbox.messages) == 2
