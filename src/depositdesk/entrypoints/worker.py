"""The background worker: due timers, then the outbox (architecture.md "The worker").

`depositdesk worker` runs it alone (several may run against one PostgreSQL);
`depositdesk serve` and `demo` on SQLite run the same loop in a thread of their own
process. Each tick asks the clock for now, so the sandbox clock's moves count.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from functools import partial

import structlog

from depositdesk.adapters.anchors import FileAnchorStore
from depositdesk.adapters.archive_writer import LocalArchiveStore
from depositdesk.bootstrap import App
from depositdesk.services import archives, audit_trail, payouts, unlink_actions
from depositdesk.services.outbox import send_due
from depositdesk.services.timers import run_due

log = structlog.get_logger("depositdesk.worker")


@dataclass(frozen=True, slots=True)
class Tick:
    timers: int  # timers that ran
    sent: int  # outbox messages sent
    retrying: int
    failed: int
    payouts: int = 0  # payouts the gateway took: refunds (REF-6), proceeds resent (UNL-2)
    archives: int = 0  # shop data archives built (UNL-4)


def tick(app: App, archives_too: bool = True) -> Tick:
    """One round: every timer due now, then the payouts and the outbox messages due now
    (payouts first: a payout's notices go out in the same round), then an archive due
    unless `archives_too` is false (the long-running loop builds them on a thread of
    their own)."""
    now = app.now_refreshed()
    timers = run_due(app.uow, now)
    paid = payouts.send_due(app.uow, app.gateways, now)
    # UNL-2: proceeds withdrawals the gateway did not take, sent again with their key.
    resent = unlink_actions.resend_withdrawals(app, app.gateways.payouts, now)
    report = send_due(app.uow, app.gateways, now)
    built = build_archives(app) if archives_too else 0
    # AUD-1: the head of the audit chain at the last day's end, once a day, last.
    audit_trail.anchor_due(app, FileAnchorStore(app.settings.data_dir), now)
    return Tick(timers, report.sent, report.retrying, report.failed, paid.sent + resent, built)


def build_archives(app: App, limit: int = 1) -> int:
    """Shop data archives due (UNL-4): claimed with a lease, so several workers never
    build one archive twice; the rows are read in one read transaction."""
    report = archives.build_due(
        app.uow,
        partial(app.uow, read_only=True),
        LocalArchiveStore(app.settings.data_dir),
        app.settings.secret_key,
        app.clock.now,
        limit=limit,
    )
    return report.built + report.failed


def run(app: App, stop: threading.Event, interval: float = 1.0) -> None:
    """Tick every `interval` seconds until `stop` is set; an error in one round is
    logged and the next round goes on. Archives are built on a thread of their own: one
    of 1,000,000 orders takes about ten seconds, which timers, payouts and notices must
    not wait for (its rows are read in a read transaction, which takes no write lock)."""
    # A daemon: stopping the worker does not wait for an archive half built; its lease
    # runs out and a worker builds it again (services/archives.py).
    archiver = threading.Thread(
        target=_archive_loop,
        args=(app, stop, interval),
        name="depositdesk-archives",
        daemon=True,
    )
    archiver.start()
    try:
        while not stop.is_set():
            try:
                done = tick(app, archives_too=False)
                if done.timers or done.sent or done.retrying or done.failed:
                    log.info("worker round", **asdict(done))
            except Exception:
                log.exception("worker round failed")
            stop.wait(interval)
    finally:
        stop.set()
        archiver.join(timeout=2 * interval)


def _archive_loop(app: App, stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        try:
            if build_archives(app):
                log.info("archive round", archives=1)
                continue  # another may be queued: look again at once
        except Exception:
            log.exception("archive round failed")
        stop.wait(interval)


def start_in_background(app: App, interval: float = 1.0) -> threading.Event:
    """The loop in a daemon thread of this process (serve and demo on SQLite); set the
    returned event to stop it."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run, args=(app, stop, interval), name="depositdesk-worker", daemon=True
    )
    thread.start()
    return stop
