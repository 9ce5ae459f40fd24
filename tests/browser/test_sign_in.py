"""Sign-in in the browser (issue 12): password and the authenticator's code, the
session in a signed cookie, CSRF on every form, sign-out; the language switch."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pyotp
from fastapi.testclient import TestClient
from sqlalchemy import text

from depositdesk.adapters.db.engine import upgrade
from depositdesk.bootstrap import build
from depositdesk.entrypoints.api.app import create_app
from depositdesk.entrypoints.web.auth import sandbox_link
from depositdesk.settings import Settings
from tests.browser.conftest import PHONE, Site, axe, fits, sign_in, snap


def test_a_seller_signs_in_with_totp_sees_the_shops_and_signs_out(
    site: Site, context: Any, browser: Any, shots: Path
) -> None:
    site.seller("s1")
    site.shop("shop1", "s1", paid="1000.00")
    email = site.user("s1", "owner@s1.example")
    page = context.new_page()
    page.goto(site.url + "/seller/shops")
    assert page.url.startswith(site.url + "/?next=")  # no session: to sign-in first
    axe(page)
    fits(page)
    snap(page, shots, "sign-in")

    sign_in(page, site, email, code="000000")
    assert page.locator("#sign-in-error").is_visible()  # a wrong code: refused, said why
    sign_in(page, site, email)  # no code, though the user has a second factor: refused
    assert page.locator("#sign-in-error").is_visible() and page.url.startswith(site.url + "/")

    sign_in(page, site, email, code=site.code(email))
    page.wait_for_url(site.url + "/seller/shops")
    assert page.get_by_role("link", name="SHOP1 Store", exact=True).is_visible()
    assert "£1,000.00" in page.locator("main").inner_text()
    [cookie] = [c for c in context.cookies() if c["name"] == "dd_page"]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and not cookie["secure"]
    axe(page)
    fits(page)
    snap(page, shots, "shops")

    page.get_by_role("link", name="简体中文").click()  # the switch, remembered for the user
    page.wait_for_url(site.url + "/seller/shops?lang=zh")
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(site.url + "/")
    page.goto(site.url + "/seller/shops")
    assert page.url.startswith(site.url + "/?next=")  # the session ended

    # Another browser (no cookie of this one) signs the user in to Chinese pages.
    other = browser.new_context(viewport=PHONE, locale="en-GB")
    try:
        fresh = other.new_page()
        sign_in(fresh, site, email, code=site.code(email))
        fresh.wait_for_url(site.url + "/seller/shops")
        assert fresh.locator("html").get_attribute("lang") == "zh-Hans"
        assert fresh.locator("h1").inner_text() == "我的店铺"
    finally:
        other.close()


def test_a_form_post_without_the_csrf_token_is_refused_with_the_403_page(
    site: Site, context: Any, shots: Path
) -> None:
    site.seller("s1")
    site.shop("shop1", "s1", paid="1000.00")
    email = site.user("s1", "owner@s1.example")
    page = context.new_page()
    # The sign-in form itself: its token taken out of the page before sending.
    page.goto(site.url + "/")
    page.locator("input[name=csrf]").evaluate("e => e.remove()")
    page.locator("#email").fill(email)
    page.locator("#password").fill("violet-harbour-kettle-93")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.locator("form[action='/'] button[type=submit]").click()
    assert posted.value.status == 403
    assert page.locator("h1").inner_text() == "Not allowed"
    assert not [c for c in context.cookies() if c["name"] == "dd_page" and "dds_" in c["value"]]
    axe(page)
    fits(page)
    snap(page, shots, "csrf-refused")

    # Signed in, a post from elsewhere (no token, or a wrong one) changes nothing.
    sign_in(page, site, email, code=site.code(email))
    page.wait_for_url(site.url + "/seller/shops")
    for form in ({}, {"csrf": "not-the-token"}):
        refused = page.request.post(site.url + "/logout", form=form, max_redirects=0)
        assert refused.status == 403
    page.goto(site.url + "/seller/shops")
    assert page.url == site.url + "/seller/shops"  # still signed in: the logout was refused
    with site.app.engine.connect() as conn:  # AUD-1: each refusal is in the audit log
        refusals = conn.execute(
            text("SELECT actor FROM audit_log WHERE action = 'access.refused'")
        ).all()
    assert len(refusals) == 3 and refusals[0][0] == "anonymous"


def test_another_sellers_shop_is_the_404_page(site: Site, context: Any, shots: Path) -> None:
    for seller, shop in (("s1", "shop1"), ("s2", "shop2")):
        site.seller(seller)
        site.shop(shop, seller, paid="1000.00")
    email = site.user("s1", "owner@s1.example")
    page = context.new_page()
    sign_in(page, site, email, code=site.code(email))
    page.wait_for_url(site.url + "/seller/shops")
    assert page.locator("a[href='/seller/shops/shop2/deposit']").count() == 0
    for path in ("/seller/shops/shop2/deposit", "/seller/shops/shop2/refund", "/seller/nothing"):
        response = page.goto(site.url + path)
        assert response is not None and response.status == 404
        assert page.locator("h1").inner_text() == "Page not found"
    axe(page)
    fits(page)
    snap(page, shots, "not-found")
    # The seller's own shop is there.
    response = page.goto(site.url + "/seller/shops/shop1/deposit")
    assert response is not None and response.status == 200


def test_the_demo_sign_in_link_works_in_sandbox_mode_only_and_https_cookies_are_secure(
    site: Site, context: Any, shots: Path, tmp_path: Path
) -> None:
    site.seller("s1")
    site.shop("shop1", "s1", paid="1000.00")
    email = site.user("s1", "owner@s1.example", totp=False)
    link = sandbox_link(site.app, email, site.url)
    page = context.new_page()
    page.goto(link[:-3] + "abc")  # altered: not signed by this app
    assert page.locator("h1").inner_text() == "Page not found"
    page.goto(link)
    page.wait_for_url(site.url + "/seller/shops")
    assert page.get_by_role("link", name="SHOP1 Store", exact=True).is_visible()
    snap(page, shots, "sandbox-link")

    # The same link against an app that is not a sandbox: the 404 page.
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'live.db'}",
        secret_key="browser-test-secret",
        data_dir=tmp_path / "live",
    )
    live = build(settings)
    upgrade(live.engine)
    with TestClient(create_app(live), base_url="https://pages.example") as client:
        refused = client.get(link.replace(site.url, ""), follow_redirects=False)
    assert refused.status_code == 404 and "dd_page" not in refused.text
    # Served over https, the pages' cookie is Secure (over the tests' http it cannot be).
    cookie = refused.headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    live.engine.dispose()


def test_a_user_without_a_second_factor_enrols_with_the_qr_code(
    site: Site, context: Any, shots: Path
) -> None:
    site.seller("s1")
    email = site.user("s1", "owner@s1.example", totp=False)
    page = context.new_page()
    sign_in(page, site, email)
    page.wait_for_url(site.url + "/account/totp")  # no second factor yet: set one up
    page.get_by_role("button", name="Set up an authenticator app").click()
    assert page.locator("figure.qr svg").is_visible()  # the otpauth:// URI as a QR code
    secret = page.locator("#totp-secret").inner_text()
    axe(page)
    fits(page)
    snap(page, shots, "totp-qr")
    site.advance(timedelta(seconds=31))
    page.locator("#code").fill(pyotp.TOTP(secret).at(site.now()))
    page.get_by_role("button", name="Turn on").click()
    assert page.locator("ul.codes li").count() == 10  # recovery codes, shown once
    snap(page, shots, "totp-on")
    site.secrets[email] = secret
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, site, email, code=site.code(email))
    page.wait_for_url(site.url + "/seller/shops")
