"""Staff notifications: written inside each complaint change, counted cheaply, marked read."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from complaints.models import Complaint, Event, ResolutionProposal, Status
from complaints.services.gate import Change
from notifications.models import Notification

Kind = Notification.Kind

# How long an unread count is kept; every write and every read-marking drops it first.
COUNT_SECONDS = 300


def _count_key(user_pk: int) -> str:
    # The cache's key function prefixes the tenant's schema, so a count never crosses tenants.
    return f"notifications:unread:{user_pk}"


def _forget_counts(user_pks: Iterable[int]) -> None:
    """Drop the cached counts now and again once the change commits (a request in between may
    have counted the rows before they were visible to it)."""
    keys = [_count_key(pk) for pk in set(user_pks)]
    if keys:
        cache.delete_many(keys)
        transaction.on_commit(lambda: cache.delete_many(keys))


def unread_count(user: Any) -> int:
    """How many of ``user``'s notifications are unread: from the cache, or one indexed count."""
    key = _count_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.for_user(user).unread().count()
        cache.set(key, count, COUNT_SECONDS)
    return int(count)


def mark_read(
    user: Any, notification: Notification | None = None, *, now: datetime | None = None
) -> int:
    """Mark one of ``user``'s notifications read, or all of them (``notification`` None).

    Returns how many changed. A notification of someone else is never touched (the view's
    look-up through ``for_user`` gives a 404 before this).
    """
    rows = Notification.objects.for_user(user).unread()
    if notification is not None:
        rows = rows.filter(pk=notification.pk)
    changed = rows.update(read_at=now or timezone.now())
    if changed:
        _forget_counts([user.pk])
    return changed


def _staff(people: Iterable[User | None], actor: Any) -> list[User]:
    """The people to tell: active staff other than the one who made the change, each once.

    A consumer is never among them, whatever column named them.
    """
    chosen: dict[int, User] = {}
    for person in people:
        if (
            person is not None
            and person.is_active
            and person.is_staff_member
            and person.pk != getattr(actor, "pk", None)
        ):
            chosen[person.pk] = person
    return list(chosen.values())


def _manager(complaint: Complaint) -> User | None:
    return complaint.team.manager if complaint.team_id is not None and complaint.team else None


def _who_and_what(change: Change) -> tuple[str, list[User | None], str] | None:
    """The kind, the candidates and the line for a change that staff are told about."""
    complaint, event, actor = change.complaint, change.event, change.actor
    assert event is not None
    reference = complaint.reference
    by = getattr(actor, "display_name", "")
    kind = event.kind
    if kind == Event.Kind.ASSIGNED or (kind == Event.Kind.SUBMITTED and complaint.assignee_id):
        return (
            Kind.ASSIGNED,
            [complaint.assignee],
            f"{reference} is assigned to you: {complaint.subject}",
        )
    if kind == Event.Kind.REPLY and change.by_consumer:
        return Kind.CONSUMER_REPLIED, [complaint.assignee], f"{reference}: the consumer replied"
    if change.by_consumer and (
        kind == Event.Kind.RESOLUTION_REJECTED or event.to_status == Status.REOPENED
    ):
        # The consumer's answer reopens the complaint: its handler hears of it, or the team's
        # manager when nobody holds it.
        what = (
            "rejected the resolution; it is reopened"
            if kind == Event.Kind.RESOLUTION_REJECTED
            else "reopened the complaint"
        )
        return (
            Kind.CONSUMER_REPLIED,
            [complaint.assignee or _manager(complaint)],
            f"{reference}: the consumer {what}",
        )
    if kind == Event.Kind.DEADLINE and event.data.get("state") in (Kind.AT_RISK, Kind.BREACHED):
        return (
            Kind(event.data["state"]),
            [complaint.assignee, _manager(complaint)],
            f"{reference}: {event.body}",
        )
    if kind == Event.Kind.RESOLUTION_PROPOSED:
        return (
            Kind.AWAITING_APPROVAL,
            [_manager(complaint)],
            f"{reference}: a resolution by {by} waits for your approval",
        )
    if kind == Event.Kind.HANDED_BACK:
        return Kind.HANDED_BACK, [complaint.assignee], f"{reference} is back from {by}"
    if kind == Event.Kind.REFERRED:
        return Kind.REFERRED, [complaint.specialist], f"{reference} was referred to you by {by}"
    if kind == Event.Kind.RESOLUTION_RETURNED:
        proposal = (
            ResolutionProposal.objects.select_related("proposed_by")
            .filter(pk=event.data.get("proposal"))
            .first()
        )
        return (
            Kind.RETURNED,
            [proposal.proposed_by if proposal else None],
            f"{reference}: {by} returned your resolution",
        )
    return None


# Events that decide a resolution waiting for approval (their data names the proposal).
DECIDED = (Event.Kind.RESOLVED, Event.Kind.RESOLUTION_RETURNED)


def notify_staff_of_change(change: Change) -> None:
    """The gate's observer: tell the staff a change concerns, in the change's transaction.

    Assigned to you, consumer replied, deadline at risk or missed (written by the deadline
    scan's alerts), a resolution awaiting your approval, handed back, referred to you, your
    resolution returned. The person who made the change is not told of it.
    """
    event = change.event
    if event is not None and event.data.get("proposal") and event.kind in DECIDED:
        # The resolution that waited is decided: "awaiting your approval" is done for everyone.
        waiting = Notification.objects.filter(
            complaint=change.complaint, kind=Kind.AWAITING_APPROVAL, read_at__isnull=True
        )
        told = list(waiting.values_list("recipient_id", flat=True))
        if told:
            waiting.update(read_at=timezone.now())
            _forget_counts(told)
    found = _who_and_what(change)
    if found is None:
        return
    kind, candidates, text = found
    people = _staff(candidates, change.actor)
    if not people:
        return
    Notification.objects.bulk_create(
        Notification(
            recipient=person,
            kind=kind,
            complaint=change.complaint,
            event=change.event,
            text=text[:300],
            created_at=change.event.created_at if change.event else timezone.now(),
        )
        for person in people
    )
    _forget_counts(person.pk for person in people)
