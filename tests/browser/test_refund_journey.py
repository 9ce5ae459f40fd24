"""The refund journey in the browser (issue 12; REF-1..8 through the pages), once in
English and once in Chinese: a seller signs in with TOTP, sees why the refund is
blocked (REF-3: the after-sales period, with the order and the date it clears), the
sandbox clock moves past it, the seller applies with a PDF (REF-4), a reviewer
approves in the console after the eligibility re-check (REF-5), the worker pays
(REF-6) and the seller sees "paid" with the arrival window."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfWriter

from tests.browser.conftest import PHONE, Site, axe, fits, sign_in, snap
from tests.builders import ev, placed

TEXTS = {
    "en": {"under_review": "Under review", "paid": "Paid", "approve": "Approve"},
    "zh": {"under_review": "审核中", "paid": "已支付", "approve": "批准"},
}


def _pdf() -> bytes:
    out = io.BytesIO()
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("lang", "site"),
    [
        ("en", "sqlite"),
        ("zh", "sqlite"),
        pytest.param("en", "postgres", marks=pytest.mark.postgres),
    ],
    indirect=["site"],
)
def test_ref1_to_ref8_a_seller_is_refunded_through_the_pages(
    site: Site, context: Any, browser: Any, shots: Path, lang: str
) -> None:
    words = TEXTS[lang]
    site.seller("s1", language=lang)
    site.shop("shop1", "s1", paid="1000.00")  # gb apparel: 1,000 GBP, 30-day after-sales
    day = (site.now() - timedelta(days=1)).isoformat()
    site.events(placed("o1", "o1", day), ev("d1", "order.delivered", day, order_id="o1"))
    site.terminate("shop1")  # REF-9: the contract ended, so a full refund may come
    seller = site.user("s1", "owner@s1.example")
    reviewer = site.user(None, "reviewer@market.example", role="reviewer")

    page = context.new_page()
    sign_in(page, site, seller, code=site.code(seller))
    page.wait_for_url(site.url + "/seller/shops")
    if lang == "zh":
        page.get_by_role("link", name="简体中文").click()  # remembered for the user
        page.wait_for_url(re.compile(r".*lang=zh"))
    assert page.locator("html").get_attribute("lang") == ("zh-Hans" if lang == "zh" else "en")
    page.locator("a[href='/seller/shops/shop1/deposit']").click()
    page.wait_for_url(site.url + "/seller/shops/shop1/deposit")
    assert "£1,000.00" in page.locator("#held").inner_text()
    assert page.locator(".chart svg").count() == 1  # held vs required, drawn on the server
    # The chart speaks the page's language (its dates written the locale's way).
    axis = page.locator(".chart svg .axis.x").text_content() or ""
    assert ("年" in axis) == (lang == "zh"), axis
    axe(page)
    fits(page)
    snap(page, shots, "deposit")

    # REF-3: blocked, in plain words, with the order and the date it clears.
    page.locator("a[href='/seller/shops/shop1/refund']").click()
    blocker = page.locator("#eligibility [data-code=after_sales_period]")
    assert blocker.is_visible()
    assert "o1" in blocker.locator(".records").inner_text()
    assert blocker.locator(".clears").is_visible()
    # Live eligibility (HTMX): a difference for apparel is blocked while it is active;
    # the what-if of stopping it now takes that blocker away.
    page.locator("input[name=kind][value=difference]").check()
    page.locator("#category").select_option("apparel")
    page.locator("#eligibility [data-code=category_active]").wait_for()
    page.locator("input[name=what_if]").check()
    page.locator("#eligibility [data-code=category_active]").wait_for(state="detached")
    assert page.locator("#eligibility [data-code=after_sales_period]").is_visible()
    axe(page)
    fits(page)
    snap(page, shots, "refund-blocked")

    # The sandbox clock moves past the after-sales period (the session ends with it).
    site.advance(timedelta(days=31))
    page.goto(site.url + "/seller/shops/shop1/refund")
    assert "/?next=" in page.url
    sign_in(page, site, seller, code=site.code(seller))
    page.wait_for_url(site.url + "/seller/shops/shop1/refund")
    assert page.locator("#eligible").is_visible()
    page.locator("#reason").fill("closing the UK shop")
    page.locator("#proof").set_input_files(
        {"name": "closure-letter.pdf", "mimeType": "application/pdf", "buffer": _pdf()}
    )
    page.locator("#apply button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/seller/refunds/ref_[0-9a-f]{20}$"))
    refund_url = page.url
    assert words["under_review"] in page.locator("#status").inner_text()
    href = page.get_by_role("link", name="closure-letter.pdf").get_attribute("href")
    proof = page.request.get(site.url + href)
    assert proof.status == 200 and proof.body().startswith(b"%PDF")  # the seller's own file
    axe(page)
    fits(page)
    snap(page, shots, "refund-submitted")

    # REF-5: a reviewer approves in the console, after the eligibility re-check.
    # The console at desktop width in English, at phone width in Chinese.
    desktop = {"width": 1280, "height": 900}
    console = browser.new_context(viewport=PHONE if lang == "zh" else desktop)
    try:
        ops = console.new_page()
        sign_in(ops, site, reviewer, code=site.code(reviewer))
        ops.wait_for_url(site.url + "/ops/reviews")
        row = ops.locator("#queue tbody tr")
        assert row.count() == 1 and row.locator(".badge.on_time").is_visible()
        axe(ops)
        fits(ops)
        snap(ops, shots, "review-queue")
        row.locator("a").click()
        assert ops.locator("#recheck.ok").is_visible()
        assert ops.get_by_role("link", name="closure-letter.pdf").is_visible()
        axe(ops)
        fits(ops)
        ops.locator("#approve button[type=submit]").click()
        ops.wait_for_load_state()
        assert "/ops/refunds/" in ops.url and ops.locator("#approve").count() == 0
        snap(ops, shots, "review-approved")
    finally:
        console.close()

    # REF-6: the worker sends it; the sandbox bank settles it a day later.
    assert site.tick().payouts == 1
    site.advance(timedelta(days=1, minutes=1))
    site.tick()
    page.goto(refund_url)
    if "/?next=" in page.url:  # the session ended with the day
        sign_in(page, site, seller, code=site.code(seller))
        page.wait_for_url(refund_url)
    assert page.locator("html").get_attribute("lang") == ("zh-Hans" if lang == "zh" else "en")
    assert words["paid"] in page.locator("#status").inner_text()
    assert page.locator("#arrives").is_visible()  # paid, arriving between two dates
    axe(page)
    fits(page)
    snap(page, shots, "refund-paid")


def test_ref5_a_reviewer_rejects_with_a_reason_code_and_the_seller_reads_why(
    site: Site, context: Any, browser: Any, shots: Path
) -> None:
    site.seller("s1")
    site.shop("shop1", "s1", paid="1000.00")
    site.terminate("shop1")  # no orders: a full refund is eligible at once
    seller = site.user("s1", "owner@s1.example")
    reviewer = site.user(None, "reviewer@market.example", role="reviewer")
    page = context.new_page()
    sign_in(page, site, seller, code=site.code(seller))
    page.wait_for_url(site.url + "/seller/shops")
    page.goto(site.url + "/seller/shops/shop1/refund")
    page.locator("#reason").fill("closing")
    page.locator("#apply button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/seller/refunds/ref_[0-9a-f]{20}$"))
    refund_url = page.url

    console = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        ops = console.new_page()
        sign_in(ops, site, reviewer, code=site.code(reviewer))
        ops.wait_for_url(site.url + "/ops/reviews")
        ops.locator("#queue a").click()
        ops.locator("#reason_code").select_option("proof_invalid")
        ops.locator("#reject button[type=submit]").click()
        ops.wait_for_load_state()
        assert "Rejected" in ops.locator("#status").inner_text()
    finally:
        console.close()

    page.goto(refund_url)
    assert "Rejected" in page.locator("#status").inner_text()
    assert "Upload a clear PDF, PNG or JPEG" in page.locator("ol.timeline").inner_text()
    axe(page)
    fits(page)
    snap(page, shots, "refund-rejected")
