"""Fixtures of the integration tests: a real SMTP server (aiosmtpd) on loopback, and
the worker processes a test starts (tests/integration/worker_process.py)."""

from __future__ import annotations

import email
import email.message
import email.policy
import socket
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{controller.port}", inbox
    finally:
        controller.stop()


@pytest.fixture
def spawned() -> Iterator[list[subprocess.Popen[str]]]:
    """Worker processes of a test: any still running at its end is killed."""
    workers: list[subprocess.Popen[str]] = []
    yield workers
    for worker in workers:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=30)
        for pipe in (worker.stdin, worker.stdout, worker.stderr):
            if pipe is not None and not pipe.closed:
                pipe.close()
