"""UK telecoms: Ofcom General Condition C4 and its complaints code.

At deadlock, or once 8 weeks have passed since receipt, the consumer must be told in
writing of the right to take the complaint to the approved ADR scheme. The product sends
that letter by itself, before the clock runs out.
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

DEFAULT_ADR_SCHEME = "Ombudsman Services: Communications (www.ombudsman-services.org)"

REGULATOR = Regulator(
    code="uk_ofcom",
    name="UK telecoms (Ofcom)",
    clocks=(
        ClockRule(
            Clock.ADR_LETTER,
            56,
            Unit.CALENDAR_DAYS,
            DayEnd.END_OF_DAY,
            "Ofcom GC C4: by the end of 8 weeks after receipt (or at deadlock), a letter on "
            "the consumer's right to take the complaint to the approved ADR scheme",
            met_by=(Letter.ADR_LETTER,),
        ),
    ),
    required={
        Letter.ADR_LETTER: (
            REFERENCE,
            Requirement(
                "the right to alternative dispute resolution (ADR)",
                r"\bADR\b|alternative dispute resolution",
            ),
            Requirement("that ADR is free for the consumer", r"free of charge|free"),
        ),
    },
    letters={
        Letter.ADR_LETTER: (
            "Your right to take complaint {reference} further",
            "Dear {consumer_name},\n\nWe have not been able to settle your complaint "
            "{reference} to your satisfaction. You have the right to take it to our approved "
            "alternative dispute resolution (ADR) scheme, {adr_scheme}. The service is free of "
            "charge for you.",
        ),
    },
    final_response_rights=(
        "\n\nIf you are not happy with our response, you may take your complaint to our "
        "approved alternative dispute resolution (ADR) scheme, {adr_scheme}, free of charge."
    ),
    main_clock=Clock.ADR_LETTER,
    automatic=(Letter.ADR_LETTER,),
)
