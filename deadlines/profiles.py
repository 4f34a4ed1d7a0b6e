"""The clocks each regulatory profile runs (see REGULATORY.md)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from deadlines.calendar import BusinessCalendar
from deadlines.models import Clock

EIGHT_WEEKS = 56
SIX_WEEKS = 42


@dataclass(frozen=True)
class ClockFacts:
    """What a complaint's regulatory clocks depend on."""

    received_at: datetime
    payment_services: bool = False
    extended: bool = False  # a holding reply was sent on a payment-services complaint


@dataclass(frozen=True)
class ClockRule:
    clock: Clock
    due: Callable[[BusinessCalendar, ClockFacts], datetime]
    enforced: bool = True


def _business_days(count: int) -> Callable[[BusinessCalendar, ClockFacts], datetime]:
    return lambda calendar, facts: calendar.close_of_nth_business_day_after(
        facts.received_at, count
    )


def _calendar_days(count: int) -> Callable[[BusinessCalendar, ClockFacts], datetime]:
    return lambda calendar, facts: calendar.end_of_calendar_days_after(facts.received_at, count)


def _fca_final_response(calendar: BusinessCalendar, facts: ClockFacts) -> datetime:
    # DISP 1.6.2A: payment services and e-money, 15 business days, or 35 after a holding reply.
    if facts.payment_services:
        return calendar.close_of_nth_business_day_after(
            facts.received_at, 35 if facts.extended else 15
        )
    return calendar.end_of_calendar_days_after(facts.received_at, EIGHT_WEEKS)


PROFILE_CLOCKS: dict[str, tuple[ClockRule, ...]] = {
    "uk_fca": (
        ClockRule(Clock.ACKNOWLEDGEMENT, _business_days(1)),
        ClockRule(Clock.SUMMARY_RESOLUTION, _business_days(3), enforced=False),
        ClockRule(Clock.FINAL_RESPONSE, _fca_final_response),
    ),
    "us_cfpb": (
        ClockRule(Clock.INITIAL_RESPONSE, _calendar_days(15)),
        ClockRule(Clock.FINAL_RESPONSE, _calendar_days(60)),
    ),
    "uk_ofcom": (ClockRule(Clock.ADR_LETTER, _calendar_days(EIGHT_WEEKS)),),
    "us_dot_airline": (
        ClockRule(Clock.ACKNOWLEDGEMENT, _calendar_days(30)),
        ClockRule(Clock.FINAL_RESPONSE, _calendar_days(60)),
    ),
    "eu_air": (ClockRule(Clock.FINAL_RESPONSE, _calendar_days(SIX_WEEKS)),),
    "generic": (),
}


def regulatory_due_dates(
    profile: str, calendar: BusinessCalendar, facts: ClockFacts
) -> dict[Clock, tuple[datetime, bool]]:
    """Each regulatory clock of ``profile`` with its due time and whether it is enforced."""
    return {
        rule.clock: (rule.due(calendar, facts), rule.enforced)
        for rule in PROFILE_CLOCKS.get(profile, ())
    }
