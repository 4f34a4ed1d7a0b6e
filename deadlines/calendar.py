"""Business-time arithmetic in a tenant's calendar: working week, hours, holidays, closures.

All arithmetic walks local calendar days and converts each day's working window to aware
datetimes on its own date, so daylight-saving changes fall where they belong.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Far enough for any regulatory clock (35 business days, 60 calendar days) with long closures.
MAX_DAYS_SCANNED = 3 * 366
END_OF_DAY = time(23, 59, 59)


class NoHolidays:
    def __contains__(self, day: object) -> bool:
        return False


@dataclass(frozen=True)
class BusinessCalendar:
    time_zone: ZoneInfo
    working_days: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday is 0
    opens: time = time(9, 0)
    closes: time = time(17, 0)
    holidays: Container[date] = field(default_factory=NoHolidays)

    def __post_init__(self) -> None:
        if self.opens >= self.closes:
            raise ValueError("Business hours must open before they close.")
        if not self.working_days:
            raise ValueError("At least one working day is needed.")

    # --- days ---------------------------------------------------------------------------

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.time_zone).date()

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def business_days_after(self, day: date) -> Iterator[date]:
        """The business days following ``day``, in order."""
        for offset in range(1, MAX_DAYS_SCANNED):
            candidate = day + timedelta(days=offset)
            if self.is_business_day(candidate):
                yield candidate
        raise ValueError("No business day found within three years; check the calendar.")

    def close_of_nth_business_day_after(self, moment: datetime, count: int) -> datetime:
        """Close of business on the ``count``-th business day after the day of ``moment``."""
        days = self.business_days_after(self.local_date(moment))
        target = next(day for number, day in enumerate(days, start=1) if number == count)
        return self.at(target, self.closes)

    def end_of_calendar_days_after(self, moment: datetime, count: int) -> datetime:
        """The end of the local day ``count`` calendar days after the day of ``moment``."""
        return self.at(self.local_date(moment) + timedelta(days=count), END_OF_DAY)

    def at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.time_zone)

    # --- business hours -----------------------------------------------------------------

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of ``day`` as aware datetimes, or None on a closed day."""
        if not self.is_business_day(day):
            return None
        return self.at(day, self.opens), self.at(day, self.closes)

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of working time after ``start``."""
        remaining = duration
        day = self.local_date(start)
        for _ in range(MAX_DAYS_SCANNED):
            window = self.window(day)
            if window is not None:
                opens, closes = window
                begin = max(start, opens)
                if begin < closes:
                    available = closes - begin
                    if remaining <= available:
                        return begin + remaining
                    remaining -= available
            day += timedelta(days=1)
        raise ValueError("The duration does not fit in three years of business hours.")

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time elapsed from ``start`` to ``end`` (zero if ``end`` is earlier)."""
        total = timedelta()
        if end <= start:
            return total
        day, last = self.local_date(start), self.local_date(end)
        while day <= last:
            window = self.window(day)
            if window is not None:
                begin, finish = max(start, window[0]), min(end, window[1])
                if begin < finish:
                    total += finish - begin
            day += timedelta(days=1)
        return total
