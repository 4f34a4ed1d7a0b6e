"""US consumer finance: the CFPB's company response timelines.

A response within 15 calendar days of receipt. A response saying the complaint is still in
progress (recorded as such) meets it, and then a final response is due within 60 calendar
days of receipt; without one, the 60-day clock does not run.
"""

from __future__ import annotations

from deadlines.models import Clock
from deadlines.regulation.base import (
    REFERENCE,
    ClockFacts,
    ClockRule,
    DayEnd,
    Letter,
    Regulator,
    Requirement,
    Unit,
)


def said_in_progress(facts: ClockFacts) -> bool:
    return facts.in_progress_at is not None


REGULATOR = Regulator(
    code="us_cfpb",
    name="US consumer finance (CFPB)",
    clocks=(
        ClockRule(
            Clock.INITIAL_RESPONSE,
            15,
            Unit.CALENDAR_DAYS,
            DayEnd.END_OF_DAY,
            "CFPB: a response by the end of 15 calendar days after receipt, either final or "
            "saying the complaint is in progress",
            met_by=(Letter.FINAL_RESPONSE, Letter.IN_PROGRESS),
        ),
        ClockRule(
            Clock.FINAL_RESPONSE,
            60,
            Unit.CALENDAR_DAYS,
            DayEnd.END_OF_DAY,
            "CFPB: after an in-progress response, a final response by the end of 60 calendar "
            "days after receipt",
            met_by=(Letter.FINAL_RESPONSE,),
            applies=said_in_progress,
        ),
    ),
    required={
        Letter.FINAL_RESPONSE: (
            REFERENCE,
            Requirement("the steps taken and the outcome ({outcome})", r"upheld"),
        ),
        Letter.IN_PROGRESS: (
            REFERENCE,
            Requirement("that the complaint is in progress", r"in progress"),
        ),
    },
    letters={
        Letter.IN_PROGRESS: (
            "Your complaint {reference} is in progress",
            "Dear {consumer_name},\n\nYour complaint {reference} about “{subject}” is in "
            "progress. So far: {progress_steps}\n\nWe will send you our final response "
            "{response_promise}.",
        ),
    },
    main_clock=Clock.INITIAL_RESPONSE,
)
