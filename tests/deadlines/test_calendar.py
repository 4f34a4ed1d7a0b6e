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
    ("received", "count", "expected"),
    [
        # Thursday before Easter: Good Friday and Easter Monday do not count.
        (local(LONDON, 2026, 4, 2, 10), 3, local(LONDON, 2026, 4, 9, 17)),
        # Friday afternoon: the weekend does not count.
        (local(LONDON, 2026, 11, 20, 16), 3, local(LONDON, 2026, 11, 25, 17)),
        # Received on a Saturday: counting starts from Monday.
        (local(LONDON, 2026, 11, 21, 11), 1, local(LONDON, 2026, 11, 23, 17)),
        # Received late on a working day in UTC terms but after midnight in London (BST).
        (utc(2026, 6, 1, 23, 30), 1, local(LONDON, 2026, 6, 3, 17)),
        # Christmas: 25, 26 (Sat), 28 (Boxing Day observed) are not business days.
        (local(LONDON, 2026, 12, 24, 9), 3, local(LONDON, 2026, 12, 31, 17)),
        # Payment services: 15 business days, across the late-May bank holiday.
        (local(LONDON, 2026, 5, 15, 12), 15, local(LONDON, 2026, 6, 8, 17)),
    ],
)
def test_close_of_nth_business_day_skips_weekends_and_holidays(
    received: datetime, count: int, expected: datetime
) -> None:
    assert UK.close_of_nth_business_day_after(received, count) == expected


@pytest.mark.parametrize(
    ("calendar", "received", "days", "expected_utc"),
    [
        # 8 weeks across the October clock change: the deadline is end of day in GMT.
        (UK, local(LONDON, 2026, 10, 1, 10), 56, utc(2026, 11, 26, 23, 59, 59)),
        # 8 weeks across the March clock change: end of day in BST.
        (UK, local(LONDON, 2026, 3, 2, 10), 56, utc(2026, 4, 27, 22, 59, 59)),
        # DOT 30 days across the US November change.
        (US, local(NEW_YORK, 2026, 10, 15, 10), 30, utc(2026, 11, 15, 4, 59, 59)),
        # Calendar clocks ignore weekends and holidays.
        (US, local(NEW_YORK, 2026, 12, 20, 10), 15, utc(2027, 1, 5, 4, 59, 59)),
    ],
)
def test_calendar_day_clocks_end_at_local_midnight_whatever_the_offset(
    calendar: BusinessCalendar, received: datetime, days: int, expected_utc: datetime
) -> None:
    assert calendar.end_of_calendar_days_after(received, days) == expected_utc


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


def test_tenant_closures_count_as_holidays() -> None:
    closures = {date(2026, 11, 23)}
    calendar = BusinessCalendar(LONDON, holidays=closures)
    assert calendar.close_of_nth_business_day_after(local(LONDON, 2026, 11, 20, 9), 1) == local(
        LONDON, 2026, 11, 24, 17
    )


def test_six_day_working_week_counts_saturdays() -> None:
    calendar = BusinessCalendar(LONDON, working_days=frozenset(range(6)))
    assert calendar.close_of_nth_business_day_after(local(LONDON, 2026, 11, 20, 9), 1) == local(
        LONDON, 2026, 11, 21, 17
    )


@pytest.mark.parametrize(
    "kwargs",
    [{"opens": time(17), "closes": time(9)}, {"working_days": frozenset()}],
)
def test_impossible_calendars_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(LONDON, **kwargs)  # type: ignore[arg-type]
