"""What a regulator is made of: its business days, its clocks and its communications.

A ``Regulator`` is data. Each regulatory profile is one module of this package holding one
``Regulator`` (two for the FCA: ordinary and payment-services complaints); the registry in
``deadlines.regulation`` finds them. Nothing here reads the database: facts in, instants out.

Times: every instant is an aware datetime. A clock counts whole local days of the tenant's
time zone from the local day of receipt, and ends on its last day at the moment its
``DayEnd`` names, in that day's own UTC offset (so daylight saving falls where it belongs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from django.db import models

from deadlines.models import Clock

# Far enough for any regulatory clock (35 business days) across any run of holidays.
MAX_DAYS_SCANNED = 366


class Letter(models.TextChoices):
    """The communications regulators require (stored as ``complaints.LetterKind``)."""

    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    SUMMARY_RESOLUTION = "summary_resolution", "Summary resolution communication"
    HOLDING_RESPONSE = "holding_response", "Holding response"
    FINAL_RESPONSE = "final_response", "Final response"
    ADR_LETTER = "adr_letter", "ADR / ombudsman referral letter"
    IN_PROGRESS = "in_progress", "In-progress response"


class Unit(StrEnum):
    CALENDAR_DAYS = "calendar days"
    BUSINESS_DAYS = "business days"


class DayEnd(StrEnum):
    """When a clock's last day ends: the close of business, or the end of the day."""

    CLOSE_OF_BUSINESS = "close of business"
    END_OF_DAY = "end"


# "Close of business" is the regulator's reading, not the firm's own hours: 17:00 local.
CLOSE_OF_BUSINESS = time(17, 0)
# The last second of the local day: an answer sent at 23:59:59 is on time, at midnight late.
END_OF_DAY = time(23, 59, 59)
DAY_ENDS = {DayEnd.CLOSE_OF_BUSINESS: CLOSE_OF_BUSINESS, DayEnd.END_OF_DAY: END_OF_DAY}


class NoHolidays:
    def __contains__(self, day: object) -> bool:
        return False


@dataclass(frozen=True)
class RegulatoryDays:
    """A regulator's days in a time zone: Monday to Friday except ``holidays`` are business
    days. Never the firm's working week or closures (those are for its own SLA targets)."""

    time_zone: ZoneInfo
    holidays: Container[date] = field(default_factory=NoHolidays)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.time_zone).date()

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def nth_business_day_after(self, day: date, count: int) -> date:
        """The ``count``-th business day after ``day`` (``day`` itself never counts).

        Raises ValueError when there are not that many business days within a year."""
        found = 0
        for offset in range(1, MAX_DAYS_SCANNED):
            candidate = day + timedelta(days=offset)
            if self.is_business_day(candidate):
                found += 1
                if found == count:
                    return candidate
        raise ValueError(f"Fewer than {count} business days within a year of {day}.")

    def ending(self, day: date, end: DayEnd) -> datetime:
        """The instant ``day`` ends under ``end``, in the local offset of that day."""
        return datetime.combine(day, DAY_ENDS[end], tzinfo=self.time_zone)


@dataclass(frozen=True)
class ClockFacts:
    """What a complaint's regulatory clocks depend on.

    ``holding_reply_at``: when the first holding reply was sent (``None`` if never);
    ``in_progress_at``: when a response saying the complaint is still in progress was sent.
    """

    received_at: datetime
    holding_reply_at: datetime | None = None
    in_progress_at: datetime | None = None


def always(facts: ClockFacts) -> bool:
    return True


@dataclass(frozen=True)
class Extension:
    """A longer limit that replaces the clock's own when ``qualifies``.

    ``qualifies`` gets the facts and the unextended due instant (so "sent within the 15
    business days" is a comparison with it)."""

    length: int
    condition: str
    qualifies: Callable[[ClockFacts, datetime], bool]


@dataclass(frozen=True)
class ClockRule:
    """One regulatory clock: it starts at receipt (the local day of receipt never counts)
    and runs ``length`` ``unit`` to the ``day_end`` of its last day.

    ``rule`` is the reading an auditor can check ("DISP 1.6.2R: end of 8 weeks after
    receipt"); ``met_by`` the communications that meet it; ``enforced`` is False for a clock
    that records an opportunity rather than a duty; ``applies`` says whether the clock runs
    at all given the facts; ``extension`` what extends it."""

    clock: Clock
    length: int
    unit: Unit
    day_end: DayEnd
    rule: str
    met_by: tuple[Letter, ...]
    enforced: bool = True
    applies: Callable[[ClockFacts], bool] = always
    extension: Extension | None = None

    def due_after(self, days: RegulatoryDays, received_at: datetime, length: int) -> datetime:
        """The instant a clock of ``length`` units from ``received_at`` runs out."""
        received_on = days.local_date(received_at)
        if self.unit == Unit.BUSINESS_DAYS:
            last = days.nth_business_day_after(received_on, length)
        else:
            last = received_on + timedelta(days=length)
        return days.ending(last, self.day_end)

    def unextended_due(self, days: RegulatoryDays, facts: ClockFacts) -> datetime:
        return self.due_after(days, facts.received_at, self.length)

    def extended(self, days: RegulatoryDays, facts: ClockFacts) -> bool:
        """Whether the facts earn the extension."""
        return self.extension is not None and self.extension.qualifies(
            facts, self.unextended_due(days, facts)
        )

    def due(self, days: RegulatoryDays, facts: ClockFacts) -> datetime:
        """When the clock runs out, with its extension when the facts earn it."""
        if self.extension is not None and self.extended(days, facts):
            return self.due_after(days, facts.received_at, self.extension.length)
        return self.unextended_due(days, facts)

    def period(self, length: int | None = None) -> str:
        """The length in plain words, as told to consumers: "8 weeks", "15 business days"."""
        length = self.length if length is None else length
        if self.unit == Unit.BUSINESS_DAYS:
            return f"{length} business day{'' if length == 1 else 's'}"
        if length % 7 == 0:
            weeks = length // 7
            return f"{weeks} week{'' if weeks == 1 else 's'}"
        return f"{length} days"


@dataclass(frozen=True)
class Requirement:
    """Something a communication must say, recognised by a pattern (case-insensitive)."""

    description: str
    pattern: str

    def is_met_by(self, text: str) -> bool:
        return re.search(self.pattern, text, flags=re.IGNORECASE) is not None


REFERENCE = Requirement("the complaint reference", r"C-\d{4}-\d{6}")


def no_holidays(subdivision: str) -> Container[date]:
    return NoHolidays()


@dataclass(frozen=True)
class Regulator:
    """Everything one regulatory profile asks of a firm.

    ``code``: the profile (``tenancy.RegulatoryProfile``), or a variant such as
    ``uk_fca_payment_services``; ``holidays``: the regulator's non-business days for the
    firm's region (``TenantSettings.subdivision``); ``required``: what each communication
    must say; ``letters``: the default wording (subject, body before the sign-off) of the
    communications this regulator defines, in place of the product's plain defaults;
    ``final_response_rights``: the closing paragraph of the default final response;
    ``main_clock``: the clock whose being met the generic return counts;
    ``fca_return``: whether the FCA's return layout applies; ``automatic``: letters the
    product sends by itself when the clock they meet is about to run out;
    ``addressee``: how a letter addresses a consumer whose name we do not have ("Dear
    customer"), in the regulator's own word for the people it protects."""

    code: str
    name: str
    clocks: tuple[ClockRule, ...]
    required: Mapping[Letter, tuple[Requirement, ...]] = field(default_factory=dict)
    letters: Mapping[Letter, tuple[str, str]] = field(default_factory=dict)
    final_response_rights: str = ""
    main_clock: Clock = Clock.RESOLUTION
    holidays: Callable[[str], Container[date]] = no_holidays
    fca_return: bool = False
    automatic: tuple[Letter, ...] = ()
    payment_services: Regulator | None = None
    addressee: str = "customer"

    def days(self, time_zone: ZoneInfo, subdivision: str = "") -> RegulatoryDays:
        """The regulator's business days in the firm's time zone and region."""
        return RegulatoryDays(time_zone, self.holidays(subdivision))

    def rule_for(self, clock: Clock | str) -> ClockRule | None:
        return next((rule for rule in self.clocks if rule.clock == clock), None)

    def due_dates(
        self, days: RegulatoryDays, facts: ClockFacts
    ) -> dict[Clock, tuple[datetime, bool]]:
        """Each clock that applies to ``facts``: its due instant and whether it is a duty."""
        return {
            rule.clock: (rule.due(days, facts), rule.enforced)
            for rule in self.clocks
            if rule.applies(facts)
        }

    def clocks_met_by(self, letter: Letter | str) -> list[Clock]:
        """The clocks a communication of kind ``letter`` meets."""
        return [rule.clock for rule in self.clocks if letter in rule.met_by]

    def for_complaint(self, *, payment_services: bool) -> Regulator:
        """The regulator's rules for a complaint, its payment-services variant if it has one."""
        if payment_services and self.payment_services is not None:
            return self.payment_services
        return self
