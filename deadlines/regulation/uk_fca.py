"""UK financial services: the FCA's complaint-handling rules, DISP 1.

Business days (FCA Glossary, "business day"): any day which is not a Saturday or Sunday,
Christmas Day, Good Friday or a bank holiday in the part of the United Kingdom concerned.
The part is the firm's holiday region (ENG, NIR, SCT or WLS; England and Wales otherwise).
The firm's own working week, hours and closures never move these clocks.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import holidays
from dateutil.easter import easter

from deadlines.models import Clock
from deadlines.regulation.base import (
    REFERENCE,
    ClockFacts,
    ClockRule,
    DayEnd,
    Extension,
    Letter,
    Regulator,
    Requirement,
    Unit,
)

UK_NATIONS = ("ENG", "NIR", "SCT", "WLS")
GOOD_FRIDAY_BEFORE_EASTER = timedelta(days=2)
FOS_WEBSITE = "www.financial-ombudsman.org.uk"


class UkBusinessHolidays:
    """The days that are not FCA business days in one part of the UK (weekdays aside)."""

    def __init__(self, subdivision: str) -> None:
        nation = subdivision.upper() if subdivision.upper() in UK_NATIONS else "ENG"
        self.bank_holidays = holidays.country_holidays("GB", subdiv=nation)

    def __contains__(self, day: object) -> bool:
        if not isinstance(day, date):
            return False
        return (
            (day.month, day.day) == (12, 25)
            or day == easter(day.year) - GOOD_FRIDAY_BEFORE_EASTER
            or day in self.bank_holidays
        )


def holding_reply_in_time(facts: ClockFacts, unextended_due: datetime) -> bool:
    """DISP 1.6.2AR(2): the holding reply was sent within the 15 business days."""
    return facts.holding_reply_at is not None and facts.holding_reply_at <= unextended_due


FOS_NAMED = Requirement("the Financial Ombudsman Service", r"Financial Ombudsman Service")
FOS_LINKED = Requirement(f"the ombudsman's website ({FOS_WEBSITE})", re.escape(FOS_WEBSITE))
SIX_MONTHS = Requirement(
    "the six-month limit for referring to the ombudsman", r"six months|6 months"
)

ACKNOWLEDGEMENT = ClockRule(
    Clock.ACKNOWLEDGEMENT,
    1,
    Unit.BUSINESS_DAYS,
    DayEnd.CLOSE_OF_BUSINESS,
    "DISP 1.6.1R(1): a prompt written acknowledgement; read as by close of business on the "
    "next business day after the day of receipt",
    met_by=(Letter.ACKNOWLEDGEMENT,),
)
SUMMARY_RESOLUTION = ClockRule(
    Clock.SUMMARY_RESOLUTION,
    3,
    Unit.BUSINESS_DAYS,
    DayEnd.CLOSE_OF_BUSINESS,
    "DISP 1.5.1R: resolved by close of business on the third business day after the day of "
    "receipt, with a summary resolution communication (DISP 1.5.4R)",
    met_by=(Letter.SUMMARY_RESOLUTION,),
    enforced=False,
)

REQUIRED = {
    Letter.ACKNOWLEDGEMENT: (
        REFERENCE,
        Requirement("the deadline that applies ({final_response_due})", r"\d{1,2} \w+ \d{4}"),
    ),
    Letter.SUMMARY_RESOLUTION: (
        REFERENCE,
        Requirement("that the complaint is treated as resolved", r"resolved"),
        FOS_NAMED,
        FOS_LINKED,
    ),
    Letter.HOLDING_RESPONSE: (
        REFERENCE,
        Requirement("why a final response is not possible yet ({holding_reason})", r"because"),
        Requirement("when a final response is expected ({expected_date})", r"\d{1,2} \w+ \d{4}"),
        FOS_NAMED,
        FOS_LINKED,
    ),
    Letter.FINAL_RESPONSE: (
        REFERENCE,
        Requirement("the outcome ({outcome})", r"upheld"),
        FOS_NAMED,
        FOS_LINKED,
        SIX_MONTHS,
    ),
}

# The FCA's own communications, in the product's default wording.
LETTERS = {
    Letter.SUMMARY_RESOLUTION: (
        "Your complaint {reference} is resolved",
        "Dear {consumer_name},\n\nThank you for bringing “{subject}” to our attention. We "
        "believe we have resolved your complaint {reference} to your satisfaction, and we now "
        "treat it as resolved.\n\nRedress: {redress}.\n\n{resolution_summary}\n\nIf you later "
        "become dissatisfied, you "
        "may refer your complaint to the Financial Ombudsman Service, free of charge: "
        "{fos_website}, 0800 023 4567.",
    ),
    Letter.HOLDING_RESPONSE: (
        "An update on your complaint {reference}",
        "Dear {consumer_name},\n\nWe are not yet able to give you our final response to your "
        "complaint {reference} because {holding_reason}. We expect to send it by "
        "{expected_date}.\n\nYou may already refer your complaint to the Financial Ombudsman "
        "Service, free of charge: {fos_website}.",
    ),
}

FINAL_RESPONSE_RIGHTS = (
    "\n\nIf you are not happy with our response, you may refer your complaint to the "
    "Financial Ombudsman Service, free of charge, within six months of the date of this "
    "letter: {fos_website}, 0800 023 4567. If you do not refer it in time, the ombudsman will "
    "not have our permission to consider it."
)

PAYMENT_SERVICES = Regulator(
    code="uk_fca_payment_services",
    name="UK financial services (FCA DISP 1), payment services and e-money",
    clocks=(
        ACKNOWLEDGEMENT,
        SUMMARY_RESOLUTION,
        ClockRule(
            Clock.FINAL_RESPONSE,
            15,
            Unit.BUSINESS_DAYS,
            DayEnd.END_OF_DAY,
            "DISP 1.6.2AR: final response by the end of 15 business days after the day of receipt",
            met_by=(Letter.FINAL_RESPONSE, Letter.SUMMARY_RESOLUTION),
            extension=Extension(
                35,
                "DISP 1.6.2AR(2): a holding reply giving the reasons and the date of the final "
                "response, sent within the 15 business days, extends the limit to the end of "
                "35 business days after the day of receipt",
                holding_reply_in_time,
            ),
        ),
    ),
    required=REQUIRED,
    letters=LETTERS,
    final_response_rights=FINAL_RESPONSE_RIGHTS,
    main_clock=Clock.FINAL_RESPONSE,
    holidays=UkBusinessHolidays,
    fca_return=True,
)

REGULATOR = Regulator(
    code="uk_fca",
    name="UK financial services (FCA DISP 1)",
    clocks=(
        ACKNOWLEDGEMENT,
        SUMMARY_RESOLUTION,
        ClockRule(
            Clock.FINAL_RESPONSE,
            56,
            Unit.CALENDAR_DAYS,
            DayEnd.END_OF_DAY,
            "DISP 1.6.2R: by the end of 8 weeks after receipt, a final response, or a holding "
            "response saying why it is not yet possible, when it is expected, and the right to "
            "refer to the ombudsman",
            met_by=(Letter.FINAL_RESPONSE, Letter.SUMMARY_RESOLUTION, Letter.HOLDING_RESPONSE),
        ),
    ),
    required=REQUIRED,
    letters=LETTERS,
    final_response_rights=FINAL_RESPONSE_RIGHTS,
    main_clock=Clock.FINAL_RESPONSE,
    holidays=UkBusinessHolidays,
    fca_return=True,
    payment_services=PAYMENT_SERVICES,
)
