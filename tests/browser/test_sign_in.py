"""Sign-in in the browser (issue 12): password and the authenticator's code, the
session in a signed cookie, CSRF on every form, sign-out; the language switch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.browser.conftest import Site, axe, sign_in, snap


def test_a_seller_signs_in_with_totp_sees_the_shops_and_signs_out(
    site: Site, context: Any, shots: Path
) -> None:
    site.seller("s1")
    site.shop("shop1", "s1", paid="1000.00")
    email = site.user("s1", "owner@s1.example")
    page = context.new_page()
    page.goto(site.url + "/seller/shops")
    assert page.url.startswith(site.url + "/?next=")  # no session: to sign-in first
    axe(page)
    snap(page, shots, "sign-in")

    sign_in(page, site, email, code="000000")
    assert page.locator("#sign-in-error").is_visible()  # a wrong code: refused, said why

    sign_in(page, site, email, code=site.code(email))
    page.wait_for_url(site.url + "/seller/shops")
    assert page.get_by_role("link", name="SHOP1 Store").is_visible()
    assert "£1,000.00" in page.locator("main").inner_text()
    [cookie] = [c for c in context.cookies() if c["name"] == "dd_page"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    axe(page)
    snap(page, shots, "shops")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(site.url + "/")
    page.goto(site.url + "/seller/shops")
    assert page.url.startswith(site.url + "/?next=")  # the session ended
