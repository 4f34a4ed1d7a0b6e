"""What a person can do to one complaint: each action's form, permission and service call.

The console, the portal and the API read this one table, so an action has one set of rules
wherever it is asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts.models import User
from complaints import services
from complaints.forms import (
    REPLY_MOVES,
    REPLY_RESOLVES,
    AssignForm,
    CategoryForm,
    ComplaintActionForm,
    EmptyForm,
    EscalateForm,
    FindingsForm,
    HoldingResponseForm,
    InProgressForm,
    MergeForm,
    MessageForm,
    PriorityForm,
    ProposalDecisionForm,
    RatingForm,
    ReferForm,
    RejectResolutionForm,
    ReplyForm,
    ResolveForm,
    ReturnResolutionForm,
    StatusForm,
    TeamForm,
)
from complaints.models import Complaint, Event


@dataclass(frozen=True)
class Action:
    """One thing a person can do to a complaint: its form, permission and service call.

    ``done`` is the message on success: a text (``{status}`` is the new status) or, where
    it depends on what the service did, a function of the service's result.
    """

    form: type[ComplaintActionForm]
    permission: str
    run: Callable[[Complaint, dict[str, Any], User], Any]
    done: str | Callable[[Any], str]


def _resolved_message(event: Event) -> str:
    if event.kind == Event.Kind.RESOLUTION_PROPOSED:
        return "Resolution sent to a manager for approval. The consumer hears nothing until then."
    return "Resolution sent to the consumer."


# The statuses a reply can set in the same step, for its confirmation.
REPLY_TARGETS = {services.MOVES[name].target for name in REPLY_MOVES}


def _replied_message(event: Event) -> str:
    if event.kind == Event.Kind.RESOLUTION_PROPOSED:
        return (
            "Your reply was sent. The resolution waits for a manager's approval; the consumer "
            "hears nothing of it until then."
        )
    if event.kind == Event.Kind.RESOLVED:
        return "Your reply was sent and the complaint is resolved: the consumer has its letter."
    if event.to_status in REPLY_TARGETS:
        return (
            f"Your reply was sent and the complaint is now {event.get_to_status_display().lower()}."
        )
    return "Your reply was sent."


def _reply(complaint: Complaint, data: dict[str, Any], user: User) -> Event:
    """A reply, with the status move or the resolution asked for in the same step."""
    then = data.get("then") or ""
    if then == REPLY_RESOLVES:
        return services.reply_and_resolve(
            complaint,
            data["body"],
            outcome=data["outcome"],
            root_cause=data["root_cause"],
            redress_amount=data["redress_amount"],
            redress_currency=data["redress_currency"],
            summary=data["summary"],
            actor=user,
            files=data["attachments"],
        )
    return services.reply_to_complaint(
        complaint, data["body"], actor=user, files=data["attachments"], then=then
    )


ACTIONS: dict[str, Action] = {
    "reply": Action(
        ReplyForm,
        "complaints.reply_to_complaint",
        lambda c, data, user: _reply(c, data, user),
        _replied_message,
    ),
    "note": Action(
        MessageForm,
        "complaints.add_internal_note",
        lambda c, data, user: services.add_internal_note(
            c, data["body"], actor=user, files=data["attachments"]
        ),
        "Internal note added.",
    ),
    "status": Action(
        StatusForm,
        "complaints.change_status",
        lambda c, data, user: services.change_status(
            c, data["status"], actor=user, note=data["note"]
        ),
        "Status changed to {status}.",
    ),
    "claim": Action(
        EmptyForm,
        "complaints.assign_complaint",
        lambda c, data, user: services.assign_complaint(c, user, actor=user),
        "The complaint is yours.",
    ),
    "assign": Action(
        AssignForm,
        "complaints.assign_complaint",
        lambda c, data, user: services.assign_complaint(c, data["assignee"], actor=user),
        "Assignment updated.",
    ),
    "team": Action(
        TeamForm,
        "complaints.assign_complaint",
        lambda c, data, user: services.move_to_team(c, data["team"], actor=user),
        "Moved to another queue.",
    ),
    "priority": Action(
        PriorityForm,
        "complaints.triage_complaint",
        lambda c, data, user: services.change_priority(c, data["priority"], actor=user),
        "Priority changed.",
    ),
    "category": Action(
        CategoryForm,
        "complaints.triage_complaint",
        lambda c, data, user: services.change_category(c, data["category"], actor=user),
        "Category changed.",
    ),
    "refer": Action(
        ReferForm,
        "complaints.refer_complaint",
        lambda c, data, user: services.refer_to_specialist(
            c, data["specialist"], data["note"], actor=user
        ),
        "Referred to the specialist.",
    ),
    "hand_back": Action(
        FindingsForm,
        "complaints.hand_back",
        lambda c, data, user: services.hand_back(c, data["findings"], actor=user),
        "Handed back with your findings.",
    ),
    "escalate": Action(
        EscalateForm,
        "complaints.escalate_complaint",
        lambda c, data, user: services.escalate_complaint(c, data["reason"], actor=user),
        "Escalated.",
    ),
    "resolve": Action(
        ResolveForm,
        "complaints.resolve_complaint",
        lambda c, data, user: services.resolve_complaint(
            c,
            outcome=data["outcome"],
            summary=data["summary"],
            root_cause=data["root_cause"],
            redress_amount=data["redress_amount"],
            redress_currency=data["redress_currency"],
            actor=user,
        ),
        _resolved_message,
    ),
    "approve_resolution": Action(
        ProposalDecisionForm,
        "complaints.approve_resolution",
        lambda c, data, user: services.approve_resolution(data["proposal"], actor=user),
        "Resolution approved and sent to the consumer.",
    ),
    "return_resolution": Action(
        ReturnResolutionForm,
        "complaints.approve_resolution",
        lambda c, data, user: services.return_resolution(
            data["proposal"], data["comment"], actor=user
        ),
        "Resolution returned with your comment.",
    ),
    "holding_response": Action(
        HoldingResponseForm,
        "complaints.resolve_complaint",
        lambda c, data, user: services.send_holding_response(
            c, data["reason"], data["expected"], actor=user
        ),
        "Holding response sent.",
    ),
    "in_progress": Action(
        InProgressForm,
        "complaints.resolve_complaint",
        lambda c, data, user: services.send_in_progress_response(c, data["steps"], actor=user),
        "In-progress response sent.",
    ),
    "merge": Action(
        MergeForm,
        "complaints.merge_complaint",
        lambda c, data, user: services.merge_complaint(c, data["target"], actor=user),
        "Closed as a duplicate.",
    ),
    "accept": Action(
        EmptyForm,
        "complaints.answer_resolution",
        lambda c, data, user: services.accept_resolution(c, actor=user),
        "Thank you. Your complaint is closed.",
    ),
    "reject": Action(
        RejectResolutionForm,
        "complaints.answer_resolution",
        lambda c, data, user: services.reject_resolution(c, data["reason"], actor=user),
        "We have reopened your complaint and will look at it again.",
    ),
    "rate": Action(
        RatingForm,
        "complaints.answer_resolution",
        lambda c, data, user: services.rate_complaint(
            c, data["score"], data["comment"], actor=user
        ),
        "Thank you for your feedback.",
    ),
}
