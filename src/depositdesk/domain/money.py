"""Money in integer minor units per ISO 4217 currency (rule DEP-2).

Amounts travel as decimal strings in major units ("5000.00"). A string with the
wrong number of decimals for its currency is refused, never rounded: a money
system that silently rounds loses cents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from babel.numbers import get_currency_precision, is_currency

from depositdesk.domain.errors import ValidationProblem

_AMOUNT = re.compile(r"(-)?(0|[1-9][0-9]{0,17})(?:\.([0-9]{1,18}))?")
_CURRENCY = re.compile(r"[A-Z]{3}")
_EXPONENTS: dict[str, int] = {}
# ISO 4217 codes that are not money a deposit can be held in, with what each is.
NOT_MONEY: dict[str, str] = {
    "XXX": "no currency",
    "XTS": "the code reserved for testing",
    "XAU": "gold",
    "XAG": "silver",
    "XPD": "palladium",
    "XPT": "platinum",
    "XDR": "the IMF's special drawing right",
    "XSU": "the SUCRE unit of account",
    "XUA": "the ADB unit of account",
    "XBA": "a European bond-market unit",
    "XBB": "a European bond-market unit",
    "XBC": "a European bond-market unit",
    "XBD": "a European bond-market unit",
}


def currency_exponent(currency: str) -> int:
    """Number of minor digits of an ISO 4217 currency (2 for GBP, 0 for JPY)."""
    exponent = _EXPONENTS.get(currency)
    if exponent is None:
        check_currency(currency)
        exponent = int(get_currency_precision(currency))
        _EXPONENTS[currency] = exponent
    return exponent


def check_currency(currency: str, field: str = "currency") -> str:
    """Return the code if it is an ISO 4217 currency that is money, else raise."""
    if isinstance(currency, str) and currency in NOT_MONEY:
        raise ValidationProblem(
            field,
            "iso_4217",
            f"{currency} is an ISO 4217 code for {NOT_MONEY[currency]}, not a currency "
            "money can be held or paid in",
        )
    if (
        not isinstance(currency, str)
        or not _CURRENCY.fullmatch(currency)
        or not is_currency(currency)
    ):
        raise ValidationProblem(field, "iso_4217", f"{currency!r} is not an ISO 4217 currency code")
    return currency


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An exact amount: `minor` units of `currency` (pence for GBP, fen for CNY)."""

    currency: str
    minor: int

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(currency, 0)

    @classmethod
    def parse(cls, amount: object, currency: object, field: str = "amount") -> Money:
        """Parse a decimal string with exactly the currency's minor digits."""
        if not isinstance(currency, str):
            raise ValidationProblem(
                field.rsplit(".", 1)[0] + ".currency" if "." in field else "currency",
                "iso_4217",
                "currency must be a string",
            )
        exponent = currency_exponent(currency)
        if not isinstance(amount, str):
            raise ValidationProblem(
                field,
                "decimal_string",
                f"amount must be a decimal string such as {example(currency)!r}, not a number",
            )
        match = _AMOUNT.fullmatch(amount)
        if match is None:
            raise ValidationProblem(
                field,
                "decimal_string",
                f"{amount!r} is not a decimal amount such as {example(currency)!r}",
            )
        sign, whole, fraction = match.groups()
        digits = len(fraction) if fraction is not None else 0
        if digits != exponent:
            raise ValidationProblem(
                field,
                "currency_precision",
                f"{currency} amounts have exactly {exponent} decimal places "
                f"(e.g. {example(currency)!r}); got {amount!r}",
            )
        minor = int(whole) * 10**exponent + (int(fraction) if fraction else 0)
        return cls(currency, -minor if sign else minor)

    def format(self) -> str:
        """The amount as a decimal string in major units, e.g. '5000.00'."""
        exponent = currency_exponent(self.currency)
        if exponent == 0:
            return str(self.minor)
        whole, fraction = divmod(abs(self.minor), 10**exponent)
        sign = "-" if self.minor < 0 else ""
        return f"{sign}{whole}.{fraction:0{exponent}d}"

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.minor + other.minor)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.currency, self.minor - other.minor)

    def __neg__(self) -> Money:
        return Money(self.currency, -self.minor)

    def max0(self) -> Money:
        """The amount, or zero when negative."""
        return self if self.minor > 0 else Money(self.currency, 0)

    def is_positive(self) -> bool:
        return self.minor > 0

    def __str__(self) -> str:
        return f"{self.format()} {self.currency}"


@lru_cache(maxsize=256)  # a market's amount limit, asked once per event ingested
def major(currency: str, units: int) -> Money:
    """`units` whole units of the currency (pounds, yuan), exactly."""
    return Money(currency, units * 10 ** currency_exponent(currency))


def example(currency: str) -> str:
    exponent = currency_exponent(currency)
    return "5000" if exponent == 0 else "5000." + "0" * exponent
