"""REF-7: exact conversion at a recorded rate; the operator's rates file checked line
by line; payout routes parsed (domain/fx.py, domain/bank_route.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depositdesk.domain.bank_route import PayoutRoute, is_iban
from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.fx import (
    DERIVED_DIGITS,
    FxQuote,
    RateUnavailable,
    book_of_rows,
    convert,
    derived,
    identity,
    parse_rates_csv,
)
from depositdesk.domain.money import Money

DAY = date(2026, 11, 20)  # a Friday


def q(base: str, quote: str, rate: str) -> FxQuote:
    return FxQuote(base, quote, Decimal(rate), DAY, "test")


@pytest.mark.parametrize(
    ("amount", "quote", "rate", "expected"),
    [
        (Money("GBP", 400_000), "CNY", "9.1234", Money("CNY", 3_649_360)),  # exact
        (Money("GBP", 1), "CNY", "9.125", Money("CNY", 9)),  # 9.125 fen -> 9 (< .5)
        (Money("GBP", 2), "CNY", "1.25", Money("CNY", 2)),  # 2.5 -> 2 (half to even)
        (Money("GBP", 6), "CNY", "1.25", Money("CNY", 8)),  # 7.5 -> 8 (half to even)
        (Money("GBP", 10_000), "JPY", "192.355", Money("JPY", 19_236)),  # 19235.5 -> 19236
        (Money("GBP", 10_050), "JPY", "190", Money("JPY", 19_095)),  # 100.50 GBP, no yen cents
        (Money("GBP", 10_025), "JPY", "190", Money("JPY", 19_048)),  # 19047.5 -> 19048
        (Money("JPY", 19_048), "GBP", "0.00525", Money("GBP", 10_000)),  # 100.002 -> 100.00
        (Money("EUR", 100), "BHD", "0.4105", Money("BHD", 410)),  # 410.5 fils -> 410 (even)
        (Money("EUR", 100), "BHD", "0.4115", Money("BHD", 412)),  # 411.5 fils -> 412 (even)
        (Money("GBP", -150), "CNY", "9.1", Money("CNY", -1_365)),  # refunds never are, but exact
    ],
)
def test_ref7_convert_rounds_once_half_even_to_the_minor_unit(
    amount: Money, quote: str, rate: str, expected: Money
) -> None:
    assert convert(amount, quote, q(amount.currency, quote, rate)) == expected


def test_ref7_convert_is_exact_for_the_largest_amounts() -> None:
    # 10**18 - 1 fen at a 12-digit rate: a float or a 28-digit Decimal would lose digits.
    amount = Money("CNY", 10**18 - 1)
    rate = "0.123456789012"
    got = convert(amount, "GBP", q("CNY", "GBP", rate))
    # 123456789011999999.876543210988 pence: rounds up to ...012000000.
    assert got == Money("GBP", 123_456_789_012_000_000)
    big = convert(Money("CNY", 123_456_789_012_345_678), "GBP", q("CNY", "GBP", "1.5"))
    assert big == Money("GBP", 185_185_183_518_518_517)
    assert round(123_456_789_012_345_678 * 1.5) == 185_185_183_518_518_528  # a float's answer


@given(
    minor=st.integers(min_value=0, max_value=10**15),
    rate=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10000), places=6),
)
def test_ref7_convert_is_within_half_a_minor_unit(minor: int, rate: Decimal) -> None:
    got = convert(Money("GBP", minor), "CNY", q("GBP", "CNY", str(rate)))
    assert abs(Decimal(got.minor) - Decimal(minor) * rate) <= Decimal("0.5")


def test_ref7_same_currency_is_rate_one_from_identity() -> None:
    quote = identity("GBP", DAY)
    assert (quote.rate, quote.source, quote.rate_date) == (Decimal(1), "identity", DAY)
    assert convert(Money("GBP", 123), "GBP", quote) == Money("GBP", 123)
    book = book_of_rows([], "empty")
    assert book.quote("CNY", "CNY", DAY) == identity("CNY", DAY)


def test_ref7_a_quote_only_converts_its_own_pair() -> None:
    with pytest.raises(ValueError, match="cannot convert"):
        convert(Money("USD", 100), "CNY", q("GBP", "CNY", "9"))
    with pytest.raises(ValueError, match="cannot convert"):
        convert(Money("GBP", 100), "JPY", q("GBP", "CNY", "9"))


@pytest.mark.parametrize("rate", ["0", "-1", "NaN", "Infinity"])
def test_ref7_a_rate_is_positive_and_finite(rate: str) -> None:
    with pytest.raises(ValueError, match="positive finite"):
        q("GBP", "CNY", rate)


def test_ref7_rate_text_is_plain_decimal() -> None:
    assert q("GBP", "CNY", "9.12340").rate_text == "9.12340"
    assert q("GBP", "JPY", "2E+2").rate_text == "200"


def test_ref7_derived_rates_have_twelve_significant_digits() -> None:
    assert derived(Decimal("7.4326"), Decimal("0.8338")) == Decimal("8.91412808827")
    assert derived(Decimal(1), Decimal(3)) == Decimal("0.333333333333")
    assert len(derived(Decimal(1), Decimal(7)).as_tuple().digits) == DERIVED_DIGITS


RATES = """date,base,quote,rate
# Friday's rates
2026-11-20,GBP,CNY,9.1234
2026-11-20,GBP,JPY,203.5

2026-11-23,GBP,CNY,9.2
2026-11-24,GBP,JPY,204
"""


def test_ref7_rates_file_gives_the_days_rate_and_friday_for_the_weekend() -> None:
    book = book_of_rows(parse_rates_csv(RATES), "rates-file:test")

    friday = book.quote("GBP", "CNY", DAY)
    sunday = book.quote("GBP", "CNY", date(2026, 11, 22))
    monday = book.quote("GBP", "CNY", date(2026, 11, 23))

    assert (friday.rate, friday.rate_date) == (Decimal("9.1234"), DAY)
    assert (sunday.rate, sunday.rate_date, sunday.source) == (
        Decimal("9.1234"),
        DAY,
        "rates-file:test",
    )
    assert (monday.rate, monday.rate_date) == (Decimal("9.2"), date(2026, 11, 23))


@pytest.mark.parametrize(
    ("base", "quote", "on", "why"),
    [
        ("GBP", "JPY", date(2026, 11, 23), "no rate for business day 2026-11-23"),
        ("GBP", "CNY", date(2026, 11, 24), "end on 2026-11-23"),
        ("GBP", "JPY", date(2026, 11, 25), "end on 2026-11-24"),
        ("GBP", "CNY", date(2026, 11, 19), "start on 2026-11-20"),
        ("CNY", "GBP", DAY, "no rates for this pair"),  # each direction is listed
        ("GBP", "USD", DAY, "no rates for this pair"),
    ],
)
def test_ref7_rates_file_without_a_rate_is_unavailable_naming_pair_and_day(
    base: str, quote: str, on: date, why: str
) -> None:
    book = book_of_rows(parse_rates_csv(RATES), "rates-file:test")
    with pytest.raises(RateUnavailable) as raised:
        book.quote(base, quote, on)
    assert f"{base}->{quote}" in raised.value.detail
    assert on.isoformat() in raised.value.detail
    assert why in raised.value.detail
    assert raised.value.code == "rate_unavailable"


def test_ref7_rates_file_problems_are_all_listed_with_their_lines() -> None:
    text = "\n".join(
        [
            "date,base,quote,rate",
            "2026-11-20,GBP,CNY,9.1234",
            "20261120,GBP,CNY,9.1",  # 3: not an ISO date
            "2026-02-30,GBP,CNY,9.1",  # 4: no such day
            "2026-11-20,GBX,CNY,9.1",  # 5: not ISO 4217
            "2026-11-20,GBP,XAU,9.1",  # 6: not money
            "2026-11-20,GBP,CNY,0",  # 7: not positive
            "2026-11-20,GBP,CNY,-9.1",  # 8: not positive
            "2026-11-20,GBP,CNY,9.1234",  # 9: duplicate of line 2
            "2026-11-20,GBP,CNY",  # 10: 3 columns
            "2026-11-20,GBP,GBP,1",  # 11: same currency
            "2026-11-20,GBP,USD,1e3",  # 12: not a plain decimal
        ]
    )
    with pytest.raises(ValidationProblem) as raised:
        parse_rates_csv(text)
    found = [(p.field, p.rule) for p in raised.value.problems]
    assert found == [
        ("line 3", "iso_date"),
        ("line 4", "iso_date"),
        ("line 5", "iso_4217"),
        ("line 6", "iso_4217"),
        ("line 7", "positive_decimal"),
        ("line 8", "positive_decimal"),
        ("line 9", "duplicate"),
        ("line 10", "columns"),
        ("line 11", "same_currency"),
        ("line 12", "positive_decimal"),
    ]
    duplicate = raised.value.problems[6]
    assert "already on line 2" in duplicate.message


@pytest.mark.parametrize(
    ("text", "rule"),
    [("", "header"), ("rate,date,base,quote\n2026-11-20,GBP,CNY,9", "header")],
)
def test_ref7_rates_file_needs_its_header(text: str, rule: str) -> None:
    with pytest.raises(ValidationProblem) as raised:
        parse_rates_csv(text)
    assert raised.value.problems[0].rule == rule


def test_ref7_rates_file_with_no_rates_is_refused() -> None:
    with pytest.raises(ValidationProblem, match="no rates"):
        parse_rates_csv("date,base,quote,rate\n")


def test_ref6_route_parses_and_formats_canonically() -> None:
    route = PayoutRoute.parse("name: Acme GmbH ; IBAN:de89 3704 0044 0532 0130 00;bic:cobadeffxxx")
    assert route == PayoutRoute(iban="DE89370400440532013000", bic="COBADEFFXXX", name="Acme GmbH")
    assert route.format() == "iban:DE89370400440532013000;bic:COBADEFFXXX;name:Acme GmbH"
    assert PayoutRoute.parse(route.format()) == route


def test_ref6_route_problems_are_all_listed() -> None:
    with pytest.raises(ValidationProblem) as raised:
        PayoutRoute.parse("iban:DE89370400440532013001;bic:NOPE;color:blue;name:" + "x" * 71)
    assert [(p.field, p.rule) for p in raised.value.problems] == [
        ("route", "route_key"),
        ("route.iban", "iban"),
        ("route.bic", "bic"),
        ("route.name", "length"),
    ]
    with pytest.raises(ValidationProblem, match="an iban or an account"):
        PayoutRoute.parse("name:Acme")


def test_ref6_iban_check_digits() -> None:
    assert is_iban("GB29NWBK60161331926819")
    assert not is_iban("GB28NWBK60161331926819")
    assert not is_iban("gb29NWBK60161331926819")
