from __future__ import annotations

import rules

from accounts.predicates import (
    is_consumer,
    is_verified_admin,
    is_verified_agent,
    is_verified_manager,
    is_verified_specialist,
)
from complaints.predicates import (
    can_view_complaint,
    handles_complaint,
    is_referred_specialist,
    owns_complaint,
    works_in_console,
)

rules.add_perm("complaints.submit_complaint", is_consumer)
rules.add_perm("complaints.log_on_behalf", is_verified_agent | is_verified_manager)
rules.add_perm("complaints.view_complaint", can_view_complaint)
rules.add_perm("complaints.reply_to_complaint", owns_complaint | handles_complaint)
rules.add_perm(
    "complaints.add_internal_note",
    handles_complaint | (is_verified_specialist & is_referred_specialist),
)
rules.add_perm("complaints.view_internal_notes", works_in_console)
rules.add_perm("complaints.change_status", owns_complaint | handles_complaint)
rules.add_perm("complaints.use_console", works_in_console)
rules.add_perm("complaints.assign_complaint", handles_complaint)
rules.add_perm("complaints.triage_complaint", handles_complaint)
rules.add_perm("complaints.refer_complaint", handles_complaint)
rules.add_perm("complaints.escalate_complaint", handles_complaint)
rules.add_perm("complaints.resolve_complaint", handles_complaint)
rules.add_perm("complaints.merge_complaint", handles_complaint)
rules.add_perm(
    "complaints.approve_resolution",
    (is_verified_manager | is_verified_admin) & can_view_complaint,
)
rules.add_perm("complaints.answer_resolution", owns_complaint)
rules.add_perm("complaints.hand_back", is_verified_specialist & is_referred_specialist)
rules.add_perm("complaints.bulk_update", is_verified_agent | is_verified_manager)
rules.add_perm("complaints.reassign_complaints", is_verified_manager)
rules.add_perm("complaints.manage_canned_responses", is_verified_manager | is_verified_admin)
