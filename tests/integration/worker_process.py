"""A worker in an OS process of its own, for the tests that need real processes
(two workers racing, a worker killed with SIGKILL).

    python -m tests.integration.worker_process --now 2026-04-08T09:00:00+00:00 \\
        (--timers | --round) [--wait]

It reads DEPOSITDESK_DATABASE_URL and DEPOSITDESK_SMTP_URL like `depositdesk worker`
and fixes the clock at `--now`, so a test decides what is due. `--timers` runs
`services/timers.run_due` (the timers half of a round); `--round` runs one whole
worker round, `entrypoints/worker.tick` (timers, then the outbox). `--wait` prints
`ready` once connected and waits for a line on stdin before it starts, so a test can
start several at the same moment. The result is the last stdout line, `result {json}`;
logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import datetime

import structlog
from sqlalchemy import Engine, text

from depositdesk.bootstrap import build
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.worker import tick
from depositdesk.services.timers import run_due
from depositdesk.settings import Settings

RESULT = "result "


def database_url(engine: Engine) -> str:
    """The URL another process uses to reach `engine`'s database: for PostgreSQL with
    the test schema as its search_path (tests/conftest.py sets it per connection)."""
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name != "postgresql":
        return url
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.integration.worker_process")
    parser.add_argument("--now", type=datetime.fromisoformat, required=True)
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--timers", action="store_true", help="run_due only")
    what.add_argument("--round", action="store_true", help="one worker round (tick)")
    parser.add_argument("--wait", action="store_true", help="wait for a line on stdin")
    args = parser.parse_args(argv)

    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    app = build(Settings(), clock=FixedClock(args.now))
    with app.engine.connect():  # connected before `ready`
        pass
    if args.wait:
        print("ready", flush=True)
        sys.stdin.readline()
    if args.timers:
        result: dict[str, int] = {"timers": run_due(app.uow, args.now)}
    else:
        result = asdict(tick(app))
    print(RESULT + json.dumps(result), flush=True)


def result_of(stdout: str) -> dict[str, int]:
    """The result a finished worker process printed."""
    last = stdout.strip().splitlines()[-1]
    assert last.startswith(RESULT), stdout
    parsed: dict[str, int] = json.loads(last.removeprefix(RESULT))
    return parsed


if __name__ == "__main__":
    main()
