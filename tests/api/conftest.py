"""Fixtures of the API tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from depositdesk.bootstrap import build
from depositdesk.entrypoints.api.app import create_app
from depositdesk.services import policies
from depositdesk.services.tokens import create_token
from depositdesk.services.usecase import run
from depositdesk.settings import Settings
from tests.conftest import ADMIN


@pytest.fixture
def sandbox(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, dict, dict]]:
    app = build(Settings(database_url=str(engine.url), sandbox=True), engine=engine)
    run(app, policies.ensure_default_packs, ADMIN, app.now_refreshed())
    admin = run(app, create_token, ADMIN, app.now_refreshed(), role="platform_admin").token
    integ = run(app, create_token, ADMIN, app.now_refreshed(), role="integration").token
    with TestClient(create_app(app)) as client:
        yield client, {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {integ}"}
