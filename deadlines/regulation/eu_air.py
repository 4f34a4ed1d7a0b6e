"""EU airlines, Regulation (EC) 261/2004.

No fixed airline deadline: passengers are told to escalate to the national enforcement
body when no reply comes within 6 weeks, so 6 calendar weeks is the practical target.
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
    code="eu_air",
    name="EU airlines (Regulation 261/2004)",
    clocks=(
        ClockRule(
            Clock.FINAL_RESPONSE,
            42,
            Unit.CALENDAR_DAYS,
            DayEnd.END_OF_DAY,
            "Regulation 261/2004 practice: a reply by the end of 6 weeks after receipt, after "
            "which the passenger may go to the national enforcement body",
            met_by=(Letter.FINAL_RESPONSE,),
        ),
    ),
    required={
        Letter.FINAL_RESPONSE: (
            REFERENCE,
            Requirement("the national enforcement body", r"national enforcement body"),
        ),
    },
    final_response_rights=(
        "\n\nIf you are not satisfied, you may escalate your complaint to the national "
        "enforcement body for air passenger rights in the country where the incident happened."
    ),
    main_clock=Clock.FINAL_RESPONSE,
)
