"""The unlink wizard in the browser (issue 12, UNL-1..8): a seller starts an unlink
(the page asks for the second factor again when it is too old), works through the
six-area checklist with its buttons, the sandbox clock moves past the closure
notice's period, and the seller confirms with the authenticator's code."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.browser.conftest import Site, axe, sign_in, snap


def _start(page: Any, site: Site, shop_id: str, email: str) -> str:
    """Start the request; returns the unlink page's URL."""
    page.goto(f"{site.url}/seller/shops/{shop_id}/unlink")
    axe(page)
    # Far enough ahead that the cutoff (3 days before) follows the notice's 30 days.
    page.get_by_label("Unlink date").fill((site.now() + timedelta(days=60)).date().isoformat())
    page.get_by_label("Contact for returns and refunds after unlinking").fill("returns@s1.example")
    page.get_by_role("button", name="Start unlinking").click()
    # UNL-1: the second factor of the sign-in is older than the policy's 15 minutes.
    assert page.locator("#unlink-error").is_visible()
    code = page.get_by_label("Code from your authenticator app")
    code.fill(site.code(email))
    page.get_by_role("button", name="Start unlinking").click()
    page.wait_for_url(f"{site.url}/seller/unlinks/*")
    return str(page.url)


def test_the_unlink_wizard_from_start_to_confirmation(
    site: Site, context: Any, shots: Path
) -> None:
    site.seller("s1")
    site.shop("shop1", "s1", paid="1000.00")
    email = site.user("s1", "owner@s1.example")
    page = context.new_page()
    sign_in(page, site, email, code=site.code(email))
    page.wait_for_url(site.url + "/seller/shops")
    site.advance(timedelta(minutes=20))

    url = _start(page, site, "shop1", email)
    main = page.locator("main")
    # UNL-6b: the six areas, each with its status; the dates in the market's zone.
    for area in (
        "Account access",
        "Financial reconciliation",
        "Order completion",
        "Data archiving",
        "Policy compliance",
        "Notification management",
    ):
        assert page.get_by_role("heading", name=area).count() == 1
    assert "United Kingdom" in page.locator("#cutoff").inner_text()  # Europe/London
    assert page.locator("#check-agreement_accepted .badge").inner_text() == "To do"
    assert "You can confirm once every area is done" in main.inner_text()
    axe(page)
    snap(page, shots, "checklist-start")

    # UNL-6a: the closure notice starts; its 30-day period then blocks.
    page.get_by_role("button", name="Start showing the closure notice").click()
    page.wait_for_url(url + "?done=closure-notice")
    assert page.locator("#check-closure_notice_period .badge").inner_text() == "Blocked"
    assert "Clears on" in page.locator("#check-closure_notice_period").inner_text()

    # The agreement: the box must be ticked (the browser says so first).
    page.get_by_label("I accept the closure agreement").check()
    page.get_by_role("button", name="Accept the closure agreement").click()
    page.wait_for_url(url + "?done=agreement")
    assert page.locator("#check-agreement_accepted .badge").inner_text() == "Done"
    snap(page, shots, "checklist-waiting")

    # The sandbox clock moves past the notice period; the session (12 h) has ended.
    site.advance(timedelta(days=31))
    page.goto(url)
    assert "/?next=" in page.url
    sign_in(page, site, email, code=site.code(email))
    page.wait_for_url(site.url + "/seller/shops")
    page.goto(url)
    assert page.locator("#check-closure_notice_period .badge").inner_text() == "Done"
    assert page.get_by_role("heading", name="Confirm the unlink").is_visible()
    axe(page)

    # UNL-7: confirm with the authenticator's code.
    page.get_by_label("Code from your authenticator app").fill("123456")
    page.get_by_role("button", name="Confirm the unlink").click()
    assert page.locator("#unlink-error").is_visible()  # a wrong code: refused, said why
    page.get_by_label("Code from your authenticator app").fill(site.code(email))
    page.get_by_role("button", name="Confirm the unlink").click()
    page.wait_for_url(url + "?done=confirmed")
    assert page.locator("h1 .badge").inner_text() == "Scheduled"
    assert page.locator("#scheduled").is_visible()
    axe(page)
    snap(page, shots, "scheduled")
