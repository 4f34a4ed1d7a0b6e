"""The deadline watch: at-risk and breached clocks, alerts, escalation, letters that fall due."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from accounts.models import SYSTEM
from complaints.models import ACTIVE_STATUSES, Complaint, Event
from complaints.services.gate import ComplaintError, changing
from complaints.services.handling import escalate_complaint
from complaints.services.letters import send_adr_letter
from complaints.services.notices import console_link, notify
from configuration.models import TenantSettings
from deadlines.models import Clock, Deadline


def scan_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Flag complaints at risk and breached, notify, escalate; send letters that are due.

    A deadline is at risk within the tenant's at-risk margin (hours) before it is due, and
    breached once due. Each complaint is escalated at most once per scan. Returns counts.
    """
    now = now or timezone.now()
    margin = TenantSettings.current().at_risk_margin
    counts = {"at_risk": 0, "breached": 0, "letters": 0}
    escalated: set[int] = set()
    watched = (
        (Deadline.objects.at_risk(now, margin) | Deadline.objects.breached(now))
        .filter(complaint__status__in=ACTIVE_STATUSES)
        .filter(Q(at_risk_notified_at__isnull=True) | Q(breached_at__isnull=True, due_at__lte=now))
        .select_related("complaint")
        .order_by("due_at")
    )
    for deadline in watched:
        complaint = deadline.complaint
        if (
            deadline.clock in (Clock.FIRST_RESPONSE, Clock.RESOLUTION)
            and complaint.sla_paused_since
        ):
            continue
        try:
            if deadline.clock == Clock.ADR_LETTER:
                if deadline.due_at <= now:
                    send_adr_letter(complaint, actor=SYSTEM)
                    counts["letters"] += 1
                continue
            state = "breached" if deadline.due_at <= now else "at_risk"
            _alert(complaint, deadline, state, now)
            counts[state] += 1
            # One escalation per complaint per scan, however many clocks it missed.
            if state == "breached" and complaint.pk not in escalated:
                escalated.add(complaint.pk)
                escalate_complaint(
                    complaint, f"{deadline.get_clock_display()} deadline missed.", actor=SYSTEM
                )
        except ComplaintError:
            continue  # the complaint changed since the query (closed, letter sent): skip it
    return counts


def _alert(complaint: Complaint, deadline: Deadline, state: str, now: datetime) -> None:
    """Record the alert on the timeline and tell the assignee and the team's manager."""
    words = "was missed" if state == "breached" else "is close"
    label = deadline.get_clock_display()
    with changing(
        complaint,
        actor=SYSTEM,
        permission="complaints.watch_deadlines",
        refusal="Only the deadline watch raises deadline alerts.",
    ) as change:
        if not complaint.is_active:
            raise ComplaintError("The complaint is no longer being worked.")
        if state == "breached":
            Deadline.objects.filter(pk=deadline.pk).update(
                breached_at=now, at_risk_notified_at=deadline.at_risk_notified_at or now
            )
        else:
            Deadline.objects.filter(pk=deadline.pk).update(at_risk_notified_at=now)
        change.record(
            Event.Kind.DEADLINE,
            body=f"{label} deadline {words} ({deadline.due_at:%d %b %Y %H:%M} UTC).",
            internal=True,
            clock=deadline.clock,
            state=state,
        )
        subject = f"{complaint.reference}: {label.lower()} deadline {words}"
        body = (
            f"“{complaint.subject}” — due {deadline.due_at:%d %b %Y %H:%M} UTC.\n\n"
            f"{console_link(complaint)}"
        )
        recipients = {complaint.assignee, complaint.team.manager if complaint.team else None}
        for person in recipients:
            notify(person, f"deadline:{deadline.pk}:{state}", subject, body)
