"""Who may do what to a complaint. One source of truth for views, templates and the API.

Predicates speak of role, team and relationship only; the second factor is enforced at the
edges (web middleware and API authentication), never here.
"""

from __future__ import annotations

from typing import Any

import rules

from accounts.predicates import (
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


def team_ids(user: Any) -> frozenset[int]:
    """The user's team ids, read once per user object."""
    cached = getattr(user, "_team_ids", None)
    if cached is None:
        cached = frozenset(user.teams.values_list("id", flat=True))
        user._team_ids = cached
    return cached


owns_complaint = is_consumer & is_complaint_consumer
handles_complaint = is_manager | (is_agent & is_in_complaint_team)
# The read rule. ``Complaint.objects.visible_to`` is the same rule as a query; a test checks
# that the two agree for every role and fixture complaint.
can_view_complaint = (
    owns_complaint
    | handles_complaint
    | is_tenant_admin
    | (is_specialist & is_referred_specialist)
    | is_system
)
approves_resolutions = (is_manager | is_tenant_admin) & can_view_complaint
works_in_console = is_console_staff
# Who reads internal notes and internal files: staff in the console and the system itself.
# ``Event.objects.visible_to`` and ``Attachment.objects.visible_to`` apply it; nothing else does.
sees_internal = is_console_staff | is_system


@rules.predicate
def owns_saved_view(user: Any, view: Any) -> bool:
    return view is not None and view.owner_id == user.pk


@rules.predicate
def is_shared_view(user: Any, view: Any) -> bool:
    return view is not None and view.shared


# Managers and admins share queue views with every member of staff, and remove shared ones.
shares_views = is_manager | is_tenant_admin
