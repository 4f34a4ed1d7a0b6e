"""Computing and keeping each complaint's deadlines, in the tenant's business calendar."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays
from django.utils import timezone

from configuration.models import TenantSettings
from deadlines.calendar import BusinessCalendar
from deadlines.models import Clock, Closure, Deadline, SlaPolicy
from deadlines.profiles import ClockFacts, regulatory_due_dates
from tenancy import current

if TYPE_CHECKING:
    from complaints.models import Complaint

logger = logging.getLogger(__name__)

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


def tenant_calendar() -> BusinessCalendar:
    """The business calendar of the tenant the connection is working in."""
    tenant = current.tenant()
    hours = TenantSettings.current()
    return BusinessCalendar(
        time_zone=ZoneInfo(tenant.time_zone),
        working_days=frozenset(hours.working_days),
        opens=hours.opens,
        closes=hours.closes,
        holidays=Holidays(
            tenant.country, hours.subdivision, Closure.objects.values_list("day", flat=True)
        ),
    )


def due_dates(
    complaint: Complaint, calendar: BusinessCalendar
) -> dict[Clock, tuple[datetime, bool, bool]]:
    """Every clock that applies to ``complaint``: due time, regulatory, enforced."""
    facts = ClockFacts(
        received_at=complaint.received_at,
        payment_services=bool(complaint.category and complaint.category.payment_services),
        extended=complaint.holding_response_sent_at is not None,
    )
    clocks = {
        clock: (due, True, enforced)
        for clock, (due, enforced) in regulatory_due_dates(
            current.tenant().regulatory_profile, calendar, facts
        ).items()
    }
    policy = SlaPolicy.objects.filter(priority=complaint.priority).first()
    if policy is not None:
        paused = complaint.sla_paused_for
        clocks[Clock.FIRST_RESPONSE] = (
            calendar.add_business_time(complaint.received_at, policy.first_response + paused),
            False,
            True,
        )
        clocks[Clock.RESOLUTION] = (
            calendar.add_business_time(
                complaint.reopened_at or complaint.received_at, policy.resolution + paused
            ),
            False,
            True,
        )
    return clocks


def refresh_deadlines(complaint: Complaint, calendar: BusinessCalendar | None = None) -> None:
    """Recompute the complaint's unmet deadlines from its current inputs, and next_due_at."""
    calendar = calendar or tenant_calendar()
    wanted = due_dates(complaint, calendar)
    existing = {deadline.clock: deadline for deadline in complaint.deadlines.all()}
    for clock, (due_at, regulatory, enforced) in wanted.items():
        deadline = existing.get(clock)
        if deadline is None:
            Deadline.objects.create(
                complaint=complaint,
                clock=clock,
                due_at=due_at,
                regulatory=regulatory,
                enforced=enforced,
            )
        elif deadline.met_at is None and deadline.due_at != due_at:
            deadline.due_at = due_at
            # A moved deadline is watched afresh, unless it was breached and is still past:
            # the scan must not report (and escalate) that breach a second time.
            if deadline.breached_at is None or due_at > timezone.now():
                deadline.at_risk_notified_at = None
                deadline.breached_at = None
            deadline.save(update_fields=["due_at", "at_risk_notified_at", "breached_at"])
    # A clock that no longer applies goes, unless it was met or breached: those are records.
    stale = [
        clock
        for clock, deadline in existing.items()
        if clock not in wanted and not deadline.met_at and not deadline.breached_at
    ]
    if stale:
        complaint.deadlines.filter(clock__in=stale).delete()
    update_next_due(complaint)


def update_next_due(complaint: Complaint) -> None:
    """Store the earliest deadline still running, for queue sorting and at-risk filters."""
    next_due = None
    if complaint.is_active:
        running = complaint.deadlines.open()
        if complaint.sla_paused_since is not None:
            running = running.exclude(clock__in=SLA_CLOCKS)
        next_due = running.order_by("due_at").values_list("due_at", flat=True).first()
    if next_due != complaint.next_due_at:
        complaint.next_due_at = next_due
        type(complaint).objects.filter(pk=complaint.pk).update(next_due_at=next_due)


def mark_met(complaint: Complaint, clocks: Iterable[Clock], at: datetime | None = None) -> None:
    """Record that the duties behind ``clocks`` were done at ``at`` (now by default)."""
    complaint.deadlines.filter(clock__in=list(clocks), met_at__isnull=True).update(
        met_at=at or timezone.now()
    )
    update_next_due(complaint)


def pause_sla(complaint: Complaint) -> None:
    """Stop the tenant's SLA clocks while the complaint awaits the consumer."""
    if complaint.sla_paused_since is None:
        complaint.sla_paused_since = timezone.now()
        type(complaint).objects.filter(pk=complaint.pk).update(
            sla_paused_since=complaint.sla_paused_since
        )
        update_next_due(complaint)


def resume_sla(complaint: Complaint, calendar: BusinessCalendar | None = None) -> None:
    """Restart the SLA clocks, pushing them back by the business time spent waiting."""
    if complaint.sla_paused_since is None:
        return
    calendar = calendar or tenant_calendar()
    complaint.sla_paused_for += calendar.business_time_between(
        complaint.sla_paused_since, timezone.now()
    )
    complaint.sla_paused_since = None
    type(complaint).objects.filter(pk=complaint.pk).update(
        sla_paused_for=complaint.sla_paused_for, sla_paused_since=None
    )
    refresh_deadlines(complaint, calendar)


def deadline_for(complaint: Complaint, clock: Clock) -> Deadline | None:
    return next((d for d in complaint.deadlines.all() if d.clock == clock), None)
