"""US airlines: DOT 14 CFR 259.7(c).

A written acknowledgement within 30 days of receiving the complaint and a substantive
written response within 60 days of receiving it; calendar days.
"""

from __future__ import annotations

from deadlines.models import Clock
from deadlines.regulation.base import (
    REFERENCE,
    ClockRule,
    DayEnd,
    Letter,
    Regulator,
    Requirement,
    Unit,
)

REGULATOR = Regulator(
    addressee="passenger",
    code="us_dot_airline",
    name="US airlines (DOT 14 CFR 259.7)",
    clocks=(
        ClockRule(
            Clock.ACKNOWLEDGEMENT,
            30,
            Unit.CALENDAR_DAYS,
            DayEnd.END_OF_DAY,
            "14 CFR 259.7(c): a written acknowledgement by the end of 30 days after receipt",
            met_by=(Letter.ACKNOWLEDGEMENT,),
        ),
        ClockRule(
            Clock.FINAL_RESPONSE,
            60,
            Unit.CALENDAR_DAYS,
            DayEnd.END_OF_DAY,
            "14 CFR 259.7(c): a substantive written response by the end of 60 days after receipt",
            met_by=(Letter.FINAL_RESPONSE,),
        ),
    ),
    required={
        Letter.ACKNOWLEDGEMENT: (REFERENCE,),
        Letter.FINAL_RESPONSE: (
            REFERENCE,
            Requirement("a substantive response with the outcome ({outcome})", r"upheld"),
        ),
    },
    main_clock=Clock.FINAL_RESPONSE,
)
