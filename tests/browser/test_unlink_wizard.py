"""The unlink wizard in the browser (issue 12, UNL-1..9): a seller starts an unlink
(the page asks for the second factor again when it is too old), works through the
six-area checklist with its buttons (the tax summary, the archive built by the worker,
the closure notice, the agreement), the sandbox clock moves past the closure notice's
period, and the seller confirms with the authenticator's code; a stuck request is
escalated and cancelled; the pages in Chinese; another seller's shop is the 404 page."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.browser.conftest import Site, axe, sign_in, snap
from tests.builders import ev, placed


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
    # An order finished long ago: past its after-sales period and the waiting period,
    # but there are sales to summarise and data to archive (UNL-2, UNL-4).
    long_ago = (site.now() - timedelta(days=120)).isoformat()
    site.events(placed("o1", "o1", long_ago), ev("d1", "order.delivered", long_ago, order_id="o1"))
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

    # UNL-2: the tax summary, produced by its button.
    assert page.locator("#check-tax_summary .badge").inner_text() == "To do"
    page.get_by_role("button", name="Produce the tax summary").click()
    page.wait_for_url(url + "?done=tax-summary")
    assert page.locator("#check-tax_summary .badge").inner_text() == "Done"
    # UNL-4: the archive (anonymised), built by the worker, then ready to download.
    page.locator("#archive").get_by_label("Anonymise the customers").check()
    page.locator("#archive").get_by_role("button", name="Prepare the data archive").click()
    page.wait_for_url(url + "?done=archive")
    assert page.locator("#archive-progress").is_visible()
    assert site.tick().archives == 1
    page.locator("#archive-ready").wait_for()  # HTMX polls the progress
    page.goto(url)
    assert page.locator("#check-archive .badge").inner_text() == "Done"
    axe(page)
    with page.expect_download() as got:
        page.get_by_role("link", name="Download the archive (zip)").click()
    assert got.value.suggested_filename.endswith(".zip")
    snap(page, shots, "checklist-actions")

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
    page.wait_for_url(re.compile(r".*/seller/(shops|unlinks/.*)$"))
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
    # UNL-8: the verification page: not unlinked yet (the date is ahead).
    page.get_by_role("link", name="Check the unlink").click()
    assert page.locator("#not-verified").is_visible()
    axe(page)


def test_a_stuck_request_is_escalated_then_cancelled(site: Site, context: Any, shots: Path) -> None:
    site.seller("s1")
    site.shop("shop1", "s1", paid="1000.00")
    email = site.user("s1", "owner@s1.example")
    page = context.new_page()
    sign_in(page, site, email, code=site.code(email))
    page.wait_for_url(site.url + "/seller/shops")
    page.goto(f"{site.url}/seller/shops/shop1/unlink")
    page.get_by_label("Unlink date").fill((site.now() + timedelta(days=60)).date().isoformat())
    page.get_by_label("Contact for returns and refunds after unlinking").fill("help@s1.example")
    page.get_by_role("button", name="Start unlinking").click()  # signed in just now
    page.wait_for_url(f"{site.url}/seller/unlinks/*")
    url = str(page.url)

    # UNL-9: escalated to platform support with a message.
    page.get_by_label("What is stuck").fill("The archive check stays open.")
    page.get_by_role("button", name="Escalate to platform support").click()
    page.wait_for_url(url + "?done=escalated")
    assert "Escalated on" in page.locator("main").inner_text()
    assert "Sent to platform support" in page.locator("#unlink-done").inner_text()
    axe(page)
    snap(page, shots, "escalated")
    # Called off before the date: cancelled, no more buttons.
    page.get_by_role("button", name="Cancel the unlink").click()
    page.wait_for_url(url + "?done=cancelled")
    assert page.locator("h1 .badge").inner_text() == "Cancelled"
    assert page.get_by_role("button", name="Escalate to platform support").count() == 0


def test_the_unlink_pages_in_chinese_and_another_sellers_request_is_404(
    site: Site, context: Any, shots: Path
) -> None:
    site.seller("s1", language="zh")
    site.seller("s2")
    site.shop("shop1", "s1", market="cn-crossborder", paid="5000.00")
    site.shop("shop2", "s2", paid="1000.00")
    email = site.user("s1", "owner@s1.example")
    other = site.user("s2", "owner@s2.example")
    page = context.new_page()
    sign_in(page, site, other, code=site.code(other))
    page.wait_for_url(site.url + "/seller/shops")
    page.goto(f"{site.url}/seller/shops/shop1/unlink")
    assert page.locator("h1").inner_text() == "Page not found"  # another seller's shop

    context.clear_cookies()
    sign_in(page, site, email, code=site.code(email))
    page.wait_for_url(site.url + "/seller/shops")
    page.goto(f"{site.url}/seller/shops/shop1/unlink?lang=zh")
    page.get_by_label("解绑后退货退款的联系方式").fill("售后：returns@s1.example")
    page.get_by_role("button", name="开始解绑").click()
    page.wait_for_url(f"{site.url}/seller/unlinks/*")
    assert page.get_by_role("heading", name="财务结算").count() == 1
    # The checks' messages in the seller's language, marked as Chinese.
    assert page.locator("#check-agreement_accepted .message").inner_text() == "请接受关店协议。"
    axe(page)
    snap(page, shots, "checklist-zh")
