"""Fixtures of the API tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from depositdesk.bootstrap import App, build
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.api.app import create_app
from depositdesk.services import policies
from depositdesk.services.tokens import create_token
from depositdesk.services.usecase import run
from depositdesk.settings import Settings
from tests.conftest import ADMIN, Api, TokenFactory


@pytest.fixture
def sandbox(engine: Engine, tmp_path: Path) -> Iterator[tuple[TestClient, dict, dict]]:
    app = build(Settings(database_url=str(engine.url), sandbox=True), engine=engine)
    run(app, policies.ensure_default_packs, ADMIN, app.now_refreshed())
    admin = run(app, create_token, ADMIN, app.now_refreshed(), role="platform_admin").token
    integ = run(app, create_token, ADMIN, app.now_refreshed(), role="integration").token
    with TestClient(create_app(app)) as client:
        yield client, {"Authorization": f"Bearer {admin}"}, {"Authorization": f"Bearer {integ}"}


# The app with the sandbox bank (payouts settle on the test clock), and an API client
# with a token factory for it: the refund journey and the audit tests drive it.
@pytest.fixture
def bank_app(engine: Engine, clock: FixedClock, tmp_path: Path) -> App:
    settings = Settings(
        database_url=str(engine.url), data_dir=tmp_path / "data", payout_gateway="sandbox"
    )
    application = build(settings, clock=clock, engine=engine)
    run(application, policies.ensure_default_packs, ADMIN, clock.now())
    return application


@pytest.fixture
def journey(bank_app: App) -> Iterator[tuple[App, Api, TokenFactory]]:
    def auth(role: str, seller: str | None = None) -> dict[str, str]:
        issued = run(
            bank_app, create_token, ADMIN, bank_app.clock.now(), role=role, seller_id=seller
        )
        return {"Authorization": f"Bearer {issued.token}"}

    with TestClient(create_app(bank_app)) as client:
        yield bank_app, Api(client, auth), auth
