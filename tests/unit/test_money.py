"""DEP-2: exact money in minor units; wrong decimals refused, not rounded."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.money import Money, check_currency, currency_exponent


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("5000.00", "CNY", 500000),
        ("0.01", "GBP", 1),
        ("500", "JPY", 500),
        ("-1.50", "USD", -150),
        ("1.234", "BHD", 1234),
    ],
)
def test_dep2_parse_exact_minor_units(text: str, currency: str, minor: int) -> None:
    assert Money.parse(text, currency) == Money(currency, minor)


@pytest.mark.parametrize(
    ("text", "currency", "rule"),
    [
        ("5000.0", "CNY", "currency_precision"),
        ("5000", "GBP", "currency_precision"),
        ("5.00", "JPY", "currency_precision"),
        ("1e3", "USD", "decimal_string"),
        ("01.00", "USD", "decimal_string"),
        (" 1.00", "USD", "decimal_string"),
    ],
)
def test_dep2_wrong_decimals_are_refused_not_rounded(text: str, currency: str, rule: str) -> None:
    with pytest.raises(ValidationProblem) as info:
        Money.parse(text, currency)
    assert info.value.problems[0].rule == rule


def test_dep2_floats_and_unknown_currencies_are_refused() -> None:
    with pytest.raises(ValidationProblem):
        Money.parse(5.0, "USD")
    with pytest.raises(ValidationProblem) as info:
        Money.parse("5.00", "XYZ")
    assert info.value.problems[0].rule == "iso_4217"


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(["GBP", "CNY", "USD", "JPY", "BHD"]),
)
def test_dep2_format_and_parse_round_trip(minor: int, currency: str) -> None:
    money = Money(currency, minor)
    assert Money.parse(money.format(), currency) == money


@given(
    st.integers(min_value=-(10**17), max_value=10**17),
    st.sampled_from(["GBP", "CNY", "USD", "JPY", "BHD", "CLF"]),
)
def test_dep2_format_is_the_exact_decimal_in_major_units(minor: int, currency: str) -> None:
    """The text a notice, a webhook and the API show: sign, whole units and exactly the
    currency's minor digits, as Decimal writes the same value."""
    exponent = currency_exponent(currency)
    expected = f"{Decimal(minor).scaleb(-exponent):.{exponent}f}"
    assert Money(currency, minor).format() == expected


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [(-5, "USD", "-0.05"), (0, "GBP", "0.00"), (-500, "JPY", "-500"), (1, "BHD", "0.001")],
)
def test_dep2_format_examples(minor: int, currency: str, text: str) -> None:
    assert Money(currency, minor).format() == text


def test_money_refuses_to_mix_currencies() -> None:
    with pytest.raises(ValueError):
        Money("GBP", 1) + Money("USD", 1)


NOT_MONEY = [
    "XXX",
    "XTS",
    "XAU",
    "XAG",
    "XPD",
    "XPT",
    "XDR",
    "XSU",
    "XUA",
    "XBA",
    "XBB",
    "XBC",
    "XBD",
]


@pytest.mark.parametrize("code", NOT_MONEY)
def test_dep2_iso_codes_that_are_not_money_are_refused_as_a_currency(code: str) -> None:
    """No currency, testing, metals, SDRs and units of account: ISO 4217 codes that no
    deposit can be held or paid in (issue 9)."""
    with pytest.raises(ValidationProblem) as info:
        check_currency(code, "currency")
    problem = info.value.problems[0]
    assert (problem.field, problem.rule) == ("currency", "iso_4217")
    assert f"{code} is an ISO 4217 code for" in problem.message
    assert "not a currency money can be held or paid in" in problem.message
    with pytest.raises(ValidationProblem):
        Money.parse("1.00", code)
