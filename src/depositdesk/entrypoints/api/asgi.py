"""ASGI factory for `uvicorn --factory depositdesk.entrypoints.api.asgi:create`."""

from __future__ import annotations

from fastapi import FastAPI

from depositdesk.bootstrap import build
from depositdesk.entrypoints.api.app import create_app
from depositdesk.entrypoints.logging import configure


def create() -> FastAPI:
    app = build()
    configure(app.settings.log_level, app.settings.log_json)
    return create_app(app)
