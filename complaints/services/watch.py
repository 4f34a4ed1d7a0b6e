"""The deadline watch: at-risk and breached clocks, alerts, escalation, letters that fall due."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from accounts.models import SYSTEM, User
from complaints.models import ACTIVE_STATUSES, Complaint, Event, LetterKind
from complaints.services.gate import ComplaintError, changing
from complaints.services.handling import escalate_complaint
from complaints.services.letters import send_adr_letter
from complaints.services.notices import console_link, notify, staff_digest
from configuration.models import TenantSettings
from deadlines.models import Clock, Deadline
from deadlines.services import tenant_regulator
from tenancy import current

# The letters the product sends by itself: how, and the column that records the sending.
AUTOMATIC_LETTERS: dict[str, tuple[Callable[..., Event], str]] = {
    LetterKind.ADR_LETTER: (send_adr_letter, "adr_letter_sent_at")
}


@dataclass
class Digest:
    """The alerts of one scan, gathered per recipient and sent as one e-mail each."""

    zone: ZoneInfo
    lines: dict[int, list[str]] = field(default_factory=dict)
    people: dict[int, User] = field(default_factory=dict)

    def add(self, people: set[User | None], line: str) -> None:
        for person in people:
            if person is not None:
                self.people[person.pk] = person
                self.lines.setdefault(person.pk, []).append(line)

    def send(self, now: datetime) -> None:
        for pk, lines in self.lines.items():
            count = len(lines)
            notify(
                self.people[pk],
                f"deadline-digest:{now:%Y%m%dT%H%M%S%f}",
                f"Deadline alerts: {count} complaint{'' if count == 1 else 's'}",
                "Deadlines that need your attention:\n\n" + "\n\n".join(lines),
            )


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as the tenant reads it, with its zone (an e-mail is read anywhere):
    "18 Nov 2026, 23:59 GMT"."""
    return f"{current.readable_moment(moment, zone)} {moment.astimezone(zone).tzname()}"


def scan_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Send the automatic letters that fall due, flag complaints at risk and breached,
    escalate, and tell each assignee and team manager once, in one digest e-mail per scan
    (the scan's escalations in one more, and as in-app notifications through the gate).

    A deadline is at risk within the tenant's at-risk margin (hours) before it is due, and
    breached once due. Each complaint is escalated at most once per scan. Returns counts.
    """
    now = now or timezone.now()
    margin = TenantSettings.current().at_risk_margin
    zone = ZoneInfo(current.tenant().time_zone)
    counts = {"at_risk": 0, "breached": 0, "letters": send_due_letters(now, margin, zone)}
    escalated: set[int] = set()
    digest = Digest(zone)
    watched = (
        (Deadline.objects.at_risk(now, margin) | Deadline.objects.breached(now))
        .filter(complaint__status__in=ACTIVE_STATUSES)
        .exclude(_automatic_letter_not_sent())
        .filter(Q(at_risk_notified_at__isnull=True) | Q(breached_at__isnull=True, due_at__lte=now))
        .select_related("complaint__assignee", "complaint__team__manager")
        .order_by("due_at")
    )
    try:
        # The escalations of one scan reach each manager as one e-mail, not one each.
        with staff_digest():
            for deadline in watched:
                complaint = deadline.complaint
                if (
                    deadline.clock in (Clock.FIRST_RESPONSE, Clock.RESOLUTION)
                    and complaint.sla_paused_since
                ):
                    continue
                try:
                    state = "breached" if deadline.due_at <= now else "at_risk"
                    _alert(complaint, deadline, state, now, digest)
                    counts[state] += 1
                    # One escalation per complaint per scan, however many clocks it missed.
                    if state == "breached" and complaint.pk not in escalated:
                        escalated.add(complaint.pk)
                        escalate_complaint(
                            complaint,
                            f"{deadline.get_clock_display()} deadline missed.",
                            actor=SYSTEM,
                        )
                except ComplaintError:
                    continue  # the complaint changed since the query (closed, letter sent): skip it
    finally:
        # What was recorded is told, even if a later complaint stopped the scan.
        digest.send(now)
    return counts


def _automatic_letter_not_sent() -> Q:
    """Clocks an automatic letter meets, while it is not sent: the letter is sent on time
    instead of anyone being alerted. Once sent but undelivered, they are watched as usual."""
    regulator = tenant_regulator()
    unsent = Q(pk__in=[])
    for letter in regulator.automatic:
        sent_column = AUTOMATIC_LETTERS[letter][1]
        unsent |= Q(
            clock__in=regulator.clocks_met_by(letter),
            **{f"complaint__{sent_column}__isnull": True},
        )
    return unsent


def send_due_letters(now: datetime, margin: timedelta, zone: ZoneInfo) -> int:
    """Send the letters the product sends by itself (the Ofcom ADR letter) before the clock
    they meet runs out: once it is due within the at-risk margin, or falls due today
    (local date), whichever comes first. Returns how many were sent."""
    regulator = tenant_regulator()
    end_of_today = datetime.combine(
        now.astimezone(zone).date() + timedelta(days=1), time(), tzinfo=zone
    )
    horizon = max(now + margin, end_of_today)
    sent = 0
    for letter in regulator.automatic:
        due = (
            Deadline.objects.open()
            .filter(
                clock__in=regulator.clocks_met_by(letter),
                complaint__status__in=ACTIVE_STATUSES,
                due_at__lt=horizon,
            )
            .select_related("complaint")
            .order_by("due_at")
        )
        for deadline in due:
            try:
                AUTOMATIC_LETTERS[letter][0](deadline.complaint, actor=SYSTEM)
            except ComplaintError:
                continue  # sent or closed meanwhile
            sent += 1
    return sent


def _alert(
    complaint: Complaint, deadline: Deadline, state: str, now: datetime, digest: Digest
) -> None:
    """Record the alert on the timeline; the assignee and team manager get it in the digest."""
    words = "was missed" if state == "breached" else "is close"
    label = deadline.get_clock_display()
    due = local_time(deadline.due_at, digest.zone)
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
            body=f"{label} deadline {words} ({due}).",
            internal=True,
            clock=deadline.clock,
            state=state,
        )
        digest.add(
            {complaint.assignee, complaint.team.manager if complaint.team else None},
            f"{complaint.reference}: {label.lower()} deadline {words} — due {due}.\n"
            f"“{' '.join(complaint.subject.split())}”\n{console_link(complaint)}",
        )
