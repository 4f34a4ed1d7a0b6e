"""Who may do what to a complaint. One source of truth for views, templates and the API."""

from __future__ import annotations

from typing import Any

import rules

from accounts.predicates import (
    is_consumer,
    is_verified_admin,
    is_verified_agent,
    is_verified_manager,
    is_verified_specialist,
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
handles_complaint = is_verified_manager | (is_verified_agent & is_in_complaint_team)
can_view_complaint = (
    owns_complaint
    | handles_complaint
    | is_verified_admin
    | (is_verified_specialist & is_referred_specialist)
)
works_in_console = (
    is_verified_agent | is_verified_specialist | is_verified_manager | is_verified_admin
)
