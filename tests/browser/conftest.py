"""Browser tests of the pages (issue 12): Debian's Chromium driven by Playwright
(`executable_path=/usr/bin/chromium`; nothing downloads a browser) against a real
uvicorn server of the app on a free port, with a temporary SQLite database and the
sandbox clock.

Each test saves screenshots under `test-results/<test>/`; a failing test also keeps
its Playwright trace there (`playwright show-trace test-results/<test>/trace.zip`).
One browser serves the whole session; each test gets a fresh database, server and
browser context."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
import pytest
import uvicorn

from depositdesk.adapters.db.engine import make_engine, upgrade
from depositdesk.bootstrap import App, build
from depositdesk.entrypoints.api.app import create_app
from depositdesk.entrypoints.worker import tick
from depositdesk.services import policies, sandbox, second_factor, sessions
from depositdesk.services.access import Principal, Role
from depositdesk.services.deposits import pay_in
from depositdesk.services.ingestion import ingest
from depositdesk.services.sellers import create_seller
from depositdesk.services.shops import create_shop, terminate
from depositdesk.services.usecase import run
from depositdesk.services.users import create_platform_user, create_user
from depositdesk.settings import Settings
from tests.conftest import _truncate as truncate_all

CHROMIUM = "/usr/bin/chromium"
RESULTS = Path(__file__).resolve().parents[2] / "test-results"
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
ADMIN = Principal.system(Role.PLATFORM_ADMIN, "browser test")
INTEGRATION = Principal.system(Role.INTEGRATION, "browser test")
PASSWORD = "violet-harbour-kettle-93"
PHONE = {"width": 375, "height": 812}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs {CHROMIUM} (.ci/run installs the chromium package)")
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield chromium
        chromium.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Site:
    """The running server and the same application object, to set up what a test
    needs through the use cases, move the sandbox clock and run the worker."""

    app: App
    url: str
    secrets: dict[str, str] = field(default_factory=dict)

    def now(self) -> Any:
        return self.app.now_refreshed()

    def seller(self, seller_id: str, language: str = "en") -> None:
        run(
            self.app,
            create_seller,
            ADMIN,
            self.now(),
            id=seller_id,
            name=f"{seller_id.title()} Ltd",
            email=f"ops@{seller_id}.example",
            language=language,
        )

    def shop(
        self,
        shop_id: str,
        seller_id: str,
        market: str = "gb",
        categories: tuple[str, ...] = ("apparel",),
        paid: str | None = None,
    ) -> None:
        run(
            self.app,
            create_shop,
            ADMIN,
            self.now(),
            id=shop_id,
            seller_id=seller_id,
            name=f"{shop_id.upper()} Store",
            market=market,
            categories=list(categories),
        )
        if paid is not None:
            currency = "GBP" if market == "gb" else ("USD" if market == "us" else "CNY")
            run(
                self.app,
                pay_in,
                INTEGRATION,
                self.now(),
                shop_id,
                amount=paid,
                currency=currency,
                reference=f"TRF-{shop_id}",
                idempotency_key=f"pay-{shop_id}",
                payer=f"iban:GB82WEST12345698765432;bic:WESTGB22;name:{seller_id} Ltd",
            )

    def user(
        self, seller_id: str | None, email: str, *, totp: bool = True, role: str = "owner"
    ) -> str:
        """A verified user of the seller (None: a platform user, e.g. a reviewer), with
        a TOTP second factor when `totp`."""
        if seller_id is None:
            run(
                self.app,
                create_platform_user,
                ADMIN,
                self.now(),
                email=email,
                password=PASSWORD,
                role=role,
            )
        else:
            run(
                self.app,
                create_user,
                ADMIN,
                self.now(),
                seller_id,
                email=email,
                password=PASSWORD,
                role=role,
                email_verified=True,
            )
        if totp:
            with self.app.uow() as uow:
                outcome = sessions.login(uow, self.now(), email=email, password=PASSWORD)
                uow.commit()
            assert outcome.session is not None
            who = outcome.session.principal
            enrolment = run(self.app, second_factor.start_enrolment, who, self.now())
            code = pyotp.TOTP(enrolment.secret).at(self.now())
            run(self.app, second_factor.finish_enrolment, who, self.now(), code=code)
            self.secrets[email] = enrolment.secret
        return email

    def code(self, email: str) -> str:
        """The authenticator's next code: the sandbox clock moves on to the next
        30-second step first (a code works once, and enrolment used this step's)."""
        self.advance(timedelta(seconds=31))
        return pyotp.TOTP(self.secrets[email]).at(self.now())

    def advance(self, delta: timedelta) -> None:
        clock = self.app.sandbox_clock
        assert clock is not None
        run(self.app, sandbox.move, ADMIN, self.now(), clock=clock, advance=delta, to=None)

    def events(self, *events: dict[str, Any]) -> None:
        result = ingest(self.app.uow, INTEGRATION, self.app.now_refreshed, list(events))
        assert not result.rejected, result.rejected

    def terminate(self, shop_id: str) -> None:
        run(self.app, terminate, ADMIN, self.now(), shop_id, reason="the seller leaves")

    def tick(self) -> Any:
        return tick(self.app)


@pytest.fixture
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Site]:
    """The app on a temporary SQLite file, or (`indirect` param "postgres") on the
    test PostgreSQL schema, served by uvicorn in a thread of this process."""
    on_postgres = getattr(request, "param", "sqlite") == "postgres"
    if on_postgres:
        engine = request.getfixturevalue("pg_engine")
        truncate_all(engine)
        url = str(engine.url)
    else:
        url = f"sqlite:///{tmp_path / 'pages.db'}"
        engine = make_engine(url)
        upgrade(engine)
    settings = Settings(
        database_url=url,
        sandbox=True,
        payout_gateway="sandbox",
        data_dir=tmp_path / "data",
        secret_key="browser-test-secret",
        log_json=False,
        log_level="WARNING",
    )
    application = build(settings, engine=engine)
    run(application, policies.ensure_default_packs, ADMIN, application.now_refreshed())
    port = _free_port()
    config = uvicorn.Config(
        create_app(application), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    yield Site(application, f"http://127.0.0.1:{port}")
    server.should_exit = True
    thread.join(10)
    if not on_postgres:
        engine.dispose()


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Path:
    folder = RESULTS / request.node.name.replace("/", "_").replace("[", "-").replace("]", "")
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def context(browser: Any, request: pytest.FixtureRequest, shots: Path) -> Iterator[Any]:
    """A fresh browser context (cookies of its own) at phone width, traced; the trace
    is kept only when the test fails."""
    ctx = browser.new_context(viewport=PHONE, locale="en-GB")
    ctx.set_default_timeout(15_000)
    ctx.tracing.start(screenshots=True, snapshots=True)
    yield ctx
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for i, p in enumerate(ctx.pages):
            # A page that crashed has no screenshot; the trace still has it.
            with contextlib.suppress(Exception):
                p.screenshot(path=str(shots / f"failure-{i}.png"), full_page=True)
        ctx.tracing.stop(path=str(shots / "trace.zip"))
    else:
        ctx.tracing.stop()
    ctx.close()


def snap(page: Any, shots: Path, name: str) -> None:
    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)


def axe(page: Any) -> None:
    """No serious or critical accessibility violations on the page (axe-core)."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(n["html"][:120] for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"axe on {page.url}:\n" + "\n".join(bad)


def fits(page: Any) -> None:
    """Usable at the viewport's width (375 px for the seller's pages): no sideways scroll."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{page.url} is {width} px wide at {viewport} px"


def sign_in(page: Any, site: Site, email: str, *, code: str | None = None) -> None:
    """Fill in the sign-in form: the one on the page when it is the sign-in page
    (after a redirect, it carries where to go next), else the one at `/`."""
    on_form = page.url.startswith(site.url + "/?") or page.url == site.url + "/"
    if not on_form or page.locator("#email").count() == 0:
        page.goto(site.url + "/")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    if code is not None:
        page.locator("#totp").fill(code)
    page.locator("form[action='/'] button[type=submit]").click()
