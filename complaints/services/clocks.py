"""A complaint's stored deadlines and its clock columns, kept by the complaints app itself.

The due dates come from ``deadlines.services.due_dates`` (facts in, dates out); this module
writes the ``Deadline`` rows and the complaint's ``next_due_at``, ``sla_paused_since`` and
``sla_paused_for`` columns. Called inside a change's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from complaints.models import Complaint, Status
from deadlines.calendar import BusinessCalendar
from deadlines.models import Clock, Deadline, SlaPolicy
from deadlines.regulation.base import ClockFacts, Letter, Regulator
from deadlines.services import (
    SLA_CLOCKS,
    DueDate,
    SlaFacts,
    due_dates,
    regulatory_days,
    tenant_calendar,
    tenant_regulator,
)
from outbox.models import Message


def complaint_regulator(complaint: Complaint) -> Regulator:
    """The regulator's rules for ``complaint``: the payment-services variant for a category
    marked as payment services or e-money."""
    return tenant_regulator(
        payment_services=bool(complaint.category and complaint.category.payment_services)
    )


def clock_facts(complaint: Complaint) -> ClockFacts:
    return ClockFacts(
        received_at=complaint.received_at,
        holding_reply_at=complaint.holding_response_sent_at,
        in_progress_at=complaint.in_progress_at,
    )


def wanted_due_dates(complaint: Complaint, calendar: BusinessCalendar) -> dict[Clock, DueDate]:
    """Every clock that applies to ``complaint`` now, from its facts."""
    regulator = complaint_regulator(complaint)
    return due_dates(
        regulator=regulator,
        facts=clock_facts(complaint),
        days=regulatory_days(regulator),
        calendar=calendar,
        sla=SlaPolicy.for_priority(complaint.priority),
        sla_facts=SlaFacts(
            received_at=complaint.received_at,
            resolution_from=complaint.reopened_at or complaint.received_at,
            paused_for=complaint.sla_paused_for,
        ),
    )


def refresh_deadlines(complaint: Complaint, calendar: BusinessCalendar | None = None) -> None:
    """Recompute the complaint's unmet deadlines from its current inputs, and next_due_at."""
    calendar = calendar or tenant_calendar()
    wanted = wanted_due_dates(complaint, calendar)
    existing = {deadline.clock: deadline for deadline in complaint.deadlines.all()}
    for clock, due in wanted.items():
        deadline = existing.get(clock)
        if deadline is None:
            Deadline.objects.create(
                complaint=complaint,
                clock=clock,
                due_at=due.due_at,
                regulatory=due.regulatory,
                enforced=due.enforced,
            )
        elif deadline.met_at is None and deadline.due_at != due.due_at:
            deadline.due_at = due.due_at
            # A moved deadline is watched afresh, unless it was breached and is still past:
            # the scan must not report (and escalate) that breach a second time. (A holding
            # reply only moves a clock it reached in time, so it never clears a breach.)
            if deadline.breached_at is None or due.due_at > timezone.now():
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


def plan_deadlines(complaint: Complaint, *, met: Mapping[Clock, datetime]) -> list[Deadline]:
    """The deadlines of a complaint about to be created, unsaved, and its ``next_due_at``.

    Nothing is read but the SLA policy and the calendar: a complaint not yet saved has no
    deadlines to compare with. Clocks in ``met`` start met at the time given (the
    acknowledgement sent with the receipt). Save them with ``store_deadlines``.
    """
    wanted = wanted_due_dates(complaint, tenant_calendar())
    deadlines = [
        Deadline(
            clock=clock,
            due_at=due.due_at,
            regulatory=due.regulatory,
            enforced=due.enforced,
            met_at=met.get(clock),
        )
        for clock, due in wanted.items()
    ]
    running = [d.due_at for d in deadlines if d.enforced and d.met_at is None]
    complaint.next_due_at = min(running, default=None) if complaint.is_active else None
    return deadlines


def store_deadlines(complaint: Complaint, deadlines: list[Deadline]) -> None:
    """Save the planned deadlines of a newly created ``complaint`` in one statement."""
    for deadline in deadlines:
        deadline.complaint = complaint
    Deadline.objects.bulk_create(deadlines)


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
        Complaint.objects.filter(pk=complaint.pk).update(next_due_at=next_due)


def mark_met(
    complaint: Complaint,
    clocks: Iterable[Clock],
    at: datetime | None = None,
    message: Message | None = None,
) -> None:
    """Record that the duties behind ``clocks`` were done at ``at`` (now by default), by
    the e-mail ``message`` when a communication did them (see ``letter_settled``)."""
    complaint.deadlines.filter(clock__in=list(clocks), met_at__isnull=True).update(
        met_at=at or timezone.now(), met_by_message=message
    )
    update_next_due(complaint)


def meet_clocks(
    complaint: Complaint, letter: Letter, at: datetime, message: Message | None = None
) -> None:
    """Record the clocks the regulator says a communication of kind ``letter`` meets."""
    mark_met(complaint, complaint_regulator(complaint).clocks_met_by(letter), at, message)


def pause_sla(complaint: Complaint) -> None:
    """Stop the tenant's SLA clocks while the complaint awaits the consumer."""
    if complaint.sla_paused_since is None:
        complaint.sla_paused_since = timezone.now()
        Complaint.objects.filter(pk=complaint.pk).update(
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
    Complaint.objects.filter(pk=complaint.pk).update(
        sla_paused_for=complaint.sla_paused_for, sla_paused_since=None
    )
    refresh_deadlines(complaint, calendar)


def stop_clocks(complaint: Complaint) -> None:
    """The complaint stopped (withdrawn, merged, closed): its unmet clocks no longer apply.

    Each is marked stopped now with the reason in plain words; it is shown as not
    applicable and never counted as missed (unless it had already fallen due)."""
    if complaint.status == Status.WITHDRAWN:
        reason = "the consumer withdrew the complaint"
    elif complaint.merged_into is not None:
        reason = f"closed as a duplicate of {complaint.merged_into.reference}"
    else:
        reason = "the complaint was closed"
    complaint.deadlines.filter(met_at__isnull=True, stopped_at__isnull=True).update(
        stopped_at=timezone.now(), stopped_reason=reason
    )
    update_next_due(complaint)


def restart_resolution_clock(complaint: Complaint) -> None:
    """Work starts again: the resolution clock runs anew from the reopening, and clocks
    stopped by a closing run again."""
    complaint.deadlines.filter(clock=Clock.RESOLUTION).update(
        met_at=None, at_risk_notified_at=None, breached_at=None
    )
    complaint.deadlines.exclude(stopped_at=None).update(stopped_at=None, stopped_reason="")
    refresh_deadlines(complaint)


def deadline_for(complaint: Complaint, clock: Clock) -> Deadline | None:
    """The complaint's stored deadline for ``clock``, if it has that clock."""
    return next((d for d in complaint.deadlines.all() if d.clock == clock), None)


@dataclass(frozen=True)
class ClockOnPage:
    """A stored deadline with the reading of the rule behind it, for the complaint page."""

    deadline: Deadline
    rule: str


def clocks_on_page(complaint: Complaint) -> list[ClockOnPage]:
    """The complaint's deadlines, each with its rule in plain words: the regulator's
    ("DISP 1.6.2R: ...") or, for the tenant's own targets, the SLA of its priority."""
    regulator = complaint_regulator(complaint)
    shown = []
    for deadline in complaint.deadlines.all():
        rule = regulator.rule_for(deadline.clock) if deadline.regulatory else None
        if rule is not None:
            words = rule.rule
            if rule.extension is not None and rule.extended(
                regulatory_days(regulator), clock_facts(complaint)
            ):
                words = rule.extension.condition
        else:
            words = (
                f"Own target for {complaint.get_priority_display().lower()} priority, in "
                "business hours of the working week; paused while awaiting the consumer"
            )
        shown.append(ClockOnPage(deadline, words))
    return shown
