"""ASGI factory for `uvicorn --factory depositdesk.entrypoints.api.asgi:create`."""

from __future__ import annotations

import gc

from fastapi import FastAPI

from depositdesk.bootstrap import build
from depositdesk.entrypoints.api.app import create_app
from depositdesk.entrypoints.logging import configure


def create() -> FastAPI:
    app = build()
    configure(app.settings.log_level, app.settings.log_json)
    api = create_app(app)
    settle_the_heap()
    return api


def settle_the_heap() -> None:
    """Move what the process made to start (modules, tables, routes, schemas: some
    280,000 objects, all living as long as the process) out of the garbage collector's
    reach. A full collection walks every tracked object: about 150 ms on the 2-core
    machine, during which no request of the process moves, and under load it came
    every few seconds — the slowest percent of answers (issue 9). Frozen, they are
    never walked again; what requests make is collected as before."""
    gc.collect()
    gc.freeze()
