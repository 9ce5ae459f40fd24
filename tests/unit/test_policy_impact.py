"""POL-4 as a preview, pure: who would owe a top-up, who would get a difference back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from depositdesk.domain.enforcement import Case
from depositdesk.domain.money import Money
from depositdesk.domain.policy import PolicyPack
from depositdesk.domain.policy_impact import (
    Outcome,
    ShopStanding,
    preview,
    setting_category,
    takes_effect_at,
)
from depositdesk.domain.policy_toml import load_default_packs
from depositdesk.domain.shop import ShopStatus

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GB = next(p for p in load_default_packs() if p.pack == "gb")


def gbp(major: int) -> Money:
    return Money("GBP", major * 100)


def version_2(effective: date = date(2026, 3, 1), **deposits: int) -> PolicyPack:
    categories = tuple(
        replace(c, deposit=gbp(deposits[c.code])) if c.code in deposits else c
        for c in GB.categories
    )
    return replace(GB, version=2, effective_from=effective, categories=categories)


def shop(
    shop_id: str,
    categories: tuple[str, ...],
    held: int,
    receivable: int = 0,
    status: ShopStatus = ShopStatus.ACTIVE,
    noticed: int | None = None,
    case_due_at: datetime | None = None,
) -> ShopStanding:
    case = None
    if noticed is not None and case_due_at is not None:
        case = Case(case_due_at - timedelta(days=30), case_due_at, noticed)
    return ShopStanding(shop_id, "s1", status, categories, gbp(held), gbp(receivable), case)


def test_pol4_dep1_the_category_that_sets_the_deposit_is_the_highest() -> None:
    pack = version_2(beauty=2200, electronics=2000)
    found = setting_category(pack, ("beauty", "electronics"))
    assert found is not None and found.code == "beauty"
    equal = setting_category(GB, ("apparel", "home"))  # both 1000: the first read
    assert equal is not None and equal.code == "apparel"
    assert setting_category(GB, ()) is None


def test_pol4_rise_owed_by_the_seller_is_a_topup_of_shortfall_plus_receivable() -> None:
    v2 = version_2(beauty=2200)
    impact = preview(v2, GB, [shop("b", ("beauty",), 1500), shop("h", ("beauty",), 0, 200)], NOW)
    b, h = impact.shops
    assert (b.outcome, b.amount, b.category) == (Outcome.TOPUP, gbp(700), "beauty")
    assert (h.outcome, h.amount) == (Outcome.TOPUP, gbp(2400))  # 2200 short + 200 owed
    assert b.due_at == NOW + timedelta(days=GB.topup_grace_days)
    assert impact.total.topup_shops == 2 and impact.total.topup_total == gbp(3100)


def test_pol4_rise_covered_pending_or_already_noticed_is_no_topup() -> None:
    v2 = version_2(beauty=2200)
    due = NOW + timedelta(days=3)
    standings = [
        shop("covered", ("beauty",), 2500),
        shop("pending", ("beauty",), 0, status=ShopStatus.PENDING_DEPOSIT),
        shop("asked", ("beauty",), 0, noticed=2200 * 100, case_due_at=due),  # owes 2200: asked
        shop("more", ("beauty",), 100, 300, noticed=1000 * 100, case_due_at=due),
        shop("apparel", ("apparel",), 0),  # under-funded, but its deposit did not change
    ]
    found = {s.shop_id: s for s in preview(v2, GB, standings, NOW).shops}
    assert found["covered"].outcome is Outcome.UNCHANGED
    assert found["pending"].outcome is Outcome.UNCHANGED
    assert found["asked"].outcome is Outcome.UNCHANGED
    assert found["apparel"].outcome is Outcome.UNCHANGED
    more = found["more"]  # the open case asked 1000; now 2100 + 300: a new notice, same due
    assert (more.outcome, more.amount, more.due_at) == (Outcome.TOPUP, gbp(2400), due)


def test_pol4_ref2_fall_frees_what_the_held_deposit_covered() -> None:
    v2 = version_2(electronics=2000)
    standings = [
        shop("d", ("electronics",), 2500),
        shop("surplus", ("electronics",), 3000),  # 500 was refundable already
        shop("short", ("electronics",), 1800, status=ShopStatus.ACTIVE),
        shop("pending", ("electronics",), 2100, status=ShopStatus.PENDING_DEPOSIT),
    ]
    found = {s.shop_id: s for s in preview(v2, GB, standings, NOW).shops}
    assert (found["d"].outcome, found["d"].amount) == (Outcome.DIFFERENCE, gbp(500))
    assert found["surplus"].amount == gbp(500)
    assert (found["short"].outcome, found["short"].amount) == (Outcome.UNCHANGED, gbp(0))
    assert not found["short"].becomes_funded  # 1800 < 2000: still short
    pending = found["pending"]  # its first deposit is complete under the new figure
    assert (pending.outcome, pending.amount, pending.becomes_funded) == (
        Outcome.DIFFERENCE,
        gbp(100),
        True,
    )


def test_pol4_totals_per_category_and_market_leave_final_shops_out() -> None:
    v2 = version_2(beauty=2200, electronics=2000)
    standings = [
        shop("a", ("apparel",), 1000),
        shop("b", ("beauty",), 1500),
        shop("e", ("beauty", "electronics"), 2500),  # falls 2500 -> 2200, set by beauty
        shop("d", ("electronics",), 2500),
        shop("none", (), 0),
        shop("t", ("beauty",), 1500, status=ShopStatus.TERMINATED),
        shop("u", ("beauty",), 1500, status=ShopStatus.UNLINKED),
    ]
    impact = preview(v2, GB, standings, NOW)
    assert impact.left_out == 2 and impact.total.shops == 5
    by = {c.code: c for c in impact.categories}
    beauty = by["beauty"]
    assert (beauty.deposit_before, beauty.deposit_after) == (gbp(1500), gbp(2200))
    assert (beauty.tally.shops, beauty.tally.topup_shops, beauty.tally.topup_total) == (
        2,
        1,
        gbp(700),
    )
    assert (beauty.tally.difference_shops, beauty.tally.difference_total) == (1, gbp(300))
    assert (by["electronics"].tally.difference_shops, by["electronics"].tally.difference_total) == (
        1,
        gbp(500),
    )
    assert by["apparel"].tally.unchanged_shops == 1 and by["home"].tally.shops == 0
    assert by[None].tally.shops == 1  # no active category
    assert [c.code for c in impact.categories] == [*GB.category_codes(), None]
    assert (impact.total.topup_total, impact.total.difference_total) == (gbp(700), gbp(800))
    assert [s.shop_id for s in impact.affected] == ["b", "d", "e"]
    assert impact.replaces == GB.ref and impact.in_force_now


def test_pol4_a_later_version_takes_effect_at_midnight_utc_of_its_date() -> None:
    v2 = version_2(date(2026, 4, 1), beauty=2200)
    at = datetime(2026, 4, 1, tzinfo=UTC)
    assert takes_effect_at(v2, NOW) == at
    assert takes_effect_at(version_2(beauty=2200), NOW) == NOW
    impact = preview(v2, GB, [shop("b", ("beauty",), 1500)], NOW)
    assert not impact.in_force_now and impact.takes_effect_at == at
    assert impact.shops[0].due_at == at + timedelta(days=GB.topup_grace_days)


def test_pol4_a_new_market_has_no_shops_to_review() -> None:
    impact = preview(GB, None, [], NOW)
    assert impact.replaces is None and impact.shops == ()
    assert impact.total.shops == 0 and impact.total.topup_total == gbp(0)
