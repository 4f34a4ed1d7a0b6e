"""Every change to a complaint.

Each service is atomic, checks who may make the change, and writes exactly one timeline
event for the change itself. Required communications (letters) are recorded as their own
timeline entries, and every e-mail goes through the outbox in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import rules
from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchVector
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import Role, User
from accounts.predicates import is_verified_manager
from complaints.attachments import AttachmentError, check_uploads
from complaints.letters import LetterError, compose
from complaints.models import (
    ACTIVE_STATUSES,
    PLACEHOLDERS,
    Attachment,
    CannedResponse,
    Category,
    Channel,
    Complaint,
    Event,
    LetterKind,
    Outcome,
    Priority,
    ResolutionProposal,
    RootCause,
    Status,
    Team,
    next_reference,
)
from complaints.predicates import handles_complaint, owns_complaint
from configuration.models import AssignmentStrategy, TenantSettings
from deadlines.models import Clock, Deadline
from deadlines.services import (
    deadline_for,
    mark_met,
    pause_sla,
    refresh_deadlines,
    resume_sla,
    update_next_due,
)
from outbox.services import enqueue_email
from tenancy import current


class ComplaintError(Exception):
    """A refused complaint change; the message is meant for the person who asked."""


# The plain status moves, and who may make them. Resolving, accepting and rejecting a
# resolution carry more information and have services of their own.
TRANSITIONS: dict[str, dict[str, rules.Predicate]] = {
    Status.NEW: {
        Status.OPEN: handles_complaint,
        Status.AWAITING_CONSUMER: handles_complaint,
        Status.WITHDRAWN: owns_complaint,
    },
    Status.OPEN: {
        Status.AWAITING_CONSUMER: handles_complaint,
        Status.WITHDRAWN: owns_complaint,
    },
    Status.AWAITING_CONSUMER: {
        Status.OPEN: handles_complaint,
        Status.WITHDRAWN: owns_complaint,
    },
    Status.REOPENED: {
        Status.OPEN: handles_complaint,
        Status.AWAITING_CONSUMER: handles_complaint,
        Status.WITHDRAWN: owns_complaint,
    },
    Status.RESOLVED: {
        Status.CLOSED: handles_complaint,
        Status.REOPENED: handles_complaint,
    },
    Status.CLOSED: {Status.REOPENED: is_verified_manager},
    Status.WITHDRAWN: {},
}
RESOLVABLE = (Status.NEW, Status.OPEN, Status.AWAITING_CONSUMER, Status.REOPENED)


def allowed_statuses(complaint: Complaint, user: User) -> list[Status]:
    """The statuses ``user`` may move ``complaint`` to with a plain status change."""
    return [
        Status(target)
        for target, may in TRANSITIONS[complaint.status].items()
        if may.test(user, complaint)
    ]


# --- helpers ------------------------------------------------------------------------------


def _locked(complaint: Complaint) -> Complaint:
    """Re-read the complaint under a row lock so concurrent changes apply one after another."""
    locked = Complaint.objects.select_for_update(of=("self",)).get(pk=complaint.pk)
    complaint.__dict__.update(
        {key: value for key, value in locked.__dict__.items() if not key.startswith("_")}
    )
    return complaint


def _require(actor: User | None, permission: str, complaint: Complaint, refusal: str) -> None:
    if actor is not None and not actor.has_perm(permission, complaint):
        raise ComplaintError(refusal)


def _event(
    complaint: Complaint,
    kind: Event.Kind,
    actor: User | None,
    *,
    body: str = "",
    internal: bool = False,
    previous: str = "",
    **data: Any,
) -> Event:
    changed = previous and previous != complaint.status
    return Event.objects.create(
        complaint=complaint,
        kind=kind,
        actor=actor,
        body=body,
        is_internal=internal,
        from_status=previous if changed else "",
        to_status=complaint.status if changed else "",
        data=data,
    )


def _set_status(complaint: Complaint, target: Status) -> str:
    """Move to ``target``, keeping the SLA pause and the milestone timestamps right."""
    previous = complaint.status
    now = timezone.now()
    complaint.status = target
    if target == Status.RESOLVED:
        complaint.resolved_at = now
    elif target in (Status.CLOSED, Status.WITHDRAWN):
        complaint.closed_at = now
    elif target == Status.REOPENED:
        complaint.resolved_at = None
        complaint.closed_at = None
        complaint.reopened_at = now
        complaint.sla_paused_for = timedelta()
    complaint.save(
        update_fields=[
            "status",
            "resolved_at",
            "closed_at",
            "reopened_at",
            "sla_paused_for",
            "updated_at",
        ]
    )
    if target == Status.AWAITING_CONSUMER:
        pause_sla(complaint)
    elif previous == Status.AWAITING_CONSUMER:
        resume_sla(complaint)
    elif target == Status.REOPENED:
        # Work starts again: the resolution clock runs anew from the reopening.
        complaint.deadlines.filter(clock=Clock.RESOLUTION).update(
            met_at=None, at_risk_notified_at=None, breached_at=None
        )
        refresh_deadlines(complaint)
    else:
        update_next_due(complaint)
    return previous


def _correspondence(kind: Event.Kind, *, internal: bool) -> Subquery:
    """All message bodies of one kind on the outer complaint, as one text."""
    return Subquery(
        Event.objects.filter(complaint=OuterRef("pk"), kind=kind, is_internal=internal)
        .order_by()
        .values("complaint")
        .annotate(text=StringAgg("body", "\n"))
        .values("text")
    )


def _refresh_search_vector(complaint: Complaint) -> None:
    """Index the complaint's words: public ones, and internal notes apart for staff search."""
    Complaint.objects.filter(pk=complaint.pk).update(
        search_vector=SearchVector("subject", weight="A", config="english")
        + SearchVector("description", weight="B", config="english")
        + SearchVector(
            _correspondence(Event.Kind.REPLY, internal=False), weight="C", config="english"
        ),
        internal_search_vector=SearchVector(
            _correspondence(Event.Kind.NOTE, internal=True), config="english"
        ),
    )


def _notify(recipient: User | None, key: str, subject: str, body: str) -> None:
    if recipient is not None and recipient.is_active:
        enqueue_email(
            key=f"{key}:{recipient.pk}", recipient=recipient.email, subject=subject, body=body
        )


def _tell_staff(person: User | None, event: Event, subject: str, message: str) -> None:
    """E-mail a staff member about ``event``, with a link to the complaint in the console."""
    complaint = event.complaint
    _notify(person, f"event:{event.pk}", subject, f"{message}\n\n{_console_link(complaint)}")


def _console_link(complaint: Complaint) -> str:
    return f"{current.tenant().base_url}/console/complaints/{complaint.reference}/"


def _portal_link(complaint: Complaint) -> str:
    return f"{current.tenant().base_url}/complaints/{complaint.reference}/"


def _attach(
    complaint: Complaint,
    event: Event,
    uploads: Sequence[UploadedFile],
    *,
    actor: User,
) -> None:
    if not uploads:
        return
    policy = TenantSettings.current()
    try:
        checked = check_uploads(list(uploads), max_bytes=policy.max_attachment_mb * 1_048_576)
    except AttachmentError as error:
        raise ComplaintError(str(error)) from error
    for item in checked:
        attachment = Attachment(
            complaint=complaint,
            event=event,
            original_name=item.name,
            content_type=item.content_type,
            size=item.size,
            is_internal=event.is_internal,
            uploaded_by=actor,
        )
        attachment.file.save(item.name, item.upload, save=False)
        attachment.save()


def send_letter(
    complaint: Complaint, kind: LetterKind, *, actor: User | None, **extra: str
) -> Event:
    """Compose a required communication, record it on the timeline and e-mail it."""
    tenant = current.tenant()
    try:
        subject, body = compose(complaint, tenant, kind, **extra)
    except LetterError as error:
        raise ComplaintError(str(error)) from error
    event = _event(complaint, Event.Kind.LETTER, actor, body=body, letter=kind, subject=subject)
    enqueue_email(
        key=f"letter:{event.pk}",
        recipient=complaint.consumer.email,
        subject=subject,
        body=f"{body}\n\nFollow your complaint online: {_portal_link(complaint)}",
    )
    return event


# --- intake -------------------------------------------------------------------------------


def _route(complaint: Complaint, policy: TenantSettings) -> None:
    """Put a new complaint in its queue and, if the tenant wants, give it to an agent."""
    team = (complaint.category.team if complaint.category else None) or Team.default()
    complaint.team = team
    if team is not None and policy.assignment_strategy != AssignmentStrategy.MANUAL:
        complaint.assignee = pick_assignee(team, policy.assignment_strategy)
    complaint.save(update_fields=["team", "assignee"])


def pick_assignee(team: Team, strategy: str) -> User | None:
    """The available agent who should get the next complaint of ``team``."""
    agents = list(
        team.members.filter(role=Role.AGENT, is_active=True, is_available=True).order_by("pk")
    )
    if not agents:
        return None
    if strategy == AssignmentStrategy.LEAST_LOADED:
        loads = dict(
            User.objects.filter(pk__in=[agent.pk for agent in agents])
            .annotate(
                load=Count(
                    "assigned_complaints", filter=Q(assigned_complaints__status__in=ACTIVE_STATUSES)
                )
            )
            .values_list("pk", "load")
        )
        chosen = min(agents, key=lambda agent: (loads[agent.pk], agent.pk))
    else:
        locked = Team.objects.select_for_update().get(pk=team.pk)
        after = [
            agent
            for agent in agents
            if locked.last_assignee_id and agent.pk > locked.last_assignee_id
        ]
        chosen = after[0] if after else agents[0]
        Team.objects.filter(pk=team.pk).update(last_assignee=chosen)
    return chosen


def submit_complaint(
    *,
    consumer: User,
    subject: str,
    description: str,
    category: Category | None = None,
    desired_outcome: str = "",
    channel: Channel | str = Channel.PORTAL,
    received_at: datetime | None = None,
    files: Sequence[UploadedFile] = (),
    actor: User,
) -> Complaint:
    """Log a complaint for ``consumer``, received now or (staff intake) at ``received_at``.

    Routes it, starts its clocks and sends the acknowledgement stating the deadline.
    """
    if consumer.role != Role.CONSUMER:
        raise ComplaintError("Complaints can only be logged for a consumer account.")
    if actor.pk != consumer.pk and not actor.has_perm("complaints.log_on_behalf"):
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
        policy = TenantSettings.current()
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
        event = Event.objects.create(
            complaint=complaint,
            kind=Event.Kind.SUBMITTED,
            actor=actor,
            to_status=Status.NEW,
            created_at=received,
            data={"channel": str(channel)},
        )
        _route(complaint, policy)
        refresh_deadlines(complaint)
        send_letter(complaint, LetterKind.ACKNOWLEDGEMENT, actor=None)
        complaint.acknowledged_at = timezone.now()
        complaint.save(update_fields=["acknowledged_at"])
        mark_met(complaint, [Clock.ACKNOWLEDGEMENT], complaint.acknowledged_at)
        # Files are stored last: storage is not rolled back if a step above refuses.
        _attach(complaint, event, files, actor=actor)
        _refresh_search_vector(complaint)
        if complaint.assignee is not None:
            _notify_assignment(complaint, f"routed:{complaint.pk}")
    return complaint


def consumer_for_intake(email: str, full_name: str = "") -> User:
    """The consumer account for a complaint received by phone, letter or e-mail.

    A person without an account gets one without a password; they can set one with a
    password reset to follow the complaint online.
    """
    email = email.strip().lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(
            email, None, full_name=full_name.strip(), role=Role.CONSUMER
        )
    elif user.role != Role.CONSUMER:
        raise ComplaintError(f"{email} belongs to a staff account, not a consumer.")
    return user


def log_complaint_on_behalf(
    *, consumer_email: str, consumer_name: str = "", actor: User, **details: Any
) -> Complaint:
    """Staff intake: a complaint received by phone, letter, e-mail or social media."""
    if not actor.has_perm("complaints.log_on_behalf"):
        raise ComplaintError("You may not log complaints on a consumer's behalf.")
    with transaction.atomic():
        consumer = consumer_for_intake(consumer_email, consumer_name)
        return submit_complaint(consumer=consumer, actor=actor, **details)


# --- correspondence -----------------------------------------------------------------------


def reply_to_complaint(
    complaint: Complaint, body: str, *, actor: User, files: Sequence[UploadedFile] = ()
) -> Event:
    """A reply the consumer sees. A consumer's reply brings a waiting complaint back to work."""
    body = body.strip()
    if not body:
        raise ComplaintError("A reply cannot be empty.")
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor,
            "complaints.reply_to_complaint",
            complaint,
            "You may not reply to this complaint.",
        )
        if complaint.status in (Status.CLOSED, Status.WITHDRAWN):
            raise ComplaintError(
                f"This complaint is {complaint.get_status_display().lower()}; "
                "it no longer takes replies."
            )
        by_consumer = complaint.consumer_id == actor.pk
        previous = complaint.status
        if by_consumer and previous == Status.AWAITING_CONSUMER:
            _set_status(complaint, Status.OPEN)
        elif not by_consumer:
            if previous == Status.NEW:
                _set_status(complaint, Status.OPEN)
            if complaint.first_responded_at is None:
                complaint.first_responded_at = timezone.now()
                complaint.save(update_fields=["first_responded_at"])
                mark_met(complaint, [Clock.FIRST_RESPONSE, Clock.INITIAL_RESPONSE])
        complaint.save(update_fields=["updated_at"])
        event = _event(complaint, Event.Kind.REPLY, actor, body=body, previous=previous)
        _attach(complaint, event, files, actor=actor)
        _refresh_search_vector(complaint)
        if by_consumer:
            _tell_staff(
                complaint.assignee,
                event,
                f"{complaint.reference}: the consumer replied",
                f"{complaint.consumer.display_name} replied to {complaint.reference}.",
            )
        else:
            _notify(
                complaint.consumer,
                f"event:{event.pk}",
                f"New reply on your complaint {complaint.reference}",
                f"{body}\n\nReply or follow your complaint online: {_portal_link(complaint)}",
            )
        return event


def add_internal_note(
    complaint: Complaint, body: str, *, actor: User, files: Sequence[UploadedFile] = ()
) -> Event:
    """A note for staff only; it never reaches the consumer."""
    body = body.strip()
    if not body:
        raise ComplaintError("A note cannot be empty.")
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor,
            "complaints.add_internal_note",
            complaint,
            "You may not add notes to this complaint.",
        )
        complaint.save(update_fields=["updated_at"])
        event = _event(complaint, Event.Kind.NOTE, actor, body=body, internal=True)
        _attach(complaint, event, files, actor=actor)
        _refresh_search_vector(complaint)
        return event


# --- status -------------------------------------------------------------------------------


def change_status(
    complaint: Complaint, to_status: Status | str, *, actor: User, note: str = ""
) -> Event:
    """Move a complaint to another status if the status and the actor's role allow it."""
    if to_status not in Status.values:
        raise ComplaintError(f"{to_status!r} is not a complaint status.")
    target = Status(to_status)
    with transaction.atomic():
        _locked(complaint)
        current_status = Status(complaint.status)
        allowed = TRANSITIONS[current_status]
        if target == Status.RESOLVED and current_status in RESOLVABLE:
            # Only someone who may resolve is pointed to the resolution; others are refused.
            if actor.has_perm("complaints.resolve_complaint", complaint):
                raise ComplaintError("Resolve the complaint with its outcome and summary.")
            raise ComplaintError(
                f"You may not move this complaint from {current_status.label.lower()} to "
                f"{target.label.lower()}."
            )
        if target not in allowed:
            raise ComplaintError(
                f"A complaint that is {current_status.label.lower()} cannot be moved to "
                f"{target.label.lower()}."
            )
        if not allowed[target].test(actor, complaint):
            raise ComplaintError(
                f"You may not move this complaint from {current_status.label.lower()} to "
                f"{target.label.lower()}."
            )
        previous = _set_status(complaint, target)
        if target == Status.WITHDRAWN:
            complaint.outcome = Outcome.WITHDRAWN
            complaint.save(update_fields=["outcome"])
        return _event(
            complaint, Event.Kind.STATUS_CHANGED, actor, body=note.strip(), previous=previous
        )


def _checked_resolution(
    outcome: Outcome | str, summary: str, root_cause: RootCause | None, redress: Decimal | None
) -> tuple[str, RootCause]:
    """The summary and root cause, once the resolution is complete enough to send."""
    if outcome not in (Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD):
        raise ComplaintError("Choose an outcome: upheld, partly upheld or not upheld.")
    summary = summary.strip()
    if not summary:
        raise ComplaintError("Write a resolution summary for the consumer.")
    if root_cause is None or not root_cause.is_active:
        raise ComplaintError("Choose the root cause, for root-cause analysis.")
    if redress is not None and redress < 0:
        raise ComplaintError("Redress cannot be negative.")
    return summary, root_cause


def _require_resolvable(complaint: Complaint) -> None:
    if complaint.status not in RESOLVABLE:
        raise ComplaintError(
            f"A complaint that is {complaint.get_status_display().lower()} cannot be resolved."
        )


def _redress_currency(amount: Decimal | None, currency: str, policy: TenantSettings) -> str:
    return (currency or policy.currency).upper() if amount else ""


def resolve_complaint(
    complaint: Complaint,
    *,
    outcome: Outcome | str,
    summary: str,
    root_cause: RootCause | None,
    redress_amount: Decimal | None = None,
    redress_currency: str = "",
    actor: User,
) -> Event:
    """Resolve and send the final response (or summary resolution) it needs.

    Where the tenant has managers approve final responses, an agent's resolution is held as
    a proposal instead (the returned event is then the internal RESOLUTION_PROPOSED one).
    """
    summary, root_cause = _checked_resolution(outcome, summary, root_cause, redress_amount)
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor, "complaints.resolve_complaint", complaint, "You may not resolve this complaint."
        )
        _require_resolvable(complaint)
        if complaint.resolution_proposals.open().exists():
            raise ComplaintError(
                "A resolution of this complaint is waiting for a manager's approval."
            )
        policy = TenantSettings.current()
        currency = _redress_currency(redress_amount, redress_currency, policy)
        if policy.final_response_approval and not actor.has_perm(
            "complaints.approve_resolution", complaint
        ):
            proposal = ResolutionProposal.objects.create(
                complaint=complaint,
                outcome=outcome,
                summary=summary,
                root_cause=root_cause,
                redress_amount=redress_amount or None,
                redress_currency=currency,
                proposed_by=actor,
            )
            complaint.save(update_fields=["updated_at"])
            event = _event(
                complaint,
                Event.Kind.RESOLUTION_PROPOSED,
                actor,
                body=summary,
                internal=True,
                outcome=str(outcome),
                proposal=proposal.pk,
            )
            _tell_staff(
                complaint.team.manager if complaint.team else None,
                event,
                f"{complaint.reference}: a resolution waits for your approval",
                f"{actor.display_name} proposes to resolve {complaint.reference} as "
                f"{Outcome(outcome).label.lower()}. The consumer hears nothing until you "
                f"approve it.",
            )
            return event
        return _resolve(
            complaint,
            outcome=outcome,
            summary=summary,
            root_cause=root_cause,
            redress_amount=redress_amount,
            redress_currency=currency,
            actor=actor,
        )


def _resolve(
    complaint: Complaint,
    *,
    outcome: Outcome | str,
    summary: str,
    root_cause: RootCause,
    redress_amount: Decimal | None,
    redress_currency: str,
    actor: User,
) -> Event:
    """Record the resolution on the locked complaint, send its letters and meet its clocks."""
    complaint.outcome = outcome
    complaint.resolution_summary = summary
    complaint.root_cause = root_cause
    complaint.redress_amount = redress_amount or None
    complaint.redress_currency = redress_currency
    complaint.save(
        update_fields=[
            "outcome",
            "resolution_summary",
            "root_cause",
            "redress_amount",
            "redress_currency",
        ]
    )
    previous = _set_status(complaint, Status.RESOLVED)
    event = _event(
        complaint,
        Event.Kind.RESOLVED,
        actor,
        body=summary,
        previous=previous,
        outcome=str(outcome),
    )
    now = timezone.now()
    summary_clock = deadline_for(complaint, Clock.SUMMARY_RESOLUTION)
    # A summary resolution is for complaints settled at once; once a consumer has
    # rejected a resolution, only a final response will do.
    if summary_clock is not None and now <= summary_clock.due_at and complaint.reopened_at is None:
        send_letter(complaint, LetterKind.SUMMARY_RESOLUTION, actor=actor)
        met = [Clock.SUMMARY_RESOLUTION, Clock.FINAL_RESPONSE]
    else:
        send_letter(complaint, LetterKind.FINAL_RESPONSE, actor=actor)
        met = [Clock.FINAL_RESPONSE]
    mark_met(complaint, [*met, Clock.RESOLUTION, Clock.INITIAL_RESPONSE, Clock.FIRST_RESPONSE], now)
    if outcome == Outcome.NOT_UPHELD:
        _send_adr_letter_if_required(complaint, actor=actor)
    return event


def _locked_open_proposal(proposal: ResolutionProposal, *, actor: User, refusal: str) -> Complaint:
    """Lock the proposal's complaint and re-read the proposal; it must still wait for a decision."""
    complaint = _locked(proposal.complaint)
    _require(actor, "complaints.approve_resolution", complaint, refusal)
    proposal.refresh_from_db()
    if proposal.decision:
        raise ComplaintError(
            f"This resolution was already {proposal.get_decision_display().lower()}."
        )
    return complaint


def _decide(proposal: ResolutionProposal, decision: str, *, actor: User, comment: str = "") -> None:
    proposal.decision = decision
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.manager_comment = comment
    proposal.save(update_fields=["decision", "decided_by", "decided_at", "manager_comment"])


def approve_resolution(proposal: ResolutionProposal, *, actor: User) -> Event:
    """A manager approves an agent's resolution: the complaint is resolved with it and the
    consumer sent its final response (or summary resolution), as if resolved directly."""
    with transaction.atomic():
        complaint = _locked_open_proposal(
            proposal, actor=actor, refusal="Only a manager can approve this resolution."
        )
        _require_resolvable(complaint)
        _checked_resolution(
            proposal.outcome, proposal.summary, proposal.root_cause, proposal.redress_amount
        )
        _decide(proposal, ResolutionProposal.Decision.APPROVED, actor=actor)
        return _resolve(
            complaint,
            outcome=proposal.outcome,
            summary=proposal.summary,
            root_cause=proposal.root_cause,
            redress_amount=proposal.redress_amount,
            redress_currency=proposal.redress_currency,
            actor=actor,
        )


def return_resolution(proposal: ResolutionProposal, comment: str, *, actor: User) -> Event:
    """A manager sends an agent's resolution back with what to change; the agent is told."""
    comment = comment.strip()
    if not comment:
        raise ComplaintError("Say what needs to change before returning the resolution.")
    with transaction.atomic():
        complaint = _locked_open_proposal(
            proposal, actor=actor, refusal="Only a manager can return this resolution."
        )
        _decide(proposal, ResolutionProposal.Decision.RETURNED, actor=actor, comment=comment)
        complaint.save(update_fields=["updated_at"])
        event = _event(
            complaint,
            Event.Kind.RESOLUTION_RETURNED,
            actor,
            body=comment,
            internal=True,
            proposal=proposal.pk,
        )
        _tell_staff(
            proposal.proposed_by,
            event,
            f"{complaint.reference}: your resolution was returned",
            f"{actor.display_name} returned your resolution of {complaint.reference}:\n\n{comment}",
        )
        return event


def accept_resolution(complaint: Complaint, *, actor: User) -> Event:
    """The consumer accepts the resolution; the complaint closes."""
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor,
            "complaints.answer_resolution",
            complaint,
            "Only the consumer can accept the resolution.",
        )
        if complaint.status != Status.RESOLVED:
            raise ComplaintError("There is no resolution waiting for your answer.")
        previous = _set_status(complaint, Status.CLOSED)
        mark_met(complaint, [Clock.ADR_LETTER])
        return _event(complaint, Event.Kind.RESOLUTION_ACCEPTED, actor, previous=previous)


def reopen_window_ends(complaint: Complaint) -> datetime | None:
    if complaint.resolved_at is None:
        return None
    return complaint.resolved_at + timedelta(days=TenantSettings.current().reopen_window_days)


def reject_resolution(complaint: Complaint, reason: str, *, actor: User) -> Event:
    """The consumer rejects the resolution within the tenant's window; work starts again."""
    reason = reason.strip()
    if not reason:
        raise ComplaintError("Tell us why the resolution does not put things right.")
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor,
            "complaints.answer_resolution",
            complaint,
            "Only the consumer can reject the resolution.",
        )
        if complaint.status != Status.RESOLVED:
            raise ComplaintError("There is no resolution waiting for your answer.")
        window_end = reopen_window_ends(complaint)
        if window_end is not None and timezone.now() > window_end:
            raise ComplaintError(
                "The time to reject this resolution has passed. Contact us if you are still unhappy."
            )
        previous = _set_status(complaint, Status.REOPENED)
        event = _event(
            complaint, Event.Kind.RESOLUTION_REJECTED, actor, body=reason, previous=previous
        )
        _send_adr_letter_if_required(complaint, actor=None)
        _tell_staff(
            complaint.assignee,
            event,
            f"{complaint.reference}: resolution rejected",
            f"The consumer rejected the resolution of {complaint.reference}.",
        )
        return event


def auto_close_resolved(now: datetime | None = None) -> int:
    """Close resolutions the consumer has not answered within the tenant's number of days."""
    now = now or timezone.now()
    days = TenantSettings.current().auto_close_days
    due = Complaint.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - timedelta(days=days)
    )
    closed = 0
    for complaint in due.only("pk"):
        with transaction.atomic():
            _locked(complaint)
            if complaint.status != Status.RESOLVED:
                continue
            previous = _set_status(complaint, Status.CLOSED)
            _event(
                complaint,
                Event.Kind.STATUS_CHANGED,
                None,
                body=f"Closed automatically: no answer to the resolution within {days} days.",
                previous=previous,
            )
            closed += 1
    return closed


# --- handling -----------------------------------------------------------------------------


def _notify_assignment(complaint: Complaint, key: str) -> None:
    _notify(
        complaint.assignee,
        key,
        f"{complaint.reference} is assigned to you",
        f"“{complaint.subject}” is now yours.\n\n{_console_link(complaint)}",
    )


def assign_complaint(complaint: Complaint, assignee: User | None, *, actor: User) -> Event:
    """Claim (assignee is the actor), assign, reassign or unassign a complaint."""
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor, "complaints.assign_complaint", complaint, "You may not assign this complaint."
        )
        is_manager = actor.role in (Role.MANAGER, Role.ADMIN)
        if not is_manager:
            if assignee is None or assignee.pk != actor.pk:
                raise ComplaintError("Agents can only claim complaints for themselves.")
            if complaint.assignee_id not in (None, actor.pk):
                raise ComplaintError(
                    f"{complaint.assignee.display_name} already has this complaint; ask a manager to reassign it."  # type: ignore[union-attr]
                )
        if assignee is not None and (
            assignee.role not in (Role.AGENT, Role.MANAGER) or not assignee.is_active
        ):
            raise ComplaintError(f"{assignee.display_name} cannot be given complaints.")
        if not complaint.is_active:
            raise ComplaintError("Only complaints still being worked can be assigned.")
        if assignee is not None and complaint.assignee_id == assignee.pk:
            raise ComplaintError(f"{assignee.display_name} already has this complaint.")
        previous = complaint.assignee
        complaint.assignee = assignee
        complaint.save(update_fields=["assignee", "updated_at"])
        event = _event(
            complaint,
            Event.Kind.ASSIGNED,
            actor,
            internal=True,
            assignee=assignee.display_name if assignee else "",
            previous_assignee=previous.display_name if previous else "",
        )
        if assignee is not None and assignee.pk != actor.pk:
            _notify_assignment(complaint, f"event:{event.pk}")
        return event


def move_to_team(complaint: Complaint, team: Team, *, actor: User) -> Event:
    """Move a complaint to another team's queue (the assignee stays only if in that team)."""
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor, "complaints.assign_complaint", complaint, "You may not move this complaint."
        )
        if complaint.team_id == team.pk:
            raise ComplaintError(f"The complaint is already in {team.name}.")
        previous = complaint.team
        complaint.team = team
        if complaint.assignee_id and not team.members.filter(pk=complaint.assignee_id).exists():
            complaint.assignee = None
        complaint.save(update_fields=["team", "assignee", "updated_at"])
        return _event(
            complaint,
            Event.Kind.ASSIGNED,
            actor,
            internal=True,
            team=team.name,
            previous_team=previous.name if previous else "",
        )


def change_priority(complaint: Complaint, priority: Priority | str, *, actor: User) -> Event:
    """Change the priority; the tenant's SLA deadlines follow."""
    if priority not in Priority.values:
        raise ComplaintError(f"{priority!r} is not a priority.")
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor, "complaints.triage_complaint", complaint, "You may not change the priority."
        )
        if complaint.priority == priority:
            raise ComplaintError("The complaint already has that priority.")
        previous = complaint.get_priority_display()
        complaint.priority = priority
        complaint.save(update_fields=["priority", "updated_at"])
        refresh_deadlines(complaint)
        return _event(
            complaint,
            Event.Kind.PRIORITY_CHANGED,
            actor,
            internal=True,
            previous_value=previous,
            value=complaint.get_priority_display(),
        )


def change_category(complaint: Complaint, category: Category, *, actor: User) -> Event:
    """Recategorise (product and cause); clocks that depend on it are recomputed."""
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor, "complaints.triage_complaint", complaint, "You may not change the category."
        )
        if not category.is_active:
            raise ComplaintError("That category is no longer in use.")
        if complaint.category_id == category.pk:
            raise ComplaintError("The complaint already has that category.")
        previous = str(complaint.category) if complaint.category else ""
        complaint.category = category
        complaint.save(update_fields=["category", "updated_at"])
        refresh_deadlines(complaint)
        return _event(
            complaint,
            Event.Kind.CATEGORY_CHANGED,
            actor,
            internal=True,
            previous_value=previous,
            value=str(category),
        )


def refer_to_specialist(complaint: Complaint, specialist: User, note: str, *, actor: User) -> Event:
    """Ask a second-line specialist to look at the complaint."""
    note = note.strip()
    if not note:
        raise ComplaintError("Tell the specialist what you need.")
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor, "complaints.refer_complaint", complaint, "You may not refer this complaint."
        )
        if specialist.role != Role.SPECIALIST or not specialist.is_active:
            raise ComplaintError(f"{specialist.display_name} is not a support specialist.")
        if not complaint.is_active:
            raise ComplaintError("Only complaints still being worked can be referred.")
        if complaint.specialist_id is not None:
            raise ComplaintError("The complaint is already with a specialist.")
        complaint.specialist = specialist
        complaint.save(update_fields=["specialist", "updated_at"])
        event = _event(
            complaint,
            Event.Kind.REFERRED,
            actor,
            body=note,
            internal=True,
            specialist=specialist.display_name,
        )
        _tell_staff(
            specialist,
            event,
            f"{complaint.reference} was referred to you",
            f"{actor.display_name} asks: {note}",
        )
        return event


def hand_back(complaint: Complaint, findings: str, *, actor: User) -> Event:
    """The specialist returns the complaint to the first line with their findings."""
    findings = findings.strip()
    if not findings:
        raise ComplaintError("Write your findings before handing back.")
    with transaction.atomic():
        _locked(complaint)
        if complaint.specialist_id != actor.pk:
            raise ComplaintError("Only the specialist it was referred to can hand it back.")
        _require(
            actor, "complaints.view_complaint", complaint, "You may not hand back this complaint."
        )
        complaint.specialist = None
        complaint.save(update_fields=["specialist", "updated_at"])
        event = _event(complaint, Event.Kind.HANDED_BACK, actor, body=findings, internal=True)
        _tell_staff(
            complaint.assignee,
            event,
            f"{complaint.reference} is back from the specialist",
            f"{actor.display_name} handed back {complaint.reference}.",
        )
        return event


def escalate_complaint(complaint: Complaint, reason: str, *, actor: User | None) -> Event:
    """Raise the escalation level (a level, not a status); the team's manager is told."""
    reason = reason.strip()
    if not reason:
        raise ComplaintError("Say why the complaint is escalated.")
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor,
            "complaints.escalate_complaint",
            complaint,
            "You may not escalate this complaint.",
        )
        if not complaint.is_active:
            raise ComplaintError("Only complaints still being worked can be escalated.")
        complaint.escalation_level += 1
        if complaint.priority in (Priority.LOW, Priority.NORMAL):
            complaint.priority = Priority.HIGH
        complaint.save(update_fields=["escalation_level", "priority", "updated_at"])
        refresh_deadlines(complaint)
        event = _event(
            complaint,
            Event.Kind.ESCALATED,
            actor,
            body=reason,
            internal=True,
            level=complaint.escalation_level,
        )
        manager = complaint.team.manager if complaint.team else None
        _tell_staff(
            manager,
            event,
            f"{complaint.reference} escalated to level {complaint.escalation_level}",
            reason,
        )
        return event


def merge_complaint(duplicate: Complaint, target: Complaint, *, actor: User) -> Event:
    """Close ``duplicate`` as a duplicate of ``target``; both timelines stay readable."""
    if duplicate.pk == target.pk:
        raise ComplaintError("A complaint cannot be merged into itself.")
    with transaction.atomic():
        first, second = sorted([duplicate, target], key=lambda item: item.pk)
        _locked(first)
        _locked(second)
        _require(
            actor, "complaints.merge_complaint", duplicate, "You may not merge this complaint."
        )
        _require(
            actor, "complaints.merge_complaint", target, "You may not merge into that complaint."
        )
        if duplicate.consumer_id != target.consumer_id:
            raise ComplaintError("Only complaints of the same consumer can be merged.")
        if target.merged_into_id is not None or target.status == Status.WITHDRAWN:
            raise ComplaintError(f"{target.reference} is closed as a duplicate or withdrawn.")
        if not duplicate.is_active:
            raise ComplaintError(f"{duplicate.reference} is no longer open and cannot be merged.")
        duplicate.merged_into = target
        duplicate.save(update_fields=["merged_into"])
        previous = _set_status(duplicate, Status.CLOSED)
        event = _event(
            duplicate,
            Event.Kind.MERGED,
            actor,
            body=f"Closed as a duplicate of {target.reference}.",
            previous=previous,
            into=target.reference,
        )
        Event.objects.create(
            complaint=target,
            kind=Event.Kind.MERGED,
            actor=actor,
            body=f"{duplicate.reference} (“{duplicate.subject}”) was merged into this complaint.",
            data={"from": duplicate.reference},
        )
        return event


def rate_complaint(complaint: Complaint, score: int, comment: str, *, actor: User) -> Event:
    """The consumer rates how the complaint was handled, once, after the resolution."""
    if score not in range(1, 6):
        raise ComplaintError("Choose a rating from 1 to 5.")
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor,
            "complaints.answer_resolution",
            complaint,
            "Only the consumer can rate this complaint.",
        )
        resolved = complaint.outcome in (Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD)
        if complaint.status not in (Status.RESOLVED, Status.CLOSED) or not resolved:
            raise ComplaintError("You can rate the handling once the complaint is resolved.")
        if complaint.satisfaction_score is not None:
            raise ComplaintError("You have already rated this complaint.")
        complaint.satisfaction_score = score
        complaint.satisfaction_comment = comment.strip()[:2000]
        complaint.save(update_fields=["satisfaction_score", "satisfaction_comment", "updated_at"])
        return _event(
            complaint, Event.Kind.RATED, actor, body=complaint.satisfaction_comment, score=score
        )


# --- regulatory communications ------------------------------------------------------------


def send_holding_response(
    complaint: Complaint, reason: str, expected: date, *, actor: User
) -> Event:
    """Tell the consumer why the final response is late and when it will come.

    On an FCA payment-services complaint this extends the deadline to 35 business days.
    """
    reason = reason.strip().rstrip(".")
    if not reason:
        raise ComplaintError("Explain why the final response is not possible yet.")
    if expected <= timezone.localdate():
        raise ComplaintError("The expected date must be in the future.")
    with transaction.atomic():
        _locked(complaint)
        _require(
            actor, "complaints.resolve_complaint", complaint, "You may not write to this consumer."
        )
        if not complaint.is_active:
            raise ComplaintError("The complaint is no longer open.")
        event = send_letter(
            complaint,
            LetterKind.HOLDING_RESPONSE,
            actor=actor,
            holding_reason=reason,
            expected_date=expected.strftime("%-d %B %Y"),
        )
        if complaint.holding_response_sent_at is None:
            complaint.holding_response_sent_at = timezone.now()
            complaint.save(update_fields=["holding_response_sent_at"])
            refresh_deadlines(complaint)
        return event


def _send_adr_letter_if_required(complaint: Complaint, *, actor: User | None) -> None:
    """At deadlock, a telecoms consumer is told of their right to ADR (Ofcom)."""
    if current.tenant().regulatory_profile == "uk_ofcom" and complaint.adr_letter_sent_at is None:
        send_adr_letter(complaint, actor=actor)


def send_adr_letter(complaint: Complaint, *, actor: User | None) -> Event:
    event = send_letter(complaint, LetterKind.ADR_LETTER, actor=actor)
    complaint.adr_letter_sent_at = timezone.now()
    complaint.save(update_fields=["adr_letter_sent_at"])
    mark_met(complaint, [Clock.ADR_LETTER], complaint.adr_letter_sent_at)
    return event


# --- deadline watch -----------------------------------------------------------------------


def scan_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Flag complaints at risk and breached, notify, escalate; send letters that are due."""
    now = now or timezone.now()
    margin = timedelta(hours=TenantSettings.current().at_risk_hours)
    counts = {"at_risk": 0, "breached": 0, "letters": 0}
    escalated: set[int] = set()
    watched = (
        Deadline.objects.open()
        .filter(due_at__lte=now + margin, complaint__status__in=ACTIVE_STATUSES)
        .filter(Q(at_risk_notified_at__isnull=True) | Q(breached_at__isnull=True, due_at__lte=now))
        .select_related(
            "complaint", "complaint__team__manager", "complaint__assignee", "complaint__consumer"
        )
        .order_by("due_at")
    )
    for deadline in watched:
        complaint = deadline.complaint
        if (
            deadline.clock in (Clock.FIRST_RESPONSE, Clock.RESOLUTION)
            and complaint.sla_paused_since
        ):
            continue
        with transaction.atomic():
            if deadline.clock == Clock.ADR_LETTER:
                if deadline.due_at <= now:
                    _locked(complaint)
                    send_adr_letter(complaint, actor=None)
                    counts["letters"] += 1
                continue
            if deadline.due_at <= now:
                Deadline.objects.filter(pk=deadline.pk).update(
                    breached_at=now, at_risk_notified_at=deadline.at_risk_notified_at or now
                )
                _alert(complaint, deadline, "breached")
                # One escalation per complaint per scan, however many clocks it missed.
                if complaint.pk not in escalated:
                    escalated.add(complaint.pk)
                    escalate_complaint(
                        complaint, f"{deadline.get_clock_display()} deadline missed.", actor=None
                    )
                counts["breached"] += 1
            else:
                Deadline.objects.filter(pk=deadline.pk).update(at_risk_notified_at=now)
                _alert(complaint, deadline, "at_risk")
                counts["at_risk"] += 1
    return counts


def _alert(complaint: Complaint, deadline: Deadline, state: str) -> None:
    words = "was missed" if state == "breached" else "is close"
    label = deadline.get_clock_display()
    _event(
        complaint,
        Event.Kind.DEADLINE,
        None,
        body=f"{label} deadline {words} ({deadline.due_at:%d %b %Y %H:%M} UTC).",
        internal=True,
        clock=deadline.clock,
        state=state,
    )
    subject = f"{complaint.reference}: {label.lower()} deadline {words}"
    body = f"“{complaint.subject}” — due {deadline.due_at:%d %b %Y %H:%M} UTC.\n\n{_console_link(complaint)}"
    recipients = {complaint.assignee, complaint.team.manager if complaint.team else None}
    for person in recipients:
        _notify(person, f"deadline:{deadline.pk}:{state}", subject, body)


# --- canned responses ---------------------------------------------------------------------


def save_canned_response(
    canned: CannedResponse | None, *, title: str, body: str, actor: User
) -> CannedResponse:
    """Create a canned response (``canned`` is None) or change one."""
    if not actor.has_perm("complaints.manage_canned_responses"):
        raise ComplaintError("You may not manage canned responses.")
    canned = canned or CannedResponse()
    canned.title, canned.body = title.strip(), body.strip()
    if not canned.title or not canned.body:
        raise ComplaintError("A canned response needs a title and a text.")
    unknown = canned.unknown_placeholders()
    if unknown:
        raise ComplaintError(
            "Unknown placeholder "
            + ", ".join(f"{{{name}}}" for name in unknown)
            + ". Use "
            + ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)
            + "."
        )
    canned.save()
    return canned


def delete_canned_response(canned: CannedResponse, *, actor: User) -> None:
    if not actor.has_perm("complaints.manage_canned_responses"):
        raise ComplaintError("You may not manage canned responses.")
    canned.delete()
