"""The tenant's business calendar and the due dates of a complaint's clocks.

Facts in, due dates out: this module never reads or writes a complaint. The complaints app
keeps its own deadline rows and columns (``complaints.services.clocks``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from configuration.models import TenantSettings
from deadlines.calendar import BusinessCalendar
from deadlines.models import Clock, SlaPolicy, closure_days
from deadlines.regulation import regulator_for
from deadlines.regulation.base import ClockFacts, Regulator, RegulatoryDays
from tenancy import current

logger = logging.getLogger(__name__)

# The tenant's own clocks, which pause while the complaint awaits the consumer.
SLA_CLOCKS = (Clock.FIRST_RESPONSE, Clock.RESOLUTION)


class Holidays:
    """Public holidays of a country (and region) plus the tenant's own closures."""

    def __init__(self, country: str, subdivision: str, closures: Iterable[date]) -> None:
        self.public = _public_holidays(country, subdivision)
        self.closures = frozenset(closures)

    def __contains__(self, day: object) -> bool:
        return day in self.closures or day in self.public


def _public_holidays(country: str, subdivision: str) -> holidays.HolidayBase:
    """The country's holidays for the region; its national ones if the region is unknown."""
    if subdivision:
        try:
            return holidays.country_holidays(country, subdiv=subdivision)
        except NotImplementedError:
            logger.warning("no region %s in the holiday calendar of %s", subdivision, country)
    try:
        return holidays.country_holidays(country)
    except NotImplementedError:
        logger.warning("no public holiday calendar for country %s", country)
        return holidays.HolidayBase()


def tenant_regulator(*, payment_services: bool = False) -> Regulator:
    """The regulator of the tenant the connection is working in (see ``regulator_for``)."""
    return regulator_for(current.tenant().regulatory_profile, payment_services=payment_services)


def regulatory_days(regulator: Regulator) -> RegulatoryDays:
    """The regulator's business days in the tenant's time zone and holiday region.

    Never the tenant's working week, hours or closures: those move only its SLA targets."""
    return regulator.days(
        ZoneInfo(current.tenant().time_zone), TenantSettings.current().subdivision
    )


def tenant_calendar() -> BusinessCalendar:
    """The tenant's own business calendar, for its SLA targets only: its working week and
    hours, its country's public holidays and its closures."""
    tenant = current.tenant()
    hours = TenantSettings.current()
    return BusinessCalendar(
        time_zone=ZoneInfo(tenant.time_zone),
        working_days=frozenset(hours.working_days),
        opens=hours.opens,
        closes=hours.closes,
        holidays=Holidays(tenant.country, hours.subdivision, closure_days()),
    )


@dataclass(frozen=True)
class DueDate:
    """When one clock falls due, whether a regulator sets it, and whether it is a duty."""

    due_at: datetime
    regulatory: bool
    enforced: bool


@dataclass(frozen=True)
class SlaFacts:
    """What the tenant's own SLA clocks depend on (business hours of the tenant's calendar)."""

    received_at: datetime
    # The resolution clock runs again from a reopening.
    resolution_from: datetime
    # Business time spent awaiting the consumer, which the SLA clocks do not count.
    paused_for: timedelta


def due_dates(
    *,
    regulator: Regulator,
    facts: ClockFacts,
    days: RegulatoryDays,
    calendar: BusinessCalendar,
    sla: SlaPolicy | None = None,
    sla_facts: SlaFacts | None = None,
) -> dict[Clock, DueDate]:
    """Every clock that applies: the regulator's (from ``facts``, in the regulator's business
    ``days``) and, when the tenant has SLA targets for the complaint's priority, its own
    first-response and resolution targets in business hours of the tenant's ``calendar``.
    Pure: reads and writes nothing."""
    clocks = {
        clock: DueDate(due, True, enforced)
        for clock, (due, enforced) in regulator.due_dates(days, facts).items()
    }
    if sla is not None and sla_facts is not None:
        paused = sla_facts.paused_for
        clocks[Clock.FIRST_RESPONSE] = DueDate(
            calendar.add_business_time(sla_facts.received_at, sla.first_response + paused),
            False,
            True,
        )
        clocks[Clock.RESOLUTION] = DueDate(
            calendar.add_business_time(sla_facts.resolution_from, sla.resolution + paused),
            False,
            True,
        )
    return clocks
