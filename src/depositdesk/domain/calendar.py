"""Business days per market, from the `holidays` package (REF-5, REF-6).

A deadline "in N business days" skips weekends and the market's public holidays,
counted in the market's own time zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from depositdesk.domain.clock import utc


class BusinessCalendar:
    def __init__(self, country: str, timezone: str, subdivision: str | None = None) -> None:
        self.country = country
        self.zone = ZoneInfo(timezone)
        self._holidays = _holidays_for(country, subdivision)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays

    def local_date(self, at: datetime) -> date:
        return utc(at).astimezone(self.zone).date()

    def add_business_days(self, start: date, days: int) -> date:
        """The date `days` business days after `start` (start itself not counted)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_business_day(current):
                remaining -= 1
        return current

    def end_of_business_day(self, day: date) -> datetime:
        """Local midnight ending `day`, as UTC: the moment a "by day D" deadline passes."""
        local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)
        return utc(local)

    def business_deadline(self, start: datetime, days: int) -> datetime:
        """End of the `days`-th business day after the local date of `start`."""
        return self.end_of_business_day(self.add_business_days(self.local_date(start), days))


@lru_cache(maxsize=32)
def _holidays_for(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision, years=range(2020, 2041))
