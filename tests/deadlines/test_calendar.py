from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from deadlines.calendar import BusinessCalendar

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
UK = BusinessCalendar(LONDON, holidays=holidays.country_holidays("GB", subdiv="ENG"))
US = BusinessCalendar(NEW_YORK, holidays=holidays.country_holidays("US"))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: ZoneInfo, *args: int) -> datetime:
    return datetime(*args, tzinfo=zone)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # Inside one day.
        (local(LONDON, 2026, 11, 23, 10), 4, local(LONDON, 2026, 11, 23, 14)),
        # Friday 16:00 + 4h: one hour on Friday, three on Monday.
        (local(LONDON, 2026, 11, 20, 16), 4, local(LONDON, 2026, 11, 23, 12)),
        # Across the spring clock change (29 March 2026): Monday in BST.
        (local(LONDON, 2026, 3, 27, 16), 4, utc(2026, 3, 30, 11)),
        # Before opening: the clock starts at 09:00.
        (local(LONDON, 2026, 11, 23, 6), 1, local(LONDON, 2026, 11, 23, 10)),
        # Over a weekend: starts Monday 09:00.
        (local(LONDON, 2026, 11, 22, 12), 8, local(LONDON, 2026, 11, 23, 17)),
        # Over Easter: Thursday 16:00 + 2h lands on Tuesday 10:00.
        (local(LONDON, 2026, 4, 2, 16), 2, local(LONDON, 2026, 4, 7, 10)),
        # Exactly the rest of the day ends at closing time, not the next morning.
        (local(LONDON, 2026, 11, 23, 9), 8, local(LONDON, 2026, 11, 23, 17)),
    ],
)
def test_adding_business_hours_counts_only_working_time(
    start: datetime, hours: int, expected: datetime
) -> None:
    assert UK.add_business_time(start, timedelta(hours=hours)) == expected


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (local(LONDON, 2026, 11, 20, 16), local(LONDON, 2026, 11, 23, 10), 2),
        (local(LONDON, 2026, 11, 21, 10), local(LONDON, 2026, 11, 22, 10), 0),
        (local(LONDON, 2026, 3, 27, 9), local(LONDON, 2026, 3, 30, 17), 16),
        (local(LONDON, 2026, 11, 23, 12), local(LONDON, 2026, 11, 23, 11), 0),
    ],
)
def test_business_time_between_ignores_nights_weekends_and_order(
    start: datetime, end: datetime, hours: int
) -> None:
    assert UK.business_time_between(start, end) == timedelta(hours=hours)


def test_adding_then_measuring_business_time_round_trips() -> None:
    start = local(LONDON, 2026, 3, 26, 15, 30)
    end = UK.add_business_time(start, timedelta(hours=13, minutes=15))
    assert UK.business_time_between(start, end) == timedelta(hours=13, minutes=15)


ROUND_THE_CLOCK = frozenset(range(7)), time(0, 0), time(23, 59)
PARIS = ZoneInfo("Europe/Paris")


def round_the_clock(zone: ZoneInfo) -> BusinessCalendar:
    days, opens, closes = ROUND_THE_CLOCK
    return BusinessCalendar(zone, working_days=days, opens=opens, closes=closes)


@pytest.mark.parametrize(
    ("zone", "start", "hours", "expected"),
    [
        # UK spring change (29 March): the day has 23 hours; 24 h later is 12:00 UTC.
        (LONDON, local(LONDON, 2026, 3, 28, 12), 24, utc(2026, 3, 29, 12)),
        # UK autumn change (25 October): the day has 25 hours; 24 h later is 11:00 UTC.
        (LONDON, local(LONDON, 2026, 10, 24, 12), 24, utc(2026, 10, 25, 11)),
        # US spring change (8 March): 12:00 EST is 17:00 UTC, and 24 h later 17:00 UTC.
        (NEW_YORK, local(NEW_YORK, 2026, 3, 7, 12), 24, utc(2026, 3, 8, 17)),
        # US autumn change (1 November): 12:00 EDT is 16:00 UTC.
        (NEW_YORK, local(NEW_YORK, 2026, 10, 31, 12), 24, utc(2026, 11, 1, 16)),
        # EU autumn change (25 October): 12:00 CEST is 10:00 UTC.
        (PARIS, local(PARIS, 2026, 10, 24, 12), 24, utc(2026, 10, 25, 10)),
        # EU spring change (29 March), 72 h: 12:00 CET is 11:00 UTC.
        (PARIS, local(PARIS, 2026, 3, 27, 12), 72, utc(2026, 3, 30, 11)),
        # Midnight itself is working time: 23:30 + 1 h is 00:30 the next day.
        (LONDON, local(LONDON, 2026, 11, 23, 23, 30), 1, utc(2026, 11, 24, 0, 30)),
    ],
)
def test_round_the_clock_business_time_is_absolute_time_across_daylight_saving(
    zone: ZoneInfo, start: datetime, hours: int, expected: datetime
) -> None:
    assert round_the_clock(zone).add_business_time(start, timedelta(hours=hours)) == expected


@pytest.mark.parametrize(
    ("zone", "start", "end", "hours"),
    [
        # From Saturday midnight to Monday midnight over the spring change: 24 + 23 hours.
        (LONDON, local(LONDON, 2026, 3, 28), local(LONDON, 2026, 3, 30), 47),
        # Over the autumn change: 24 + 25 hours.
        (LONDON, local(LONDON, 2026, 10, 24), local(LONDON, 2026, 10, 26), 49),
        (NEW_YORK, local(NEW_YORK, 2026, 11, 1), local(NEW_YORK, 2026, 11, 2), 25),
        (PARIS, local(PARIS, 2026, 3, 29), local(PARIS, 2026, 3, 30), 23),
    ],
)
def test_round_the_clock_elapsed_business_time_counts_real_hours(
    zone: ZoneInfo, start: datetime, end: datetime, hours: int
) -> None:
    assert round_the_clock(zone).business_time_between(start, end) == timedelta(hours=hours)


def test_tenant_closures_are_not_business_hours() -> None:
    calendar = BusinessCalendar(LONDON, holidays={date(2026, 11, 23)})
    # Friday 16:00 + 2 h: one hour on Friday, Monday closed, one hour on Tuesday.
    assert calendar.add_business_time(local(LONDON, 2026, 11, 20, 16), timedelta(hours=2)) == (
        local(LONDON, 2026, 11, 24, 10)
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"opens": time(17), "closes": time(9)}, {"working_days": frozenset()}],
)
def test_impossible_calendars_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(LONDON, **kwargs)  # type: ignore[arg-type]
