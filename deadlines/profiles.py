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
class Period:
    """How long a clock runs from receipt: calendar days, or business days of the tenant."""

    days: int
    business: bool = False

    def due_after(self, calendar: BusinessCalendar, received_at: datetime) -> datetime:
        if self.business:
            return calendar.close_of_nth_business_day_after(received_at, self.days)
        return calendar.end_of_calendar_days_after(received_at, self.days)

    def __str__(self) -> str:
        """The period in plain words, as told to consumers: "8 weeks", "15 business days"."""
        if self.business:
            return f"{self.days} business day{'' if self.days == 1 else 's'}"
        if self.days % 7 == 0:
            weeks = self.days // 7
            return f"{weeks} week{'' if weeks == 1 else 's'}"
        return f"{self.days} days"


@dataclass(frozen=True)
class ClockRule:
    clock: Clock
    period: Callable[[ClockFacts], Period]
    enforced: bool = True

    def due(self, calendar: BusinessCalendar, facts: ClockFacts) -> datetime:
        return self.period(facts).due_after(calendar, facts.received_at)


def _fixed(period: Period) -> Callable[[ClockFacts], Period]:
    return lambda facts: period


def _fca_final_response(facts: ClockFacts) -> Period:
    # DISP 1.6.2A: payment services and e-money, 15 business days, or 35 after a holding reply.
    if facts.payment_services:
        return Period(35 if facts.extended else 15, business=True)
    return Period(EIGHT_WEEKS)


PROFILE_CLOCKS: dict[str, tuple[ClockRule, ...]] = {
    "uk_fca": (
        ClockRule(Clock.ACKNOWLEDGEMENT, _fixed(Period(1, business=True))),
        ClockRule(Clock.SUMMARY_RESOLUTION, _fixed(Period(3, business=True)), enforced=False),
        ClockRule(Clock.FINAL_RESPONSE, _fca_final_response),
    ),
    "us_cfpb": (
        ClockRule(Clock.INITIAL_RESPONSE, _fixed(Period(15))),
        ClockRule(Clock.FINAL_RESPONSE, _fixed(Period(60))),
    ),
    "uk_ofcom": (ClockRule(Clock.ADR_LETTER, _fixed(Period(EIGHT_WEEKS))),),
    "us_dot_airline": (
        ClockRule(Clock.ACKNOWLEDGEMENT, _fixed(Period(30))),
        ClockRule(Clock.FINAL_RESPONSE, _fixed(Period(60))),
    ),
    "eu_air": (ClockRule(Clock.FINAL_RESPONSE, _fixed(Period(SIX_WEEKS))),),
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


def regulatory_periods(profile: str, facts: ClockFacts) -> dict[Clock, Period]:
    """How long each enforced regulatory clock of ``profile`` runs, for telling consumers."""
    return {
        rule.clock: rule.period(facts) for rule in PROFILE_CLOCKS.get(profile, ()) if rule.enforced
    }
