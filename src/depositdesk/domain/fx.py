"""Exchange rates and exact conversion (REF-7). Pure: no files, no network.

A refund is paid in the destination account's currency at the rate of the payout
day, from a recorded source; the quote keeps the rate, the date it is *of* (which
may be earlier than the payout day: a Saturday uses Friday's rate) and the source,
so the payout can store all three and be recomputed from them.

Precision
- A rate is a `Decimal`, never a float. Rates read from a source keep the digits
  the source wrote (ECB reference rates have at most 6 significant digits; a rates
  file may give up to 12 integer and 12 fractional digits).
- A rate derived from others (the inverse of a listed rate, or a cross rate through
  EUR such as GBP→CNY = EUR→CNY / EUR→GBP) is rounded once to `DERIVED_DIGITS` (12)
  significant digits, half-even. That derived rate is the one the quote carries, so
  storing it is enough to recompute the payout exactly.
- `convert` multiplies exactly (no intermediate rounding: the product is computed
  with enough digits and checked to be exact) and rounds once, half-even, to the
  quote currency's minor unit (ISO 4217 exponent: 2 for GBP, 0 for JPY, 3 for BHD).
"""

from __future__ import annotations

import bisect
import csv
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, localcontext

from depositdesk.domain.errors import DomainError, FieldProblem, ValidationProblem
from depositdesk.domain.money import Money, check_currency, currency_exponent

IDENTITY_SOURCE = "identity"
DERIVED_DIGITS = 12
# Enough digits for any product of an amount (at most 10**18 minor units) and a
# rate (at most 24 digits) to be exact; `Inexact` is trapped to prove it.
_EXACT = Context(prec=80, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation])

Pair = tuple[str, str]


class RateUnavailable(DomainError):
    """No rate for a currency pair on a day (REF-7): nothing is converted or paid."""

    code = "rate_unavailable"
    status = 409

    def __init__(self, base: str, quote: str, on: date, why: str = "") -> None:
        self.base = base
        self.quote = quote
        self.on = on
        detail = f"no {base}->{quote} exchange rate for {on.isoformat()}"
        super().__init__(f"{detail}: {why}" if why else detail)


@dataclass(frozen=True, slots=True)
class FxQuote:
    """1 `base` = `rate` `quote`, the rate of `rate_date`, from `source`."""

    base: str
    quote: str
    rate: Decimal
    rate_date: date
    source: str

    def __post_init__(self) -> None:
        check_currency(self.base, "base")
        check_currency(self.quote, "quote")
        if not isinstance(self.rate, Decimal) or not self.rate.is_finite() or self.rate <= 0:
            raise ValueError(f"an exchange rate is a positive finite Decimal, not {self.rate!r}")
        if self.base == self.quote and self.rate != 1:
            raise ValueError(f"{self.base}->{self.quote} can only be rate 1")
        if not self.source:
            raise ValueError("an exchange rate needs its source")

    @property
    def rate_text(self) -> str:
        """The rate as plain decimal text (never exponent notation), for storing."""
        return format(self.rate, "f")


def identity(currency: str, on: date) -> FxQuote:
    """Same currency: rate 1, source `identity`."""
    return FxQuote(currency, currency, Decimal(1), on, IDENTITY_SOURCE)


def convert(amount: Money, quote_currency: str, quote: FxQuote) -> Money:
    """`amount` in `quote_currency` at `quote`: exact product, one half-even rounding
    to the quote currency's minor unit."""
    if quote.base != amount.currency or quote.quote != quote_currency:
        raise ValueError(
            f"a {quote.base}->{quote.quote} quote cannot convert "
            f"{amount.currency} to {quote_currency}"
        )
    shift = currency_exponent(quote_currency) - currency_exponent(amount.currency)
    with localcontext(_EXACT):
        exact = Decimal(amount.minor) * quote.rate
        exact = exact.scaleb(shift)
    minor = exact.quantize(Decimal(1), rounding=ROUND_HALF_EVEN, context=Context(prec=80))
    return Money(quote_currency, int(minor))


def derived(numerator: Decimal, denominator: Decimal) -> Decimal:
    """A derived rate, `numerator / denominator` (an inverse 1/r or a cross rate
    through EUR), correctly rounded once to `DERIVED_DIGITS` significant digits,
    half-even."""
    with localcontext(Context(prec=DERIVED_DIGITS, rounding=ROUND_HALF_EVEN)):
        return numerator / denominator


def weekdays(day: date) -> bool:
    """Monday to Friday: the business days of a rates file."""
    return day.weekday() < 5


@dataclass(frozen=True, slots=True)
class Series:
    """The rates of one pair by date, sorted, for the "latest on or before" search."""

    dates: tuple[date, ...]
    rates: tuple[Decimal, ...]

    @classmethod
    def of(cls, by_date: Mapping[date, Decimal]) -> Series:
        days = tuple(sorted(by_date))
        return cls(days, tuple(by_date[d] for d in days))


class RateBook:
    """Rates by pair and date, answering `quote(base, quote, on)` (a `RateSource`).

    The rate of day `on` when there is one; else the latest earlier rate when only
    non-business days lie between (a Saturday and Sunday use Friday's rate; the
    quote's `rate_date` says so). A business day without a rate, a day before the
    first rate or after the last one (beyond such a gap) is `RateUnavailable`.
    With `stale_ok`, a day after the book's last date uses the rate of that last
    date (the sandbox, whose clock runs past shipped data); the source then says
    `stale`. A pair whose rates stopped before the book's last date never does.
    """

    def __init__(
        self,
        series: Mapping[Pair, Series],
        source: str,
        is_business_day: Callable[[date], bool] = weekdays,
        *,
        stale_ok: bool = False,
        last_date: date | None = None,
    ) -> None:
        self._series = dict(series)
        self.source = source
        self._is_business_day = is_business_day
        self.stale_ok = stale_ok
        ends = [s.dates[-1] for s in self._series.values() if s.dates]
        self.last_date = last_date or (max(ends) if ends else None)

    def pairs(self) -> list[Pair]:
        return sorted(self._series)

    def series(self, base: str, quote: str) -> Series | None:
        """The rates of a pair, or None; a subclass may derive pairs here."""
        return self._series.get((base, quote))

    def quote(self, base: str, quote: str, on: date) -> FxQuote:
        if base == quote:
            check_currency(base, "base")
            return identity(base, on)
        series = self.series(base, quote)
        if series is None or not series.dates:
            raise RateUnavailable(base, quote, on, f"{self.source} has no rates for this pair")
        at = bisect.bisect_right(series.dates, on) - 1
        if at < 0:
            raise RateUnavailable(
                base,
                quote,
                on,
                f"the rates of {self.source} for this pair start on {series.dates[0].isoformat()}",
            )
        rate_date = series.dates[at]
        gap = _business_days_between(rate_date, on, self._is_business_day)
        source = self.source
        if gap:
            after_end = at == len(series.dates) - 1
            stale = after_end and self.stale_ok and rate_date == self.last_date
            if not stale:
                why = (
                    f"the rates of {self.source} for this pair end on {rate_date.isoformat()}"
                    if after_end
                    else f"{self.source} has no rate for business day {gap[0].isoformat()}"
                )
                raise RateUnavailable(base, quote, on, why)
            source = f"{self.source} stale, ends {rate_date.isoformat()}"
        return FxQuote(base, quote, series.rates[at], rate_date, source[:80])


def _business_days_between(
    start: date, end: date, is_business_day: Callable[[date], bool]
) -> list[date]:
    """The business days after `start` up to and including `end` (at most a few are
    looked at: the first one found is enough to refuse)."""
    found: list[date] = []
    day = start
    while day < end and not found:
        day = date.fromordinal(day.toordinal() + 1)
        if is_business_day(day):
            found.append(day)
    return found


# --- the operator's rates file -------------------------------------------------

RATES_HEADER = ("date", "base", "quote", "rate")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RATE = re.compile(r"[0-9]{1,12}(?:\.[0-9]{1,12})?")


@dataclass(frozen=True, slots=True)
class RateRow:
    line: int
    on: date
    base: str
    quote: str
    rate: Decimal


def parse_rates_csv(text: str) -> list[RateRow]:
    """Read an operator's rates file: a header `date,base,quote,rate`, then one rate a
    line (`2026-11-20,GBP,CNY,9.1234`: 1 GBP = 9.1234 CNY on that day). Blank lines
    and lines starting with `#` are skipped. Every problem is listed with its line
    (`ValidationProblem`, field `line N`); nothing is loaded when there is one."""
    problems: list[FieldProblem] = []
    rows: list[RateRow] = []
    seen: dict[tuple[date, str, str], int] = {}
    header_seen = False
    for number, cells in enumerate(csv.reader(text.splitlines()), start=1):
        values = [cell.strip() for cell in cells]
        if not any(values) or values[0].startswith("#"):
            continue
        where = f"line {number}"
        if not header_seen:
            header_seen = True
            if tuple(v.lower() for v in values) != RATES_HEADER:
                problems.append(
                    FieldProblem(where, "header", "the first line must be date,base,quote,rate")
                )
            continue
        if len(values) != 4:
            problems.append(
                FieldProblem(where, "columns", f"expected 4 columns, found {len(values)}")
            )
            continue
        row = _row(number, values, problems)
        if row is None:
            continue
        key = (row.on, row.base, row.quote)
        if key in seen:
            problems.append(
                FieldProblem(
                    where,
                    "duplicate",
                    f"{row.base}->{row.quote} on {row.on.isoformat()} is already on "
                    f"line {seen[key]}",
                )
            )
            continue
        seen[key] = number
        rows.append(row)
    if not header_seen:
        problems.append(FieldProblem("line 1", "header", "the file is empty"))
    elif not rows and not problems:
        problems.append(FieldProblem("line 2", "no_rates", "the file holds no rates"))
    if problems:
        raise ValidationProblem(problems)
    return rows


def _row(number: int, values: list[str], problems: list[FieldProblem]) -> RateRow | None:
    where = f"line {number}"
    day_text, base, quote, rate_text = values
    before = len(problems)
    day: date | None = None
    if _DATE.fullmatch(day_text):
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            day = None
    if day is None:
        problems.append(
            FieldProblem(where, "iso_date", f"date {day_text!r} is not a date like 2026-11-20")
        )
    for column, code in (("base", base), ("quote", quote)):
        try:
            check_currency(code, column)
        except ValidationProblem:
            problems.append(
                FieldProblem(where, "iso_4217", f"{column} {code!r} is not an ISO 4217 currency")
            )
    if base == quote and base:
        problems.append(FieldProblem(where, "same_currency", f"base and quote are both {base}"))
    rate: Decimal | None = None
    if _RATE.fullmatch(rate_text):
        rate = Decimal(rate_text)
    if rate is None or rate <= 0:
        problems.append(
            FieldProblem(
                where,
                "positive_decimal",
                f"rate {rate_text!r} is not a positive decimal like 9.1234",
            )
        )
    if len(problems) > before or day is None or rate is None:
        return None
    return RateRow(number, day, base, quote, rate)


def book_of_rows(rows: Iterable[RateRow], source: str) -> RateBook:
    """A `RateBook` of the rows as listed (each direction you pay in must be listed)."""
    by_pair: dict[Pair, dict[date, Decimal]] = {}
    for row in rows:
        by_pair.setdefault((row.base, row.quote), {})[row.on] = row.rate
    return RateBook({pair: Series.of(rates) for pair, rates in by_pair.items()}, source)
