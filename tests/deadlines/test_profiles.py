"""The clocks of each regulatory profile, computed in a business calendar (REGULATORY.md).

Every expected date below was worked out by hand from a 2026 calendar: Easter 2026 is
Good Friday 3 April and Easter Monday 6 April; the UK clocks change on 29 March and
25 October, the US clocks on 8 March and 1 November.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest

from deadlines.calendar import BusinessCalendar
from deadlines.models import Clock
from deadlines.profiles import PROFILE_CLOCKS, ClockFacts, regulatory_due_dates
from tenancy.models import RegulatoryProfile

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
UK = BusinessCalendar(LONDON, holidays=holidays.country_holidays("GB", subdiv="ENG"))
US = BusinessCalendar(NEW_YORK, holidays=holidays.country_holidays("US"))

ACK = Clock.ACKNOWLEDGEMENT
SUMMARY = Clock.SUMMARY_RESOLUTION
FINAL = Clock.FINAL_RESPONSE
INITIAL = Clock.INITIAL_RESPONSE
ADR = Clock.ADR_LETTER


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def new_york(*args: int) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def eod(zone: ZoneInfo, year: int, month: int, day: int) -> datetime:
    """The last second of a local day."""
    return datetime(year, month, day, 23, 59, 59, tzinfo=zone)


def fca(ack: datetime, summary: datetime, final: datetime) -> dict[Clock, tuple[datetime, bool]]:
    return {ACK: (ack, True), SUMMARY: (summary, False), FINAL: (final, True)}


CASES: list[Any] = [
    # --- uk_fca, ordinary complaints: 1 business day, 3 business days, 8 calendar weeks -----
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 4, 2, 10)),
        fca(london(2026, 4, 7, 17), london(2026, 4, 9, 17), eod(LONDON, 2026, 5, 28)),
        id="fca-thursday-before-easter-skips-good-friday-and-easter-monday",
    ),
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 11, 21, 11)),
        fca(london(2026, 11, 23, 17), london(2026, 11, 25, 17), eod(LONDON, 2027, 1, 16)),
        id="fca-received-on-saturday-counts-from-monday",
    ),
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 5, 3, 14)),
        fca(london(2026, 5, 5, 17), london(2026, 5, 7, 17), eod(LONDON, 2026, 6, 28)),
        id="fca-sunday-before-early-may-bank-holiday",
    ),
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 12, 24, 9)),
        fca(london(2026, 12, 29, 17), london(2026, 12, 31, 17), eod(LONDON, 2027, 2, 18)),
        id="fca-christmas-eve-skips-christmas-and-boxing-day-observed",
    ),
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 3, 27, 16)),
        # Received in GMT, due in BST: 17:00 BST is 16:00 UTC.
        fca(utc(2026, 3, 30, 16), london(2026, 4, 1, 17), utc(2026, 5, 22, 22, 59, 59)),
        id="fca-friday-before-spring-clock-change",
    ),
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 3, 2, 10)),
        fca(london(2026, 3, 3, 17), london(2026, 3, 5, 17), utc(2026, 4, 27, 22, 59, 59)),
        id="fca-eight-weeks-across-spring-clock-change-end-at-midnight-bst",
    ),
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 10, 23, 12)),
        # Received in BST, due in GMT: 17:00 GMT is 17:00 UTC.
        fca(utc(2026, 10, 26, 17), utc(2026, 10, 28, 17), utc(2026, 12, 18, 23, 59, 59)),
        id="fca-friday-before-autumn-clock-change",
    ),
    pytest.param(
        "uk_fca",
        UK,
        # 23:30 UTC on Monday is 00:30 on Tuesday in London: the local day counts.
        ClockFacts(utc(2026, 6, 1, 23, 30)),
        fca(london(2026, 6, 3, 17), london(2026, 6, 5, 17), eod(LONDON, 2026, 7, 28)),
        id="fca-received-after-local-midnight-but-before-utc-midnight",
    ),
    pytest.param(
        "uk_fca",
        UK,
        # A holding reply only extends payment-services complaints.
        ClockFacts(london(2026, 4, 2, 10), extended=True),
        fca(london(2026, 4, 7, 17), london(2026, 4, 9, 17), eod(LONDON, 2026, 5, 28)),
        id="fca-holding-reply-does-not-extend-an-ordinary-complaint",
    ),
    # --- uk_fca, payment services: 15 business days, 35 after a holding reply -------------
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 4, 2, 10), payment_services=True),
        fca(london(2026, 4, 7, 17), london(2026, 4, 9, 17), london(2026, 4, 27, 17)),
        id="fca-payment-services-15-business-days-over-easter",
    ),
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 4, 2, 10), payment_services=True, extended=True),
        # 35 business days skip Easter and both May bank holidays.
        fca(london(2026, 4, 7, 17), london(2026, 4, 9, 17), london(2026, 5, 27, 17)),
        id="fca-payment-services-extended-35-business-days-over-may-bank-holidays",
    ),
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 12, 24, 9), payment_services=True),
        fca(london(2026, 12, 29, 17), london(2026, 12, 31, 17), london(2027, 1, 19, 17)),
        id="fca-payment-services-over-christmas-and-new-year",
    ),
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 12, 24, 9), payment_services=True, extended=True),
        fca(london(2026, 12, 29, 17), london(2026, 12, 31, 17), london(2027, 2, 16, 17)),
        id="fca-payment-services-extended-over-christmas-and-new-year",
    ),
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 3, 27, 16), payment_services=True),
        fca(utc(2026, 3, 30, 16), london(2026, 4, 1, 17), london(2026, 4, 21, 17)),
        id="fca-payment-services-across-spring-clock-change-and-easter",
    ),
    pytest.param(
        "uk_fca",
        UK,
        # Saturday before the late-summer bank holiday (an English holiday).
        ClockFacts(london(2026, 8, 29, 10), payment_services=True),
        fca(london(2026, 9, 1, 17), london(2026, 9, 3, 17), london(2026, 9, 21, 17)),
        id="fca-payment-services-saturday-before-summer-bank-holiday",
    ),
    pytest.param(
        "uk_fca",
        UK,
        ClockFacts(london(2026, 8, 29, 10), payment_services=True, extended=True),
        fca(london(2026, 9, 1, 17), london(2026, 9, 3, 17), london(2026, 10, 19, 17)),
        id="fca-payment-services-extended-from-a-saturday",
    ),
    # --- us_cfpb: 15 and 60 calendar days -----------------------------------------------
    pytest.param(
        "us_cfpb",
        US,
        ClockFacts(new_york(2026, 12, 20, 10)),
        {INITIAL: (eod(NEW_YORK, 2027, 1, 4), True), FINAL: (eod(NEW_YORK, 2027, 2, 18), True)},
        id="cfpb-sunday-over-christmas-calendar-days-ignore-holidays",
    ),
    pytest.param(
        "us_cfpb",
        US,
        ClockFacts(new_york(2026, 3, 1, 22)),
        {
            INITIAL: (utc(2026, 3, 17, 3, 59, 59), True),
            FINAL: (eod(NEW_YORK, 2026, 4, 30), True),
        },
        id="cfpb-across-us-spring-clock-change-ends-at-midnight-edt",
    ),
    pytest.param(
        "us_cfpb",
        US,
        # 02:00 UTC on 20 October is 22:00 on 19 October in New York.
        ClockFacts(utc(2026, 10, 20, 2)),
        {
            INITIAL: (utc(2026, 11, 4, 4, 59, 59), True),
            FINAL: (eod(NEW_YORK, 2026, 12, 18), True),
        },
        id="cfpb-local-date-of-receipt-and-us-autumn-clock-change",
    ),
    pytest.param(
        "us_cfpb",
        US,
        # The FCA's payment-services rule means nothing to the CFPB.
        ClockFacts(new_york(2026, 11, 25, 16), payment_services=True, extended=True),
        {INITIAL: (eod(NEW_YORK, 2026, 12, 10), True), FINAL: (eod(NEW_YORK, 2027, 1, 24), True)},
        id="cfpb-day-before-thanksgiving-payment-services-irrelevant",
    ),
    # --- uk_ofcom: the ADR letter at 8 weeks --------------------------------------------
    pytest.param(
        "uk_ofcom",
        UK,
        ClockFacts(london(2026, 3, 2, 10)),
        {ADR: (utc(2026, 4, 27, 22, 59, 59), True)},
        id="ofcom-adr-letter-eight-weeks-across-spring-clock-change",
    ),
    pytest.param(
        "uk_ofcom",
        UK,
        ClockFacts(london(2026, 10, 3, 15)),
        {ADR: (utc(2026, 11, 28, 23, 59, 59), True)},
        id="ofcom-saturday-across-autumn-clock-change",
    ),
    pytest.param(
        "uk_ofcom",
        UK,
        ClockFacts(london(2026, 12, 24, 9)),
        {ADR: (eod(LONDON, 2027, 2, 18), True)},
        id="ofcom-christmas-eve-calendar-weeks-ignore-holidays",
    ),
    # --- us_dot_airline: 30 and 60 calendar days ----------------------------------------
    pytest.param(
        "us_dot_airline",
        US,
        ClockFacts(new_york(2026, 10, 15, 10)),
        {
            ACK: (utc(2026, 11, 15, 4, 59, 59), True),
            FINAL: (eod(NEW_YORK, 2026, 12, 14), True),
        },
        id="dot-across-us-autumn-clock-change",
    ),
    pytest.param(
        "us_dot_airline",
        US,
        ClockFacts(new_york(2026, 2, 20, 12)),
        {
            ACK: (utc(2026, 3, 23, 3, 59, 59), True),
            FINAL: (eod(NEW_YORK, 2026, 4, 21), True),
        },
        id="dot-across-us-spring-clock-change",
    ),
    pytest.param(
        "us_dot_airline",
        US,
        ClockFacts(new_york(2026, 7, 3, 9)),
        {ACK: (eod(NEW_YORK, 2026, 8, 2), True), FINAL: (eod(NEW_YORK, 2026, 9, 1), True)},
        id="dot-received-on-observed-independence-day",
    ),
    # --- eu_air: the practical 6-week target --------------------------------------------
    pytest.param(
        "eu_air",
        UK,
        ClockFacts(london(2026, 3, 20, 10)),
        {FINAL: (eod(LONDON, 2026, 5, 1), True)},
        id="eu-air-six-weeks-across-spring-clock-change",
    ),
    pytest.param(
        "eu_air",
        UK,
        ClockFacts(london(2026, 10, 20, 10)),
        {FINAL: (utc(2026, 12, 1, 23, 59, 59), True)},
        id="eu-air-six-weeks-across-autumn-clock-change",
    ),
    # --- generic: only the tenant's own SLA targets, so no regulatory clock --------------
    pytest.param("generic", UK, ClockFacts(london(2026, 4, 2, 10)), {}, id="generic-uk"),
    pytest.param(
        "generic",
        US,
        ClockFacts(new_york(2026, 12, 24, 9), payment_services=True, extended=True),
        {},
        id="generic-us-payment-services",
    ),
]


@pytest.mark.parametrize(("profile", "calendar", "facts", "expected"), CASES)
def test_profile_clocks_are_due_when_the_regulator_says(
    profile: str,
    calendar: BusinessCalendar,
    facts: ClockFacts,
    expected: dict[Clock, tuple[datetime, bool]],
) -> None:
    assert regulatory_due_dates(profile, calendar, facts) == expected


# Written out independently of PROFILE_CLOCKS: which clocks each profile runs, and which
# of them are duties (enforced) rather than opportunities.
EXPECTED_CLOCKS = {
    "uk_fca": {ACK: True, SUMMARY: False, FINAL: True},
    "us_cfpb": {INITIAL: True, FINAL: True},
    "uk_ofcom": {ADR: True},
    "us_dot_airline": {ACK: True, FINAL: True},
    "eu_air": {FINAL: True},
    "generic": {},
}


def test_every_selectable_profile_has_its_clocks_defined() -> None:
    assert set(PROFILE_CLOCKS) == set(RegulatoryProfile.values) == set(EXPECTED_CLOCKS)


@pytest.mark.parametrize("profile", sorted(EXPECTED_CLOCKS))
@pytest.mark.parametrize("calendar", [UK, US], ids=["london", "new-york"])
def test_each_profile_runs_exactly_its_clocks_and_only_summary_resolution_is_optional(
    profile: str, calendar: BusinessCalendar
) -> None:
    clocks = regulatory_due_dates(profile, calendar, ClockFacts(utc(2026, 6, 10, 12)))
    assert {clock: enforced for clock, (_, enforced) in clocks.items()} == EXPECTED_CLOCKS[profile]


def test_an_unknown_profile_runs_no_regulatory_clock() -> None:
    assert regulatory_due_dates("us_hipaa", UK, ClockFacts(utc(2026, 6, 10, 12))) == {}


def test_business_day_clocks_follow_the_calendars_working_week_and_closing_time() -> None:
    # A six-day week closing at 18:00: Saturday counts, and the day ends at 18:00.
    saturdays = BusinessCalendar(
        LONDON,
        working_days=frozenset({0, 1, 2, 3, 4, 5}),
        opens=time(8, 0),
        closes=time(18, 0),
        holidays=holidays.country_holidays("GB", subdiv="ENG"),
    )
    friday = london(2026, 11, 20, 15)

    clocks = regulatory_due_dates("uk_fca", saturdays, ClockFacts(friday))

    assert clocks[ACK] == (london(2026, 11, 21, 18), True)
    assert clocks[SUMMARY] == (london(2026, 11, 24, 18), False)
    # The 8-week clock is calendar time: the working week does not move it.
    assert clocks[FINAL] == (eod(LONDON, 2027, 1, 15), True)


def test_public_holidays_of_another_region_are_business_days() -> None:
    # Scotland has no Easter Monday holiday; England does.
    scotland = BusinessCalendar(LONDON, holidays=holidays.country_holidays("GB", subdiv="SCT"))
    received = ClockFacts(london(2026, 4, 2, 10))

    assert regulatory_due_dates("uk_fca", scotland, received)[ACK] == (london(2026, 4, 6, 17), True)
    assert regulatory_due_dates("uk_fca", UK, received)[ACK] == (london(2026, 4, 7, 17), True)
