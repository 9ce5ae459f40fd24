"""REF-5/REF-6: deadlines in business days skip weekends and the market's holidays."""

from __future__ import annotations

from datetime import UTC, date, datetime

from depositdesk.domain.calendar import BusinessCalendar


def test_ref5_gb_review_deadline_skips_christmas_and_boxing_day_observed() -> None:
    gb = BusinessCalendar("GB", "Europe/London")
    # Thu 24 Dec 2026: Fri 25 holiday, weekend, Mon 28 Boxing Day (observed) -> 29, 30, 31
    assert gb.add_business_days(date(2026, 12, 24), 3) == date(2026, 12, 31)


def test_ref5_cn_national_day_week_is_not_business_days() -> None:
    cn = BusinessCalendar("CN", "Asia/Shanghai")
    assert cn.add_business_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_ref5_us_thanksgiving() -> None:
    us = BusinessCalendar("US", "America/New_York")
    assert us.add_business_days(date(2026, 11, 25), 1) == date(2026, 11, 27)


def test_deadline_is_the_end_of_the_local_business_day() -> None:
    gb = BusinessCalendar("GB", "Europe/London")
    # 23:30 UTC on Fri 3 July 2026 is already Sat 4 July 00:30 in London (BST)
    start = datetime(2026, 7, 3, 23, 30, tzinfo=UTC)
    assert gb.local_date(start) == date(2026, 7, 4)
    # Sat -> Mon 6 (1), Tue 7 (2), Wed 8 (3); ends at London midnight = 23:00 UTC
    assert gb.business_deadline(start, 3) == datetime(2026, 7, 8, 23, 0, tzinfo=UTC)
