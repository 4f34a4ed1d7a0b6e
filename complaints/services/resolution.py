"""Resolving a complaint, a manager's approval, the consumer's answer, rating and closure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from accounts.models import SYSTEM
from complaints.models import (
    Complaint,
    Event,
    LetterKind,
    Outcome,
    ResolutionProposal,
    RootCause,
    Status,
)
from complaints.plain_words import promised_deadline
from complaints.services.clocks import deadline_for, mark_met
from complaints.services.correspondence import reply_to_complaint
from complaints.services.gate import (
    RESOLVABLE,
    Actor,
    Change,
    ComplaintError,
    changing,
    may,
    person,
)
from complaints.services.letters import send_adr_letter_if_required, send_letter
from complaints.services.notices import notify, portal_link, tell_staff
from complaints.text import clean_text
from configuration.models import TenantSettings
from deadlines.models import Clock
from tenancy import current

RESOLVED_OUTCOMES = (Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD)
REPLY_NOT_SENT = "Your reply was not sent either; send it on its own if it is still needed."


def _checked_resolution(
    outcome: Outcome | str, summary: str, root_cause: RootCause | None, redress: Decimal | None
) -> tuple[str, RootCause]:
    """The summary and root cause, once the resolution is complete enough to send."""
    if outcome not in RESOLVED_OUTCOMES:
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


def resolve_complaint(
    complaint: Complaint,
    *,
    outcome: Outcome | str,
    summary: str,
    root_cause: RootCause | None,
    redress_amount: Decimal | None = None,
    redress_currency: str = "",
    actor: Actor,
) -> Event:
    """Resolve and send the final response (or summary resolution) it needs.

    ``redress_amount`` is in major units of ``redress_currency`` (the tenant's currency when
    blank). Where the tenant has managers approve final responses, an agent's resolution is
    held as a proposal instead (the returned event is then the internal RESOLUTION_PROPOSED
    one). Raises ``ComplaintError``.
    """
    summary, root_cause = _checked_resolution(outcome, summary, root_cause, redress_amount)
    with changing(
        complaint,
        actor=actor,
        permission="complaints.resolve_complaint",
        refusal="You may not resolve this complaint.",
    ) as change:
        _require_resolvable(complaint)
        if complaint.resolution_proposals.open().exists():
            raise ComplaintError(
                "A resolution of this complaint is waiting for a manager's approval."
            )
        policy = TenantSettings.current()
        currency = (redress_currency or policy.currency).upper() if redress_amount else ""
        if policy.final_response_approval and not may(
            actor, "complaints.approve_resolution", complaint
        ):
            proposal = ResolutionProposal.objects.create(
                complaint=complaint,
                outcome=outcome,
                summary=summary,
                root_cause=root_cause,
                redress_amount=redress_amount or None,
                redress_currency=currency,
                proposed_by=person(actor),
            )
            event = change.record(
                Event.Kind.RESOLUTION_PROPOSED,
                body=summary,
                internal=True,
                outcome=str(outcome),
                proposal=proposal.pk,
            )
            tell_staff(
                complaint.team.manager if complaint.team else None,
                event,
                f"{complaint.reference}: a resolution waits for your approval",
                f"{actor.display_name} proposes to resolve {complaint.reference} as "
                f"{Outcome(outcome).label.lower()}. The consumer hears nothing until you "
                f"approve it.",
            )
            return event
        return _resolve(
            change,
            outcome=outcome,
            summary=summary,
            root_cause=root_cause,
            redress_amount=redress_amount,
            redress_currency=currency,
        )


def reply_and_resolve(
    complaint: Complaint,
    body: str,
    *,
    outcome: Outcome | str,
    root_cause: RootCause | None,
    redress_amount: Decimal | None = None,
    redress_currency: str = "",
    summary: str = "",
    actor: Actor,
    files: Sequence[UploadedFile] = (),
) -> Event:
    """Send a reply and resolve the complaint in one step ("Send and resolve").

    One transaction holds both: the reply (``reply_to_complaint``) and then the resolution
    (``resolve_complaint``, with ``summary``, or the reply when it is empty, as the final
    response's summary), each its own change through the gate with its own timeline entry.
    Where the tenant has managers approve final responses, an agent's resolution waits for
    approval as it does when resolving alone; the reply is sent. Returns the resolution's
    event (RESOLVED, or the internal RESOLUTION_PROPOSED). Raises ``ComplaintError``, and
    then neither the reply nor the resolution is made; a refused resolution's message says
    that the reply was not sent either (``REPLY_NOT_SENT``).
    """
    body = clean_text(body)
    if not body:
        raise ComplaintError("A reply cannot be empty.")
    summary = clean_text(summary) or body
    _checked_resolution(outcome, summary, root_cause, redress_amount)
    with transaction.atomic():
        reply_to_complaint(complaint, body, actor=actor, files=files)
        try:
            return resolve_complaint(
                complaint,
                outcome=outcome,
                summary=summary,
                root_cause=root_cause,
                redress_amount=redress_amount,
                redress_currency=redress_currency,
                actor=actor,
            )
        except ComplaintError as refusal:
            # The reply was written first and goes back with the resolution: say so, or the
            # writer (whom someone else's resolution beat) believes the consumer has it.
            raise ComplaintError(f"{refusal} {REPLY_NOT_SENT}") from refusal


def resolution_letter(complaint: Complaint, now: datetime) -> LetterKind:
    """The letter a resolution at ``now`` sends: a summary resolution for a complaint settled
    within its summary-resolution clock and never rejected, else the final response."""
    summary_clock = deadline_for(complaint, Clock.SUMMARY_RESOLUTION)
    if summary_clock is not None and now <= summary_clock.due_at and complaint.reopened_at is None:
        return LetterKind.SUMMARY_RESOLUTION
    return LetterKind.FINAL_RESPONSE


def _resolve(
    change: Change,
    *,
    outcome: Outcome | str,
    summary: str,
    root_cause: RootCause,
    redress_amount: Decimal | None,
    redress_currency: str,
    approved: ResolutionProposal | None = None,
) -> Event:
    """Record the resolution on the locked complaint, send its letters and meet its clocks;
    an ``approved`` proposal is named in the event's data (``proposal``)."""
    complaint = change.complaint
    change.set(
        outcome=outcome,
        resolution_summary=summary,
        root_cause=root_cause,
        redress_amount=redress_amount or None,
        redress_currency=redress_currency,
    )
    change.move("resolve")
    facts: dict[str, Any] = {"outcome": str(outcome)}
    if approved is not None:
        facts["proposal"] = approved.pk
    event = change.record(Event.Kind.RESOLVED, body=summary, **facts)
    now = timezone.now()
    # The letter meets the regulator's clocks; the resolution itself the tenant's own.
    send_letter(change, resolution_letter(complaint, now))
    mark_met(complaint, [Clock.RESOLUTION, Clock.FIRST_RESPONSE], now)
    if outcome == Outcome.NOT_UPHELD:
        send_adr_letter_if_required(change)
    return event


def _open_proposal(proposal: ResolutionProposal) -> None:
    """Re-read the proposal under the complaint's lock; it must still wait for a decision."""
    proposal.refresh_from_db()
    if proposal.decision:
        raise ComplaintError(
            f"This resolution was already {proposal.get_decision_display().lower()}."
        )


def _decide(
    proposal: ResolutionProposal, decision: str, *, actor: Actor, comment: str = ""
) -> None:
    proposal.decision = decision
    proposal.decided_by = person(actor)
    proposal.decided_at = timezone.now()
    proposal.manager_comment = comment
    proposal.save(update_fields=["decision", "decided_by", "decided_at", "manager_comment"])


def approve_resolution(proposal: ResolutionProposal, *, actor: Actor) -> Event:
    """A manager approves an agent's resolution: the complaint is resolved with it and the
    consumer sent its final response (or summary resolution), as if resolved directly."""
    with changing(
        proposal.complaint,
        actor=actor,
        permission="complaints.approve_resolution",
        refusal="Only a manager can approve this resolution.",
    ) as change:
        _open_proposal(proposal)
        _require_resolvable(change.complaint)
        _checked_resolution(
            proposal.outcome, proposal.summary, proposal.root_cause, proposal.redress_amount
        )
        _decide(proposal, ResolutionProposal.Decision.APPROVED, actor=actor)
        return _resolve(
            change,
            outcome=proposal.outcome,
            summary=proposal.summary,
            root_cause=proposal.root_cause,
            redress_amount=proposal.redress_amount,
            redress_currency=proposal.redress_currency,
            approved=proposal,
        )


def return_resolution(proposal: ResolutionProposal, comment: str, *, actor: Actor) -> Event:
    """A manager sends an agent's resolution back with what to change; the agent is told."""
    comment = comment.strip()
    if not comment:
        raise ComplaintError("Say what needs to change before returning the resolution.")
    with changing(
        proposal.complaint,
        actor=actor,
        permission="complaints.approve_resolution",
        refusal="Only a manager can return this resolution.",
    ) as change:
        _open_proposal(proposal)
        _decide(proposal, ResolutionProposal.Decision.RETURNED, actor=actor, comment=comment)
        event = change.record(
            Event.Kind.RESOLUTION_RETURNED, body=comment, internal=True, proposal=proposal.pk
        )
        tell_staff(
            proposal.proposed_by,
            event,
            f"{change.complaint.reference}: your resolution was returned",
            f"{actor.display_name} returned your resolution of {change.complaint.reference}:"
            f"\n\n{comment}",
        )
        return event


def accept_resolution(complaint: Complaint, *, actor: Actor) -> Event:
    """The consumer accepts the resolution; the complaint closes."""
    with changing(
        complaint,
        actor=actor,
        permission="complaints.answer_resolution",
        refusal="Only the consumer can accept the resolution.",
    ) as change:
        if complaint.status != Status.RESOLVED:
            raise ComplaintError("There is no resolution waiting for your answer.")
        change.move("accept")
        mark_met(complaint, [Clock.ADR_LETTER])
        return change.record(Event.Kind.RESOLUTION_ACCEPTED)


def reopen_window_ends(complaint: Complaint) -> datetime | None:
    """When the consumer's time to reject the resolution ends (the tenant's days, calendar)."""
    if complaint.resolved_at is None:
        return None
    return complaint.resolved_at + timedelta(days=TenantSettings.current().reopen_window_days)


def reject_resolution(complaint: Complaint, reason: str, *, actor: Actor) -> Event:
    """The consumer rejects the resolution within the tenant's window; work starts again."""
    reason = reason.strip()
    if not reason:
        raise ComplaintError("Tell us why the resolution does not put things right.")
    with changing(
        complaint,
        actor=actor,
        permission="complaints.answer_resolution",
        refusal="Only the consumer can reject the resolution.",
    ) as change:
        if complaint.status != Status.RESOLVED:
            raise ComplaintError("There is no resolution waiting for your answer.")
        window_end = reopen_window_ends(complaint)
        if window_end is not None and timezone.now() > window_end:
            raise ComplaintError(
                "The time to reject this resolution has passed. Contact us if you are still unhappy."
            )
        change.move("reject")
        event = change.record(Event.Kind.RESOLUTION_REJECTED, body=reason)
        send_adr_letter_if_required(change)
        _tell_the_new_date(complaint, event)
        tell_staff(
            complaint.assignee,
            event,
            f"{complaint.reference}: resolution rejected",
            f"The consumer rejected the resolution of {complaint.reference}.",
        )
        return event


def _tell_the_new_date(complaint: Complaint, event: Event) -> None:
    """A rejection reopened the complaint: tell the consumer by when they will hear from us
    (the same promise the portal shows), in the tenant's local date."""
    promised = promised_deadline(complaint.deadlines.all())
    when = (
        f"by {promised.due_at.astimezone(current.time_zone()):%-d %B %Y}"
        if promised is not None
        else "as soon as we can"
    )
    notify(
        complaint.consumer,
        f"reopened:{event.pk}",
        f"We are looking at your complaint {complaint.reference} again",
        f"Thank you for telling us why our answer did not put things right. We are looking "
        f"at your complaint {complaint.reference} again and will reply {when}.\n\n"
        f"{portal_link(complaint)}",
    )


def rate_complaint(complaint: Complaint, score: int, comment: str, *, actor: Actor) -> Event:
    """The consumer rates how the complaint was handled (1 to 5), once, after the resolution."""
    if score not in range(1, 6):
        raise ComplaintError("Choose a rating from 1 to 5.")
    with changing(
        complaint,
        actor=actor,
        permission="complaints.answer_resolution",
        refusal="Only the consumer can rate this complaint.",
    ) as change:
        resolved = complaint.outcome in RESOLVED_OUTCOMES
        if complaint.status not in (Status.RESOLVED, Status.CLOSED) or not resolved:
            raise ComplaintError("You can rate the handling once the complaint is resolved.")
        if complaint.satisfaction_score is not None:
            raise ComplaintError("You have already rated this complaint.")
        change.set(satisfaction_score=score, satisfaction_comment=comment.strip()[:2000])
        return change.record(Event.Kind.RATED, body=complaint.satisfaction_comment, score=score)


def auto_close_resolved(now: datetime | None = None) -> int:
    """Close resolutions the consumer has not answered within the tenant's number of days
    (calendar days from the resolution), never before the consumer's time to reject them
    (``reopen_window_days``) has ended: the portal promises that time. Returns how many
    closed."""
    now = now or timezone.now()
    policy = TenantSettings.current()
    days = max(policy.auto_close_days, policy.reopen_window_days)
    due = Complaint.objects.filter(
        status=Status.RESOLVED, resolved_at__lte=now - timedelta(days=days)
    )
    closed = 0
    for pk in due.values_list("pk", flat=True):
        complaint = Complaint(pk=pk)
        try:
            with changing(
                complaint,
                actor=SYSTEM,
                permission="complaints.close_automatically",
                refusal="Only the system closes resolutions automatically.",
            ) as change:
                change.move("auto_close")
                change.record(
                    Event.Kind.STATUS_CHANGED,
                    body=f"Closed automatically: no answer to the resolution within {days} days.",
                )
        except ComplaintError:
            continue  # answered or changed since the query: nothing to close
        closed += 1
    return closed
