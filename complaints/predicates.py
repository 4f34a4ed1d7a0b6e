"""Who may do what to a complaint. One source of truth for views, templates and the API.

Predicates speak of role, team and relationship only; the second factor is enforced at the
edges (web middleware and API authentication), never here.
"""

from __future__ import annotations

from typing import Any

import rules

from accounts.predicates import (
    client_acts_on_complaints,
    client_logs_complaints,
    client_reads_complaints,
    is_agent,
    is_console_staff,
    is_consumer,
    is_manager,
    is_specialist,
    is_system,
    is_tenant_admin,
)


@rules.predicate
def is_complaint_consumer(user: Any, complaint: Any) -> bool:
    return complaint is not None and complaint.consumer_id == user.pk


@rules.predicate
def is_in_complaint_team(user: Any, complaint: Any) -> bool:
    """The complaint is in one of the user's team queues, unrouted, or assigned to them."""
    if complaint is None:
        return False
    if complaint.team_id is None or complaint.assignee_id == user.pk:
        return True
    return complaint.team_id in team_ids(user)


@rules.predicate
def is_referred_specialist(user: Any, complaint: Any) -> bool:
    return complaint is not None and complaint.specialist_id == user.pk


@rules.predicate
def is_logged_by_user(user: Any, complaint: Any) -> bool:
    """``user`` logged the complaint (its receipt on the timeline names them as the actor)."""
    from complaints.models import Event

    return (
        complaint is not None
        and Event.objects.filter(
            complaint=complaint, kind=Event.Kind.SUBMITTED, actor_id=user.pk
        ).exists()
    )


def team_ids(user: Any) -> frozenset[int]:
    """The user's team ids, read once per user object."""
    cached = getattr(user, "_team_ids", None)
    if cached is None:
        cached = frozenset(user.teams.values_list("id", flat=True))
        user._team_ids = cached
    return cached


owns_complaint = is_consumer & is_complaint_consumer
# An API client with the "act" scope handles complaints as an agent of every team would; the
# rows of MOVES and the services' own checks (e.g. only agents and managers are assignees)
# still apply to it.
handles_complaint = is_manager | (is_agent & is_in_complaint_team) | client_acts_on_complaints
# The read rule. ``Complaint.objects.visible_to`` is the same rule as a query; a test checks
# that the two agree for every role and fixture complaint.
can_view_complaint = (
    owns_complaint
    | handles_complaint
    | is_tenant_admin
    | (is_specialist & is_referred_specialist)
    | is_system
    | client_reads_complaints
    # A client that may only log complaints follows the ones it logged.
    | (client_logs_complaints & is_logged_by_user)
)
approves_resolutions = (is_manager | is_tenant_admin) & can_view_complaint
works_in_console = is_console_staff
# Who reads internal notes and internal files: staff in the console and the system itself.
# ``Event.objects.visible_to`` and ``Attachment.objects.visible_to`` (and ``downloadable_by``,
# for files of entries read through it) apply it; nothing else does.
sees_internal = is_console_staff | is_system


@rules.predicate
def sees_customer(user: Any, consumer: Any) -> bool:
    """Console staff who may see at least one of the consumer's complaints (the read path)."""
    from complaints.models import Complaint

    if consumer is None or not is_console_staff.test(user):
        return False
    return Complaint.objects.visible_to(user).filter(consumer_id=consumer.pk).exists()


# Who changes a consumer's contact details and keeps notes about them: those who work their
# complaints.
serves_customer = (is_agent | is_manager) & sees_customer


@rules.predicate
def owns_saved_view(user: Any, view: Any) -> bool:
    return view is not None and view.owner_id == user.pk


@rules.predicate
def is_shared_view(user: Any, view: Any) -> bool:
    return view is not None and view.shared


# Managers and admins share queue views with every member of staff, and remove shared ones.
shares_views = is_manager | is_tenant_admin
