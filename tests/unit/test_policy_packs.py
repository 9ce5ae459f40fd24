"""Policy packs as TOML: validation, default packs, round trip (POL-1..3, DEP-1, DEP-6a)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from depositdesk.domain.errors import FieldProblem, PolicyProblems
from depositdesk.domain.money import Money
from depositdesk.domain.policy import (
    LADDER_STEPS,
    Category,
    LadderStep,
    PolicyPack,
    SecurityThresholds,
)
from depositdesk.domain.policy_toml import dump_pack, load_default_packs, parse_pack

HEAD = """\
pack = "test-market"
version = 2
effective_from = 2024-06-01
market_name = "Test market"
currency = "GBP"
country = "GB"
timezone = "Europe/London"
review_sla_business_days = 3
payout_window_days = 30
bank_arrival_business_days = [3, 5]
topup_grace_days = 30
closure_waiting_days = 90
closure_notice_days = 30
closure_violation_types = ["counterfeit", "empty_parcel"]
"""

SECURITY = """
[security]
step_up_minutes = 15
payout_account_change_days = 7
max_failed_second_factor = 5
lock_minutes = 30
"""

CATEGORIES = """
[[categories]]
code = "apparel"
name = "Apparel"
deposit = "2000.00"
after_sales_days = 30

[[categories]]
code = "home"
name = "Home"
deposit = "5000.00"
after_sales_days = 45
"""

LADDER = """
[[ladder]]
step = "warning"
after_days = 0

[[ladder]]
step = "listing_suspended"
after_days = 7

[[ladder]]
step = "delisted"
after_days = 14
"""


def pack_text(
    head: str = HEAD, security: str = SECURITY, categories: str = CATEGORIES, ladder: str = LADDER
) -> str:
    return head + security + categories + ladder


def problems_of(text: str) -> list[FieldProblem]:
    with pytest.raises(PolicyProblems) as caught:
        parse_pack(text)
    assert caught.value.problems, "PolicyProblems raised without any problem"
    return caught.value.problems


def by_field(problems: list[FieldProblem]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for problem in problems:
        out.setdefault(problem.field, set()).add(problem.rule)
    return out


def test_pol1_valid_pack_parses_to_the_written_values() -> None:
    text = pack_text()
    pack = parse_pack(text)
    assert pack.pack == "test-market"
    assert pack.version == 2
    assert pack.effective_from == date(2024, 6, 1)
    assert pack.currency == "GBP"
    assert pack.country == "GB"
    assert pack.timezone == "Europe/London"
    assert pack.categories == (
        Category("apparel", "Apparel", Money("GBP", 200000), 30),
        Category("home", "Home", Money("GBP", 500000), 45),
    )
    assert pack.ladder == (
        LadderStep("warning", 0),
        LadderStep("listing_suspended", 7),
        LadderStep("delisted", 14),
    )
    assert pack.security == SecurityThresholds(15, 7, 5, 30)
    assert pack.bank_arrival_business_days == (3, 5)
    assert pack.closure_violation_types == ("counterfeit", "empty_parcel")
    assert pack.unlink_cutoff_days == 1  # not in the text: the default
    assert pack.source == text


def test_pol1_effective_from_may_be_an_iso_date_string() -> None:
    head = HEAD.replace("effective_from = 2024-06-01", 'effective_from = "2024-06-01"')
    assert parse_pack(pack_text(head=head)).effective_from == date(2024, 6, 1)


def test_pol3_invalid_pack_lists_every_problem() -> None:
    head = HEAD.replace('currency = "GBP"', 'currency = "XYZ"')
    categories = """
[[categories]]
code = "apparel"
name = "Apparel"
deposit = "-2000.00"
after_sales_days = 30

[[categories]]
name = "Home"
deposit = "5000.00"
after_sales_days = 30
"""
    ladder = """
[[ladder]]
step = "delisted"
after_days = 14

[[ladder]]
step = "warning"
after_days = 7
"""
    problems = problems_of(pack_text(head=head, categories=categories, ladder=ladder))
    fields = by_field(problems)
    assert "iso_4217" in fields["currency"]
    assert "non_negative" in fields["categories[0].deposit"]
    assert "ladder_order" in fields["ladder[1].step"]
    assert "ladder_order" in fields["ladder[1].after_days"]
    assert "required" in fields["categories[1].code"]  # a category without its code
    assert all(p.message for p in problems)


def test_pol3_pack_without_categories_is_refused_with_the_other_problems() -> None:
    head = HEAD.replace('currency = "GBP"', 'currency = "XYZ"').replace(
        "topup_grace_days = 30", "topup_grace_days = -1"
    )
    ladder = LADDER.replace("after_days = 14", "after_days = 3")
    problems = problems_of(pack_text(head=head, categories="", ladder=ladder))
    fields = by_field(problems)
    assert fields["categories"] == {"missing_category"}
    assert "iso_4217" in fields["currency"]
    assert fields["topup_grace_days"] == {"non_negative"}
    assert fields["ladder[2].after_days"] == {"ladder_order"}
    # an empty array is as missing as no array
    assert (
        "missing_category"
        in by_field(problems_of(pack_text(categories="categories = []\n")))["categories"]
    )


def test_pol3_wrong_decimals_deposit_is_refused() -> None:
    for bad in ('"2000.5"', '"2000"', '"2000.000"'):
        categories = CATEGORIES.replace('"2000.00"', bad)
        fields = by_field(problems_of(pack_text(categories=categories)))
        assert fields == {"categories[0].deposit": {"currency_precision"}}, bad


def test_pol3_deposit_must_be_a_quoted_decimal_string() -> None:
    categories = CATEGORIES.replace('"2000.00"', "2000.00").replace('"5000.00"', '"5k"')
    fields = by_field(problems_of(pack_text(categories=categories)))
    assert fields == {
        "categories[0].deposit": {"decimal_string"},
        "categories[1].deposit": {"decimal_string"},
    }


def test_pol3_unknown_key_is_refused() -> None:
    head = HEAD + "topup_grace_dyas = 10\n"
    categories = CATEGORIES.replace("after_sales_days = 45", "after_sale_days = 45")
    security = SECURITY + "lock_minute = 3\n"
    fields = by_field(problems_of(pack_text(head=head, categories=categories, security=security)))
    assert fields["topup_grace_dyas"] == {"unknown_key"}
    assert fields["categories[1].after_sale_days"] == {"unknown_key"}
    assert fields["categories[1].after_sales_days"] == {"required"}
    assert fields["security.lock_minute"] == {"unknown_key"}
    assert len(fields) == 4


def test_pol3_missing_required_keys_are_each_named() -> None:
    head = "\n".join(
        line
        for line in HEAD.splitlines()
        if not line.startswith(("version", "timezone", "payout_window_days"))
    )
    fields = by_field(problems_of(pack_text(head=head + "\n", security="")))
    assert fields == {
        "version": {"required"},
        "timezone": {"required"},
        "payout_window_days": {"required"},
        "security": {"required"},
    }


@pytest.mark.parametrize(
    ("old", "new", "field", "rule"),
    [
        ('pack = "test-market"', 'pack = "Test Market"', "pack", "format"),
        ("version = 2", "version = 0", "version", "positive"),
        ("version = 2", 'version = "2"', "version", "type"),
        ("version = 2", "version = true", "version", "type"),
        ("effective_from = 2024-06-01", 'effective_from = "01/06/2024"', "effective_from", "date"),
        (
            "effective_from = 2024-06-01",
            "effective_from = 2024-06-01T00:00:00Z",
            "effective_from",
            "date",
        ),
        ('country = "GB"', 'country = "ZZ"', "country", "country"),
        ('timezone = "Europe/London"', 'timezone = "Europe/Londn"', "timezone", "timezone"),
        (
            "review_sla_business_days = 3",
            "review_sla_business_days = 4",
            "review_sla_business_days",
            "range",
        ),
        (
            "review_sla_business_days = 3",
            "review_sla_business_days = 0",
            "review_sla_business_days",
            "range",
        ),
        ("payout_window_days = 30", "payout_window_days = 366", "payout_window_days", "range"),
        (
            "bank_arrival_business_days = [3, 5]",
            "bank_arrival_business_days = [5, 3]",
            "bank_arrival_business_days",
            "range",
        ),
        (
            "bank_arrival_business_days = [3, 5]",
            "bank_arrival_business_days = [3]",
            "bank_arrival_business_days",
            "format",
        ),
        (
            "bank_arrival_business_days = [3, 5]",
            "bank_arrival_business_days = [-1, 5]",
            "bank_arrival_business_days[0]",
            "non_negative",
        ),
        (
            "closure_notice_days = 30",
            "closure_notice_days = -30",
            "closure_notice_days",
            "non_negative",
        ),
        (
            'closure_violation_types = ["counterfeit", "empty_parcel"]',
            'closure_violation_types = ["counterfeit", "counterfeit"]',
            "closure_violation_types[1]",
            "unique",
        ),
    ],
)
def test_pol3_each_top_level_rule_names_its_field(
    old: str, new: str, field: str, rule: str
) -> None:
    assert old in HEAD
    fields = by_field(problems_of(pack_text(head=HEAD.replace(old, new))))
    assert fields == {field: {rule}}


def test_pol3_security_thresholds_must_be_at_least_one() -> None:
    security = SECURITY.replace("lock_minutes = 30", "lock_minutes = 0")
    assert by_field(problems_of(pack_text(security=security))) == {
        "security.lock_minutes": {"positive"}
    }


def test_pol3_category_codes_are_unique_and_well_formed() -> None:
    categories = CATEGORIES.replace('code = "home"', 'code = "apparel"') + CATEGORIES.replace(
        'code = "apparel"', 'code = "Bad Code"'
    ).replace('code = "home"', 'code = "ok_code"')
    fields = by_field(problems_of(pack_text(categories=categories)))
    assert fields == {"categories[1].code": {"unique"}, "categories[2].code": {"format"}}


def test_dep6a_ladder_steps_must_be_public_codes_once_each() -> None:
    ladder = LADDER.replace('step = "delisted"', 'step = "banned"') + (
        '\n[[ladder]]\nstep = "listing_suspended"\nafter_days = 20\n'
    )
    fields = by_field(problems_of(pack_text(ladder=ladder)))
    assert fields == {"ladder[2].step": {"ladder_step"}, "ladder[3].step": {"unique"}}


def test_dep6a_ladder_days_strictly_increase() -> None:
    ladder = LADDER.replace("after_days = 7", "after_days = 0")
    assert by_field(problems_of(pack_text(ladder=ladder))) == {
        "ladder[1].after_days": {"ladder_order"}
    }


def test_dep6a_ladder_may_skip_steps_in_order() -> None:
    ladder = '[[ladder]]\nstep = "warning"\nafter_days = 0\n\n'
    ladder += '[[ladder]]\nstep = "marketplace_suspended"\nafter_days = 90\n'
    assert parse_pack(pack_text(ladder=ladder)).ladder == (
        LadderStep("warning", 0),
        LadderStep("marketplace_suspended", 90),
    )


def test_pol3_toml_syntax_error_is_a_problem_not_a_crash() -> None:
    fields = by_field(problems_of('pack = "x\n'))
    assert fields == {"toml": {"toml_syntax"}}


def test_dep1_required_deposit_is_highest_not_sum() -> None:
    pack = parse_pack(pack_text())
    assert pack.required_deposit(["apparel", "home"]) == Money("GBP", 500000)
    assert pack.required_deposit(["apparel"]) == Money("GBP", 200000)
    cn = {p.pack: p for p in load_default_packs()}["cn-crossborder"]
    assert cn.required_deposit(["apparel", "home"]) == Money.parse("5000.00", "CNY")


def test_pol2_default_packs_reflect_published_facts() -> None:
    packs = {p.pack: p for p in load_default_packs()}
    assert set(packs) == {"cn-crossborder", "gb", "us"}

    expected_market = {
        "cn-crossborder": ("CNY", "CN", "Asia/Shanghai"),
        "gb": ("GBP", "GB", "Europe/London"),
        "us": ("USD", "US", "America/New_York"),
    }
    for name, pack in packs.items():
        assert (pack.currency, pack.country, pack.timezone) == expected_market[name]
        assert pack.version == 1
        assert pack.effective_from == date(2024, 1, 1)
        assert pack.review_sla_business_days in (1, 2, 3)
        assert pack.payout_window_days == 30
        assert pack.bank_arrival_business_days == (3, 5)
        assert pack.topup_grace_days == 30
        assert pack.closure_waiting_days == 90
        assert pack.closure_notice_days == 30
        assert all(c.deposit.currency == pack.currency for c in pack.categories)
        assert {"apparel", "home"} <= set(pack.category_codes())
        assert pack.source  # read from the shipped file

    cn = packs["cn-crossborder"]
    cn_deposits = [c.deposit for c in cn.categories]
    assert min(cn_deposits) == Money.parse("2000.00", "CNY")
    assert max(cn_deposits) == Money.parse("100000.00", "CNY")
    assert _deposit(cn, "apparel") == Money.parse("2000.00", "CNY")
    assert _deposit(cn, "home") == Money.parse("5000.00", "CNY")

    us = packs["us"]
    assert {c.deposit for c in us.categories} == {Money.parse("500.00", "USD")}

    gb = packs["gb"]
    gb_deposits = {c.deposit for c in gb.categories}
    assert max(gb_deposits) == Money.parse("4000.00", "GBP")
    assert len(gb_deposits) > 1  # by category, not flat


def _deposit(pack: PolicyPack, code: str) -> Money:
    category = pack.category(code)
    assert category is not None, code
    return category.deposit


def test_pol2_default_packs_mark_every_unpublished_figure_as_example() -> None:
    # every category's after-sales days, every ladder offset and every security
    # threshold is an example value and must say so next to it or in its section.
    for pack in load_default_packs():
        lines = pack.source.splitlines()
        for number, line in enumerate(lines):
            if re.match(r"\s*(after_sales_days|after_days)\s*=", line):
                assert "EXAMPLE" in line, f"{pack.pack}: line {number + 1} {line!r}"
            if re.match(
                r"\s*(step_up_minutes|payout_account_change_days|max_failed_second_factor"
                r"|lock_minutes|closure_violation_types)\s*=",
                line,
            ):
                assert "EXAMPLE" in lines[number - 1] or "EXAMPLE" in line, (
                    f"{pack.pack}: line {number + 1} {line!r}"
                )


def test_pol1_round_trip_dump_then_parse_is_equal() -> None:
    for pack in [*load_default_packs(), parse_pack(pack_text())]:
        text = dump_pack(pack)
        again = parse_pack(text)
        assert again == pack
        assert dump_pack(again) == text
        assert '"5000.00"' in dump_pack(parse_pack(pack_text()))  # amounts as decimal strings


def test_pol1_round_trip_keeps_zero_decimal_currencies_exact() -> None:
    base = parse_pack(pack_text())
    yen = replace(
        base,
        currency="JPY",
        categories=(Category("apparel", "Apparel", Money("JPY", 300000), 30),),
    )
    text = dump_pack(yen)
    assert 'deposit = "300000"' in text
    assert parse_pack(text) == yen


_CURRENCIES = ("CNY", "GBP", "USD", "JPY", "KWD")
_codes = st.from_regex(r"[a-z0-9_]{1,40}", fullmatch=True)
_names = st.text(min_size=1, max_size=60).filter(lambda s: bool(s.strip()))


@st.composite
def _packs(draw: st.DrawFn) -> PolicyPack:
    currency = draw(st.sampled_from(_CURRENCIES))
    codes = draw(st.lists(_codes, min_size=1, max_size=8, unique=True))
    categories = tuple(
        Category(
            code,
            draw(_names),
            Money(currency, draw(st.integers(min_value=0, max_value=10**15))),
            draw(st.integers(min_value=0, max_value=3650)),
        )
        for code in codes
    )
    steps = draw(
        st.lists(st.sampled_from(LADDER_STEPS), min_size=1, unique=True).map(
            lambda chosen: sorted(chosen, key=LADDER_STEPS.index)
        )
    )
    gaps = draw(st.lists(st.integers(1, 60), min_size=len(steps), max_size=len(steps)))
    start = draw(st.integers(0, 30))
    days = [start + sum(gaps[:i]) for i in range(len(steps))]
    low = draw(st.integers(0, 10))
    return PolicyPack(
        pack=draw(st.from_regex(r"[a-z0-9-]{1,40}", fullmatch=True)),
        version=draw(st.integers(1, 10_000)),
        effective_from=draw(st.dates(date(2000, 1, 1), date(2100, 12, 31))),
        currency=currency,
        market_name=draw(_names),
        country=draw(st.sampled_from(("CN", "GB", "US", "DE", "JP"))),
        timezone=draw(st.sampled_from(("Asia/Shanghai", "Europe/London", "UTC"))),
        categories=categories,
        review_sla_business_days=draw(st.integers(1, 3)),
        payout_window_days=draw(st.integers(1, 365)),
        bank_arrival_business_days=(low, low + draw(st.integers(0, 10))),
        topup_grace_days=draw(st.integers(0, 365)),
        closure_waiting_days=draw(st.integers(0, 365)),
        closure_notice_days=draw(st.integers(0, 365)),
        ladder=tuple(LadderStep(s, d) for s, d in zip(steps, days, strict=True)),
        security=SecurityThresholds(
            draw(st.integers(1, 1440)),
            draw(st.integers(1, 365)),
            draw(st.integers(1, 20)),
            draw(st.integers(1, 1440)),
        ),
        closure_violation_types=tuple(draw(st.lists(_codes, max_size=4, unique=True))),
        unlink_cutoff_days=draw(st.integers(0, 365)),
    )


@settings(max_examples=150, deadline=None)
@given(_packs())
def test_pol1_dump_parse_round_trip_for_generated_packs(pack: PolicyPack) -> None:
    text = dump_pack(pack)
    parsed = parse_pack(text)
    assert parsed == pack
    assert parsed.source == text
    assert dump_pack(parsed) == text


FEES = """
[[bank_fees]]
currency = "CNY"
fee = "100.00"

[[bank_fees]]
currency = "JPY"
fee = "1500"
"""


def test_ref7_bank_fees_are_per_destination_currency_in_that_currency() -> None:
    pack = parse_pack(pack_text() + FEES)
    assert pack.bank_fee("CNY") == Money("CNY", 10000)
    assert pack.bank_fee("JPY") == Money("JPY", 1500)  # no minor unit: 1,500 yen
    assert pack.bank_fee("GBP") is None  # not listed: the bank takes nothing
    assert parse_pack(pack_text()).bank_fees == ()  # the section is optional


def test_pol3_bank_fees_list_every_problem() -> None:
    bad = (
        FEES.replace('fee = "100.00"', 'fee = "-1.00"')
        .replace('"JPY"', '"XYZ"')
        .replace('fee = "1500"', 'fee = "15"\nextra = 1')
    )
    bad += '\n[[bank_fees]]\ncurrency = "CNY"\nfee = "1.000"\n'
    assert by_field(problems_of(pack_text() + bad)) == {
        "bank_fees[0].fee": {"non_negative"},
        "bank_fees[1].currency": {"iso_4217"},
        "bank_fees[1].extra": {"unknown_key"},
        "bank_fees[2].currency": {"unique"},
    }


def test_unl7_unlink_cutoff_days_is_read_and_checked() -> None:
    head = HEAD + "unlink_cutoff_days = 5\n"
    assert parse_pack(pack_text(head=head)).unlink_cutoff_days == 5
    bad = HEAD + "unlink_cutoff_days = -1\n"
    assert "unlink_cutoff_days" in by_field(problems_of(pack_text(head=bad)))
    assert all(p.unlink_cutoff_days == 3 for p in load_default_packs())
