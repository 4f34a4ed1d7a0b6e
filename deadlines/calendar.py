"""Business-time arithmetic in a tenant's own calendar: working week, hours, holidays,
closures. It serves the tenant's SLA targets only; regulators count their own business days
(``deadlines.regulation``).

Each local day's working window is placed on its own date in the tenant's time zone, and
all sums and differences are done in absolute time (UTC), so a day with a daylight-saving
change has 23 or 25 hours of round-the-clock business time, as a stopwatch would measure.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Far enough for any SLA target with long closures.
MAX_DAYS_SCANNED = 3 * 366
# A closing time from 23:59 on means open until midnight (round-the-clock hours).
MIDNIGHT_CLOSING = time(23, 59)


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

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.time_zone).date()

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.working_days and day not in self.holidays

    def at(self, day: date, clock: time) -> datetime:
        """``clock`` o'clock on ``day`` in the tenant's time zone, as a UTC instant."""
        return datetime.combine(day, clock, tzinfo=self.time_zone).astimezone(UTC)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of ``day`` as UTC instants, or None on a closed day.

        A closing time of 23:59 or later runs to the next local midnight."""
        if not self.is_business_day(day):
            return None
        closes = (
            self.at(day + timedelta(days=1), time())
            if self.closes >= MIDNIGHT_CLOSING
            else self.at(day, self.closes)
        )
        return self.at(day, self.opens), closes

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant ``duration`` of working time after ``start`` (returned in UTC).

        Raises ValueError when it does not fit in three years of business hours."""
        remaining = duration
        start = start.astimezone(UTC)
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
        start, end = start.astimezone(UTC), end.astimezone(UTC)
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
