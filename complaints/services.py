"""Every change to a complaint. Each is atomic and writes exactly one timeline event."""

from __future__ import annotations

from datetime import datetime

import rules
from django.contrib.postgres.search import SearchVector
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from complaints.models import (
    Category,
    Channel,
    Complaint,
    Event,
    Status,
    next_reference,
)
from complaints.predicates import handles_complaint, owns_complaint


class ComplaintError(Exception):
    """A refused complaint change; the message is meant for the person who asked."""


# The moves each status allows, and who may make them.
TRANSITIONS: dict[str, dict[str, rules.Predicate]] = {
    Status.NEW: {
        Status.OPEN: handles_complaint,
        Status.AWAITING_CONSUMER: handles_complaint,
        Status.RESOLVED: handles_complaint,
        Status.WITHDRAWN: owns_complaint,
    },
    Status.OPEN: {
        Status.AWAITING_CONSUMER: handles_complaint,
        Status.RESOLVED: handles_complaint,
        Status.WITHDRAWN: owns_complaint,
    },
    Status.AWAITING_CONSUMER: {
        Status.OPEN: handles_complaint,
        Status.RESOLVED: handles_complaint,
        Status.WITHDRAWN: owns_complaint,
    },
    Status.REOPENED: {
        Status.OPEN: handles_complaint,
        Status.AWAITING_CONSUMER: handles_complaint,
        Status.RESOLVED: handles_complaint,
        Status.WITHDRAWN: owns_complaint,
    },
    Status.RESOLVED: {
        Status.CLOSED: handles_complaint,
        Status.REOPENED: owns_complaint | handles_complaint,
    },
    Status.CLOSED: {},
    Status.WITHDRAWN: {},
}


def allowed_statuses(complaint: Complaint, user: User) -> list[Status]:
    """The statuses ``user`` may move ``complaint`` to now."""
    return [
        Status(target)
        for target, may in TRANSITIONS[complaint.status].items()
        if may.test(user, complaint)
    ]


def _refresh_search_vector(complaint: Complaint) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(
        search_vector=SearchVector("subject", weight="A", config="english")
        + SearchVector("description", weight="B", config="english")
    )


def _locked(complaint: Complaint) -> Complaint:
    """Re-read the complaint under a row lock so concurrent changes apply one after another."""
    locked = Complaint.objects.select_for_update().get(pk=complaint.pk)
    complaint.__dict__.update(locked.__dict__)
    return complaint


def submit_complaint(
    *,
    consumer: User,
    subject: str,
    description: str,
    category: Category | None = None,
    desired_outcome: str = "",
    channel: Channel | str = Channel.PORTAL,
    received_at: datetime | None = None,
    actor: User,
) -> Complaint:
    """Log a new complaint for ``consumer``, received now or at ``received_at``."""
    if consumer.role != Role.CONSUMER:
        raise ComplaintError("Complaints can only be logged for a consumer account.")
    if actor.pk != consumer.pk and not actor.is_staff_member:
        raise ComplaintError("You may only log complaints for yourself.")
    subject, description = subject.strip(), description.strip()
    if not subject or not description:
        raise ComplaintError("A complaint needs a subject and a description.")
    if category is not None and not category.is_active:
        raise ComplaintError("That category is no longer in use; choose another.")
    received = received_at or timezone.now()
    if received > timezone.now():
        raise ComplaintError("The time the complaint was received cannot be in the future.")
    with transaction.atomic():
        complaint = Complaint.objects.create(
            reference=next_reference(received),
            consumer=consumer,
            subject=subject,
            description=description,
            desired_outcome=desired_outcome.strip(),
            category=category,
            channel=channel,
            received_at=received,
        )
        Event.objects.create(
            complaint=complaint, kind=Event.Kind.SUBMITTED, actor=actor, to_status=Status.NEW
        )
        _refresh_search_vector(complaint)
    return complaint


def reply_to_complaint(complaint: Complaint, body: str, *, actor: User) -> Event:
    """A reply the consumer sees. A consumer's reply reopens work on a waiting complaint."""
    body = body.strip()
    if not body:
        raise ComplaintError("A reply cannot be empty.")
    with transaction.atomic():
        _locked(complaint)
        if not actor.has_perm("complaints.reply_to_complaint", complaint):
            raise ComplaintError("You may not reply to this complaint.")
        if complaint.status in (Status.CLOSED, Status.WITHDRAWN):
            raise ComplaintError(
                f"This complaint is {complaint.get_status_display().lower()}; "
                "it no longer takes replies."
            )
        previous = complaint.status
        by_consumer = complaint.consumer_id == actor.pk
        if by_consumer and previous == Status.AWAITING_CONSUMER:
            complaint.status = Status.OPEN
        elif not by_consumer:
            if previous == Status.NEW:
                complaint.status = Status.OPEN
            if complaint.first_responded_at is None:
                complaint.first_responded_at = timezone.now()
        complaint.save(update_fields=["status", "first_responded_at", "updated_at"])
        changed = complaint.status != previous
        return Event.objects.create(
            complaint=complaint,
            kind=Event.Kind.REPLY,
            actor=actor,
            body=body,
            from_status=previous if changed else "",
            to_status=complaint.status if changed else "",
        )


def add_internal_note(complaint: Complaint, body: str, *, actor: User) -> Event:
    """A note for staff only; it never reaches the consumer."""
    body = body.strip()
    if not body:
        raise ComplaintError("A note cannot be empty.")
    if not actor.has_perm("complaints.add_internal_note", complaint):
        raise ComplaintError("You may not add notes to this complaint.")
    with transaction.atomic():
        _locked(complaint)
        complaint.save(update_fields=["updated_at"])
        return Event.objects.create(
            complaint=complaint, kind=Event.Kind.NOTE, actor=actor, body=body, is_internal=True
        )


def change_status(
    complaint: Complaint, to_status: Status | str, *, actor: User, note: str = ""
) -> Event:
    """Move a complaint to another status if the status and the actor's role allow it."""
    if to_status not in Status.values:
        raise ComplaintError(f"{to_status!r} is not a complaint status.")
    target = Status(to_status)
    with transaction.atomic():
        _locked(complaint)
        previous = Status(complaint.status)
        allowed = TRANSITIONS[previous]
        if target not in allowed:
            raise ComplaintError(
                f"A complaint that is {previous.label.lower()} cannot be moved to "
                f"{target.label.lower()}."
            )
        if not allowed[target].test(actor, complaint):
            raise ComplaintError(
                f"You may not move this complaint from {previous.label.lower()} to "
                f"{target.label.lower()}."
            )
        now = timezone.now()
        complaint.status = target
        if target == Status.RESOLVED:
            complaint.resolved_at = now
        elif target == Status.CLOSED:
            complaint.closed_at = now
        elif target == Status.REOPENED:
            complaint.resolved_at = None
        complaint.save(update_fields=["status", "resolved_at", "closed_at", "updated_at"])
        return Event.objects.create(
            complaint=complaint,
            kind=Event.Kind.STATUS_CHANGED,
            actor=actor,
            body=note.strip(),
            from_status=previous,
            to_status=target,
        )
