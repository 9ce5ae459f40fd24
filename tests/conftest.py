"""Shared fixtures: real databases (SQLite and PostgreSQL), a fixed clock, an API client.

PostgreSQL: DEPOSITDESK_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
Each test run works in its own schema, so parallel runs do not meet. Under CI
(CI=true) a missing PostgreSQL fails the run; elsewhere those tests skip.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine, text

from depositdesk.adapters.db.engine import make_engine, upgrade
from depositdesk.adapters.db.tables import metadata
from depositdesk.bootstrap import App, build
from depositdesk.domain.clock import FixedClock
from depositdesk.entrypoints.api.app import create_app
from depositdesk.services import policies
from depositdesk.services.access import Principal, Role
from depositdesk.services.tokens import create_token
from depositdesk.services.usecase import run
from depositdesk.settings import Settings

PG_URL = os.environ.get(
    "DEPOSITDESK_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
ADMIN = Principal.system(Role.PLATFORM_ADMIN, "test")
INTEGRATION = Principal.system(Role.INTEGRATION, "test")

# Property tests judge results, not speed: on a loaded 2-core CI machine a single
# example can take longer than Hypothesis's 200 ms default deadline.
hypothesis_settings.register_profile("depositdesk", deadline=None)
hypothesis_settings.load_profile("depositdesk")


def _postgres_engine(schema: str) -> Engine | str:
    try:
        admin = make_engine(PG_URL, connect_args={"connect_timeout": 3})
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        admin.dispose()
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {type(exc).__name__}: {exc}"
    return make_engine(
        PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_size=10, max_overflow=10
    )


@pytest.fixture(scope="session")
def pg_engine() -> Iterator[Engine]:
    schema = f"dd_test_{uuid.uuid4().hex[:10]}"
    engine = _postgres_engine(schema)
    if isinstance(engine, str):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL: {engine}")
        pytest.skip(engine)
    upgrade(engine)
    yield engine
    engine.dispose()
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()  # the last connection closing checkpoints the WAL into the file
    return path


def _truncate(engine: Engine) -> None:
    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as conn:
        # audit_log refuses TRUNCATE (AUD-1, migration 0017); replica mode, a superuser's
        # switch, skips its trigger for the reset between tests only.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[Engine]:
    """A migrated, empty database: each test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "depositdesk.db"
        shutil.copy(sqlite_template, path)
        eng = make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
    else:
        eng = request.getfixturevalue("pg_engine")
        _truncate(eng)
        yield eng


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def app(engine: Engine, clock: FixedClock, tmp_path: Path) -> App:
    settings = Settings(database_url=str(engine.url), data_dir=tmp_path / "data")
    application = build(settings, clock=clock, engine=engine)
    run(application, policies.ensure_default_packs, ADMIN, clock.now())
    return application


@pytest.fixture
def client(app: App) -> Iterator[TestClient]:
    with TestClient(create_app(app)) as c:
        yield c


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture
def auth(app: App) -> TokenFactory:
    """auth("platform_admin") or auth("owner", seller="s1") -> Authorization headers."""

    def make(role: str, seller: str | None = None, **extra: str) -> dict[str, str]:
        issued = run(app, create_token, ADMIN, app.clock.now(), role=role, seller_id=seller)
        return {"Authorization": f"Bearer {issued.token}", **extra}

    return make


class Api:
    """Small helpers that drive the HTTP API the way an integrator would."""

    def __init__(self, client: TestClient, auth: TokenFactory) -> None:
        self.c = client
        self.admin = auth("platform_admin")
        self.integration = auth("integration")
        self.auth = auth
        self._n = 0

    def seller(self, seller_id: str = "s1") -> dict[str, Any]:
        r = self.c.post(
            "/v1/sellers",
            headers=self.admin,
            json={
                "id": seller_id,
                "name": f"Seller {seller_id}",
                "email": f"{seller_id}@example.com",
            },
        )
        assert r.status_code == 201, r.text
        return r.json()

    def shop(
        self,
        shop_id: str = "shop1",
        seller_id: str = "s1",
        market: str = "gb",
        categories: list[str] | None = None,
    ) -> dict[str, Any]:
        r = self.c.post(
            "/v1/shops",
            headers=self.admin,
            json={
                "id": shop_id,
                "seller_id": seller_id,
                "name": f"Shop {shop_id}",
                "market": market,
                "categories": categories or ["apparel"],
            },
        )
        assert r.status_code == 201, r.text
        return r.json()

    def pay_in(
        self,
        shop_id: str,
        amount: str,
        currency: str = "GBP",
        key: str | None = None,
        payer: str | None = None,
    ) -> Any:
        self._n += 1
        key = key or f"key-{self._n}"
        body: dict[str, Any] = {
            "amount": {"amount": amount, "currency": currency},
            "reference": f"BANK-{key}",
        }
        if payer is not None:
            body["payer"] = payer
        return self.c.post(
            f"/v1/shops/{shop_id}/deposit/payins",
            headers={**self.integration, "Idempotency-Key": key},
            json=body,
        )

    def events(self, *events: dict[str, Any]) -> dict[str, Any]:
        r = self.c.post("/v1/events", headers=self.integration, json={"events": list(events)})
        assert r.status_code == 200, r.text
        return r.json()

    def eligibility(self, shop_id: str, **params: str) -> dict[str, Any]:
        r = self.c.get(
            f"/v1/shops/{shop_id}/eligibility",
            headers=self.admin,
            params=params or {"kind": "full"},
        )
        assert r.status_code == 200, r.text
        return r.json()

    def deposit(self, shop_id: str) -> dict[str, Any]:
        r = self.c.get(f"/v1/shops/{shop_id}/deposit", headers=self.admin)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture
def api(client: TestClient, auth: TokenFactory) -> Api:
    return Api(client, auth)
