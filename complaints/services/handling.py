"""Who works a complaint and how: assignment, queues, triage, referral, escalation, status,
merging duplicates."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from accounts.models import SYSTEM, Role, User
from complaints.models import Category, Complaint, Event, Priority, Status, Team
from complaints.services.clocks import refresh_deadlines
from complaints.services.gate import (
    RESOLVABLE,
    Actor,
    ComplaintError,
    changing,
    manual_moves,
    manual_moves_from,
    may,
    person,
)
from complaints.services.notices import tell_assignee, tell_staff


def allowed_statuses(complaint: Complaint, user: Any) -> list[Status]:
    """The statuses ``user`` may move ``complaint`` to with a plain status change."""
    return [move.target for move in manual_moves(complaint, user)]


def change_status(
    complaint: Complaint, to_status: Status | str, *, actor: Actor, note: str = ""
) -> Event:
    """Move a complaint to another status along a plain (manual) row of the status table.

    Raises ``ComplaintError`` when the status is unknown, the move is not in the table, or the
    actor may not make it; resolving has its own service.
    """
    if to_status not in Status.values:
        raise ComplaintError(f"{to_status!r} is not a complaint status.")
    target = Status(to_status)
    with changing(complaint, actor=actor, permission=None) as change:
        current_status = Status(complaint.status)
        if target == Status.RESOLVED and current_status in RESOLVABLE:
            # Only someone who may resolve is pointed to the resolution; others are refused.
            if may(actor, "complaints.resolve_complaint", complaint):
                raise ComplaintError("Resolve the complaint with its outcome and summary.")
            raise ComplaintError(
                f"You may not move this complaint from {current_status.label.lower()} to "
                f"{target.label.lower()}."
            )
        rows = [move for move in manual_moves_from(current_status) if move.target == target]
        if not rows:
            raise ComplaintError(
                f"A complaint that is {current_status.label.lower()} cannot be moved to "
                f"{target.label.lower()}."
            )
        allowed = [move for move in rows if move.who.test(actor, complaint)]
        change.move((allowed or rows)[0].name)
        return change.record(Event.Kind.STATUS_CHANGED, body=note.strip())


def assign_complaint(complaint: Complaint, assignee: User | None, *, actor: Actor) -> Event:
    """Claim (assignee is the actor), assign, reassign or unassign a complaint.

    Agents may only claim an unassigned complaint for themselves; managers assign to anyone
    who can take complaints. The assignee is told by e-mail unless they assigned themselves.
    """
    with changing(
        complaint,
        actor=actor,
        permission="complaints.assign_complaint",
        refusal="You may not assign this complaint.",
    ) as change:
        if not may(actor, "complaints.reassign_complaints"):
            if assignee is None or assignee.pk != actor.pk:
                raise ComplaintError("Agents can only claim complaints for themselves.")
            holder = complaint.assignee
            if holder is not None and holder.pk != actor.pk:
                raise ComplaintError(
                    f"{holder.display_name} already has this complaint; "
                    "ask a manager to reassign it."
                )
        if assignee is not None and (
            assignee.role not in (Role.AGENT, Role.MANAGER) or not assignee.is_active
        ):
            raise ComplaintError(f"{assignee.display_name} cannot be given complaints.")
        if not complaint.is_active:
            raise ComplaintError("Only complaints still being worked can be assigned.")
        if assignee is not None and complaint.assignee_id == assignee.pk:
            raise ComplaintError(f"{assignee.display_name} already has this complaint.")
        if assignee is None and complaint.assignee_id is None:
            raise ComplaintError("Nobody has this complaint already.")
        previous = complaint.assignee
        change.set(assignee=assignee)
        event = change.record(
            Event.Kind.ASSIGNED,
            internal=True,
            assignee=assignee.display_name if assignee else "",
            previous_assignee=previous.display_name if previous else "",
        )
        if assignee is not None and assignee.pk != actor.pk:
            tell_assignee(complaint, f"event:{event.pk}")
        return event


def move_to_team(complaint: Complaint, team: Team, *, actor: Actor) -> Event:
    """Move a complaint to another team's queue (the assignee stays only if in that team)."""
    with changing(
        complaint,
        actor=actor,
        permission="complaints.assign_complaint",
        refusal="You may not move this complaint.",
    ) as change:
        if complaint.team_id == team.pk:
            raise ComplaintError(f"The complaint is already in {team.name}.")
        previous = complaint.team
        change.set(team=team)
        if complaint.assignee_id and not team.members.filter(pk=complaint.assignee_id).exists():
            change.set(assignee=None)
        return change.record(
            Event.Kind.ASSIGNED,
            internal=True,
            team=team.name,
            previous_team=previous.name if previous else "",
        )


def change_priority(complaint: Complaint, priority: Priority | str, *, actor: Actor) -> Event:
    """Change the priority; the tenant's SLA deadlines follow."""
    if priority not in Priority.values:
        raise ComplaintError(f"{priority!r} is not a priority.")
    with changing(
        complaint,
        actor=actor,
        permission="complaints.triage_complaint",
        refusal="You may not change the priority.",
    ) as change:
        if complaint.priority == priority:
            raise ComplaintError("The complaint already has that priority.")
        previous = complaint.get_priority_display()
        change.set(priority=priority)
        refresh_deadlines(complaint)
        return change.record(
            Event.Kind.PRIORITY_CHANGED,
            internal=True,
            previous_value=previous,
            value=complaint.get_priority_display(),
        )


def change_category(complaint: Complaint, category: Category, *, actor: Actor) -> Event:
    """Recategorise (product and cause); clocks that depend on it are recomputed."""
    with changing(
        complaint,
        actor=actor,
        permission="complaints.triage_complaint",
        refusal="You may not change the category.",
    ) as change:
        if not category.is_active:
            raise ComplaintError("That category is no longer in use.")
        if complaint.category_id == category.pk:
            raise ComplaintError("The complaint already has that category.")
        previous = str(complaint.category) if complaint.category else ""
        change.set(category=category)
        refresh_deadlines(complaint)
        return change.record(
            Event.Kind.CATEGORY_CHANGED,
            internal=True,
            previous_value=previous,
            value=str(category),
        )


def refer_to_specialist(
    complaint: Complaint, specialist: User, note: str, *, actor: Actor
) -> Event:
    """Ask a second-line specialist to look at the complaint; they are told by e-mail."""
    note = note.strip()
    if not note:
        raise ComplaintError("Tell the specialist what you need.")
    with changing(
        complaint,
        actor=actor,
        permission="complaints.refer_complaint",
        refusal="You may not refer this complaint.",
    ) as change:
        if specialist.role != Role.SPECIALIST or not specialist.is_active:
            raise ComplaintError(f"{specialist.display_name} is not a support specialist.")
        if not complaint.is_active:
            raise ComplaintError("Only complaints still being worked can be referred.")
        if complaint.specialist_id is not None:
            raise ComplaintError("The complaint is already with a specialist.")
        change.set(specialist=specialist)
        event = change.record(
            Event.Kind.REFERRED,
            body=note,
            internal=True,
            specialist=specialist.display_name,
        )
        tell_staff(
            specialist,
            event,
            f"{complaint.reference} was referred to you",
            f"{actor.display_name} asks: {note}",
        )
        return event


def hand_back(complaint: Complaint, findings: str, *, actor: Actor) -> Event:
    """The specialist returns the complaint to the first line with their findings."""
    findings = findings.strip()
    if not findings:
        raise ComplaintError("Write your findings before handing back.")
    with changing(
        complaint,
        actor=actor,
        permission="complaints.hand_back",
        refusal="Only the specialist it was referred to can hand it back.",
    ) as change:
        change.set(specialist=None)
        event = change.record(Event.Kind.HANDED_BACK, body=findings, internal=True)
        tell_staff(
            complaint.assignee,
            event,
            f"{complaint.reference} is back from the specialist",
            f"{actor.display_name} handed back {complaint.reference}.",
        )
        return event


def escalate_complaint(complaint: Complaint, reason: str, *, actor: Actor) -> Event:
    """Raise the escalation level (a level, not a status); the team's manager is told."""
    reason = reason.strip()
    if not reason:
        raise ComplaintError("Say why the complaint is escalated.")
    with changing(
        complaint,
        actor=actor,
        permission="complaints.escalate_complaint",
        refusal="You may not escalate this complaint.",
    ) as change:
        if not complaint.is_active:
            raise ComplaintError("Only complaints still being worked can be escalated.")
        change.set(escalation_level=complaint.escalation_level + 1)
        if complaint.priority in (Priority.LOW, Priority.NORMAL):
            change.set(priority=Priority.HIGH)
        refresh_deadlines(complaint)
        event = change.record(
            Event.Kind.ESCALATED, body=reason, internal=True, level=complaint.escalation_level
        )
        tell_staff(
            complaint.team.manager if complaint.team else None,
            event,
            f"{complaint.reference} escalated to level {complaint.escalation_level}",
            reason,
        )
        return event


def merge_complaint(duplicate: Complaint, target: Complaint, *, actor: Actor) -> Event:
    """Close ``duplicate`` as a duplicate of ``target``; both timelines stay readable.

    One event, on the duplicate; the target lists what was merged into it
    (``Complaint.merged``). Both complaints are locked, in a fixed order.
    """
    if duplicate.pk == target.pk:
        raise ComplaintError("A complaint cannot be merged into itself.")
    with changing(
        duplicate,
        actor=actor,
        permission="complaints.merge_complaint",
        refusal="You may not merge this complaint.",
        also=[target],
    ) as change:
        if not may(actor, "complaints.merge_complaint", target):
            raise ComplaintError("You may not merge into that complaint.")
        if duplicate.consumer_id != target.consumer_id:
            raise ComplaintError("Only complaints of the same consumer can be merged.")
        if target.merged_into_id is not None or target.status == Status.WITHDRAWN:
            raise ComplaintError(f"{target.reference} is closed as a duplicate or withdrawn.")
        if not target.is_active:
            # Merging into a resolved or closed complaint would close a live one unheard.
            raise ComplaintError(
                f"{target.reference} is {target.get_status_display().lower()}; merge only into "
                "a complaint still being worked, or reopen it first."
            )
        if not duplicate.is_active:
            raise ComplaintError(f"{duplicate.reference} is no longer open and cannot be merged.")
        change.set(merged_into=target)
        change.move("merge")
        return change.record(
            Event.Kind.MERGED,
            body=f"Closed as a duplicate of {target.reference}.",
            into=target.reference,
        )


def deactivate_staff_member(member: User, *, actor: Actor) -> int:
    """Deactivate ``member`` and hand their open work back, in one transaction.

    Each active complaint assigned to them returns to its team's queue (unassigned), and each
    complaint referred to them returns to the first line; each change is one timeline event
    through the gate, and each team's manager is told. Returns how many complaints went back.
    Raises ``accounts.services.AccountError`` when the account may not be deactivated.
    """
    from accounts.services import set_staff_active

    with transaction.atomic():
        set_staff_active(member, False, actor=person(actor))
        held = Complaint.objects.active().filter(Q(assignee=member) | Q(specialist=member))
        returned = 0
        for pk in held.values_list("pk", flat=True):
            complaint = Complaint(pk=pk)
            with changing(
                complaint,
                actor=SYSTEM,
                permission="complaints.return_work",
                refusal="Only the system hands back a deactivated person's work.",
            ) as change:
                was_assigned = complaint.assignee_id == member.pk
                if was_assigned:
                    change.set(assignee=None)
                if complaint.specialist_id == member.pk:
                    change.set(specialist=None)
                event = change.record(
                    Event.Kind.ASSIGNED,
                    internal=True,
                    body=f"{member.display_name} was deactivated; the complaint went back to "
                    + ("the team queue." if was_assigned else "the first line."),
                    assignee="",
                    previous_assignee=member.display_name if was_assigned else "",
                )
                tell_staff(
                    complaint.team.manager if complaint.team else None,
                    event,
                    f"{complaint.reference} is back in the queue",
                    f"{member.display_name} was deactivated; {complaint.reference} needs a new "
                    "owner.",
                )
            returned += 1
    return returned
