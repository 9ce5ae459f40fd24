"""The operations console in the browser (issue 12): a reviewer clears an unlink held
for a security review (UNL-1) and refuses another with a message; the enforcement
board lists an under-funded shop by its ladder step (DEP-5, DEP-6); an auditor
searches the audit log and verifies its hash chain (AUD-1)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from depositdesk.demo.events import violation_recorded
from depositdesk.domain.ids import new_ordered_id
from depositdesk.domain.money import Money
from depositdesk.domain.security_signals import SecuritySignal, SignalKind
from depositdesk.services import unlinks
from depositdesk.services.access import Principal, Role
from depositdesk.services.usecase import run
from tests.browser.conftest import PHONE, Site, axe, sign_in, snap

WIDE = {"width": 1280, "height": 900}


def _held_unlink(site: Site, seller_id: str, shop_id: str) -> str:
    """UNL-1: an unlink requested while the seller has a security signal: held."""
    with site.app.uow() as uow:
        uow.signals.add(
            SecuritySignal(
                new_ordered_id("sig"),
                seller_id,
                None,
                SignalKind.FAILED_SECOND_FACTOR,
                f"test:{shop_id}",
                "5 wrong second-factor codes in a row",
                site.now(),
            )
        )
        uow.commit()
    owner = Principal(f"tok-{seller_id}", Role.OWNER, seller_id, "owner's machine token")
    view = run(
        site.app,
        unlinks.request_unlink,
        owner,
        site.now(),
        shop_id,
        unlink_date=date.fromordinal(site.now().date().toordinal() + 60),
        support_contact="help@example.com",
    )
    assert view.unlink.status.value == "manual_review"
    return view.unlink.id


def test_a_reviewer_clears_and_refuses_held_unlinks(site: Site, browser: Any, shots: Path) -> None:
    site.seller("s1")
    site.seller("s2")
    site.shop("shop1", "s1", paid="1000.00")
    site.shop("shop2", "s2", paid="1000.00")
    first = _held_unlink(site, "s1", "shop1")
    second = _held_unlink(site, "s2", "shop2")
    # UNL-9: the first seller escalates its request with a message.
    owner = Principal("tok-s1", Role.OWNER, "s1", "owner's machine token")
    run(site.app, unlinks.escalate, owner, site.now(), first, message="Held for a week now.")
    reviewer = site.user(None, "reviewer@market.example", role="reviewer")
    ctx = browser.new_context(viewport=WIDE)
    try:
        page = ctx.new_page()
        sign_in(page, site, reviewer, code=site.code(reviewer))
        page.wait_for_url(site.url + "/ops/reviews")
        page.get_by_role("link", name="Unlink reviews").click()
        page.wait_for_url(site.url + "/ops/unlinks")
        assert page.locator("tbody tr").count() == 2
        axe(page)
        snap(page, shots, "unlink-queue")

        page.locator(f"a[href='/ops/unlinks/{first}']").click()
        assert "5 wrong second-factor codes" in page.locator("#signals").inner_text()
        assert "Held for a week now." in page.locator("#escalations").inner_text()
        axe(page)
        snap(page, shots, "unlink-review")
        page.get_by_role("button", name="Clear the request").click()
        page.wait_for_url(site.url + "/ops/unlinks?done=cleared")
        # Cleared, it stays in the list while its escalation is open.
        cleared = page.locator("tbody tr", has=page.locator(f"a[href='/ops/unlinks/{first}']"))
        assert "Preparing" in cleared.inner_text() and "Escalated" in cleared.inner_text()

        # Refusing needs a message the seller can read.
        page.goto(f"{site.url}/ops/unlinks/{second}")
        page.get_by_role("button", name="Refuse the request").click()
        assert page.locator("#review-error").is_visible()
        page.get_by_label("Message to the seller").fill("Call us from the registered phone.")
        page.get_by_role("button", name="Refuse the request").click()
        page.wait_for_url(site.url + "/ops/unlinks?done=refused")
        assert page.locator("tbody tr").count() == 1  # the escalated one
    finally:
        ctx.close()
    with site.app.uow(read_only=True) as uow:
        one, two = uow.unlinks.get(first), uow.unlinks.get(second)
    assert one is not None and one.status.value == "preparing"
    assert two is not None and two.review_message == "Call us from the registered phone."


def test_the_enforcement_board_and_the_audit_log(site: Site, browser: Any, shots: Path) -> None:
    site.seller("s1")
    site.shop("shop1", "s1", paid="1000.00")
    site.shop("shop2", "s1", paid="1000.00")
    # DEP-8: a violation takes 300 from shop1's deposit: a top-up notice (DEP-5).
    at = site.now().isoformat()
    site.events(
        violation_recorded(
            "v1",
            "shop1",
            at,
            violation_id="v1",
            type="short_shipment",
            consumer_loss=Money.parse("300.00", "GBP"),
        )
    )
    # DEP-6: 31 days on, the top-up is a day overdue and the first step applies.
    site.advance(timedelta(days=31))
    site.tick()
    admin = site.user(None, "admin@market.example", role="platform_admin")
    ctx = browser.new_context(viewport=WIDE)
    try:
        page = ctx.new_page()
        sign_in(page, site, admin, code=site.code(admin))
        page.wait_for_load_state()
        page.goto(site.url + "/ops/enforcement")
        board = page.locator("main").inner_text()
        assert "SHOP1 Store" in board and "SHOP2 Store" not in board
        assert "£300.00" in board
        assert page.get_by_role("heading", name="Formal warning").count() == 1, board
        axe(page)
        snap(page, shots, "enforcement")

        # AUD-1: the shop's records, then the chain verified.
        page.get_by_role("link", name="Audit log").click()
        page.get_by_label("Shop").fill("shop1")
        page.get_by_role("button", name="Search").click()
        page.locator("#records").wait_for()
        actions = page.locator("#records tbody").inner_text()
        assert "create_shop" in actions and "pay_in" in actions
        axe(page)
        snap(page, shots, "audit-search")
        page.get_by_label("Since (UTC)").fill("not a date")
        page.get_by_role("button", name="Search").click()
        assert page.locator("#audit-error").is_visible()
        page.get_by_role("link", name="Verify the hash chain").click()
        assert page.locator("#chain-ok").is_visible()
        axe(page)
        snap(page, shots, "audit-verify")
        # In Chinese, at phone width.
        page.set_viewport_size(PHONE)
        page.goto(site.url + "/ops/enforcement?lang=zh")
        assert page.get_by_role("heading", name="正式警告").count() == 1
        axe(page)
        snap(page, shots, "enforcement-zh-phone")
        page.goto(site.url + "/ops/audit?shop_id=shop1")
        assert page.locator("h1").inner_text() == "审计日志"
        axe(page)
    finally:
        ctx.close()
