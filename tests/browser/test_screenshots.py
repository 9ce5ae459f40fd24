"""The README's screenshots (issue 12), taken by the test suite so they stay current:
the demo marketplace is seeded (`depositdesk.demo.seed`, as `make demo` does), then a
Falcon owner, a Gull owner and a reviewer sign in and the pages are shot at desktop
width into `docs/screenshots/`: the deposit page, a refund's timeline, the unlink
checklist and the review queue. Each page is also checked with axe."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rich.console import Console

from depositdesk.demo.seed import seed
from tests.browser.conftest import Site, axe, sign_in, snap

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 1000}


def _shoot(page: Any, name: str, shots: Path) -> None:
    """The viewport as the README shows it; the full page under test-results/."""
    DOCS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS / f"{name}.png"))
    snap(page, shots, name)


def _signed_in(browser: Any, site: Site, email: str, home: str) -> tuple[Any, Any]:
    ctx = browser.new_context(viewport=DESKTOP, locale="en-GB")
    page = ctx.new_page()
    sign_in(page, site, email, code=site.code(email))
    page.wait_for_url(site.url + home)
    return ctx, page


def test_the_readme_screenshots_of_the_demo(site: Site, browser: Any, shots: Path) -> None:
    seed(site.app, Console(quiet=True))
    falcon = site.user("demo-falcon", "pages@falcon.example")
    gull = site.user("demo-gull", "pages@gull.example")
    reviewer = site.user(None, "pages-reviewer@depositdesk.example", role="reviewer")

    ctx, page = _signed_in(browser, site, falcon, "/seller/shops")
    try:
        # The deposit page of a shop whose refund was paid, then that refund's timeline.
        page.goto(site.url + "/seller/shops/falcon-uk-05/deposit")
        assert page.locator(".chart svg").count() == 1
        axe(page)
        _shoot(page, "deposit", shots)
        page.locator("a[href^='/seller/refunds/ref_']").first.click()
        page.wait_for_url(re.compile(r".*/seller/refunds/ref_[0-9a-f]{20}$"))
        axe(page)
        _shoot(page, "refund-timeline", shots)
    finally:
        ctx.close()

    ctx, page = _signed_in(browser, site, gull, "/seller/shops")
    try:
        # The unlink in progress (gull-uk-01): the start page leads to it.
        page.goto(site.url + "/seller/shops/gull-uk-01/unlink")
        page.wait_for_url(re.compile(r".*/seller/unlinks/unl_[0-9a-f]{20}$"))
        page.locator("#checklist").scroll_into_view_if_needed()
        page.locator("#dates-title").scroll_into_view_if_needed()
        axe(page)
        _shoot(page, "unlink-checklist", shots)
    finally:
        ctx.close()

    ctx, page = _signed_in(browser, site, reviewer, "/ops/reviews")
    try:
        assert page.locator("#queue tbody tr").count() >= 2  # on time and late
        axe(page)
        _shoot(page, "review-queue", shots)
    finally:
        ctx.close()
