"""A worker in an OS process of its own, for the tests that need real processes
(two workers racing, a worker killed with SIGKILL).

    python -m tests.integration.worker_process --now 2026-04-08T09:00:00+00:00 \\
        (--timers | --round | --payouts [--hold-after-send]) [--wait]

It reads DEPOSITDESK_DATABASE_URL, DEPOSITDESK_SMTP_URL and DEPOSITDESK_PAYOUT_GATEWAY
like `depositdesk worker` and fixes the clock at `--now`, so a test decides what is
due. `--timers` runs `services/timers.run_due` (the timers half of a round);
`--round` runs one whole worker round, `entrypoints/worker.tick` (timers, payouts,
then the outbox); `--payouts` runs `services/payouts.send_due` (the payouts part).
`--hold-after-send` (with `--payouts`) lets the payout gateway take the first payout,
then prints `sent <payout key>` and sleeps before `send_due` can record it: the
process is between "payout sent" and "recorded", for a test to kill it there.
`--wait` prints `ready` once connected and waits for a line on stdin before it
starts, so a test can start several at the same moment. The result is the last
stdout line, `result {json}`; logs go to stderr.

`spawn` starts one from a test (with the `spawned` fixture of
tests/integration/conftest.py, which kills what is left), `go` starts a waiting one.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, replace
from datetime import datetime
from pathlib import Path

import structlog
from sqlalchemy import Engine, text

from depositdesk.bootstrap import build
from depositdesk.domain.clock import FixedClock
from depositdesk.domain.gateway_messages import PayoutInstruction, PayoutReceipt
from depositdesk.entrypoints.worker import tick
from depositdesk.services import payouts
from depositdesk.services.ports.gateways import PayoutGateway
from depositdesk.services.timers import run_due
from depositdesk.settings import Settings

RESULT = "result "
SENT = "sent "
ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "tests.integration.worker_process"]
HOLD_SECONDS = 600.0  # far longer than a test waits; the test kills it first


class HoldAfterSend:
    """The real payout gateway; once it has taken a payout, `sent <key>` on stdout and
    a long sleep, so the payout stays unrecorded (`sending`) until the process dies."""

    def __init__(self, inner: PayoutGateway) -> None:
        self.inner = inner

    def send(self, instruction: PayoutInstruction) -> PayoutReceipt:
        receipt = self.inner.send(instruction)
        print(SENT + instruction.payout_key, flush=True)
        time.sleep(HOLD_SECONDS)
        return receipt


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
    what.add_argument("--payouts", action="store_true", help="payouts.send_due only")
    parser.add_argument(
        "--hold-after-send", action="store_true", help="--payouts: stop after the first send"
    )
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
    elif args.payouts:
        banks = app.gateways
        if args.hold_after_send:
            banks = replace(banks, payouts=HoldAfterSend(banks.payouts))
        result = asdict(payouts.send_due(app.uow, banks, args.now))
    else:
        result = asdict(tick(app))
    print(RESULT + json.dumps(result), flush=True)


def spawn(
    spawned: list[subprocess.Popen[str]],
    db_url: str,
    now: datetime,
    *flags: str,
    env: dict[str, str] | None = None,
) -> subprocess.Popen[str]:
    """`python -m tests.integration.worker_process --now NOW FLAGS…` on `db_url`, with
    the test's environment minus its DEPOSITDESK_ settings, plus `env`; kept in
    `spawned` (the fixture kills it if the test does not end it)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DEPOSITDESK_")}
    worker = subprocess.Popen(
        [*COMMAND, "--now", now.isoformat(), *flags],
        cwd=ROOT,
        env={**clean, "DEPOSITDESK_DATABASE_URL": db_url, **(env or {})},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    spawned.append(worker)
    return worker


def go(worker: subprocess.Popen[str]) -> None:
    """Start a worker spawned with `--wait`, once it says it is connected."""
    assert worker.stdin is not None and worker.stdout is not None
    assert worker.stdout.readline().strip() == "ready"
    worker.stdin.write("go\n")
    worker.stdin.flush()


def result_of(stdout: str) -> dict[str, int]:
    """The result a finished worker process printed."""
    last = stdout.strip().splitlines()[-1]
    assert last.startswith(RESULT), stdout
    parsed: dict[str, int] = json.loads(last.removeprefix(RESULT))
    return parsed


if __name__ == "__main__":
    main()
