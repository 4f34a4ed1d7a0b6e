"""The complaint permissions, each one named rule over the predicates."""

from __future__ import annotations

import rules

from accounts.predicates import (
    client_logs_complaints,
    is_agent,
    is_consumer,
    is_manager,
    is_specialist,
    is_system,
    is_tenant_admin,
)
from complaints.predicates import (
    approves_resolutions,
    can_view_complaint,
    handles_complaint,
    is_complaint_consumer,
    is_referred_specialist,
    is_shared_view,
    owns_complaint,
    owns_saved_view,
    sees_customer,
    sees_internal,
    serves_customer,
    shares_views,
    works_in_console,
)

rules.add_perm("complaints.submit_complaint", is_consumer)
rules.add_perm("complaints.log_on_behalf", is_agent | is_manager | client_logs_complaints)
# Logging one complaint: the consumer for themself, or staff (or an API client with the "log"
# scope) on a consumer's behalf.
rules.add_perm(
    "complaints.log_complaint",
    (is_consumer & is_complaint_consumer) | is_agent | is_manager | client_logs_complaints,
)
rules.add_perm("complaints.view_complaint", can_view_complaint)
rules.add_perm("complaints.reply_to_complaint", owns_complaint | handles_complaint)
rules.add_perm(
    "complaints.add_internal_note",
    handles_complaint | (is_specialist & is_referred_specialist),
)
rules.add_perm("complaints.view_internal_notes", sees_internal)
rules.add_perm("complaints.change_status", owns_complaint | handles_complaint)
rules.add_perm("complaints.use_console", works_in_console)
rules.add_perm("complaints.assign_complaint", handles_complaint)
rules.add_perm("complaints.triage_complaint", handles_complaint)
rules.add_perm("complaints.refer_complaint", handles_complaint)
# The deadline scan escalates a complaint whose clock was missed.
rules.add_perm("complaints.escalate_complaint", handles_complaint | is_system)
rules.add_perm("complaints.resolve_complaint", handles_complaint)
# Letters a regulator requires: sent by the handlers, or by the system when they fall due.
rules.add_perm("complaints.send_letter", handles_complaint | is_system)
rules.add_perm("complaints.merge_complaint", handles_complaint)
rules.add_perm("complaints.approve_resolution", approves_resolutions)
rules.add_perm("complaints.answer_resolution", owns_complaint)
rules.add_perm("complaints.hand_back", is_specialist & is_referred_specialist)
rules.add_perm("complaints.bulk_update", is_agent | is_manager)
rules.add_perm("complaints.reassign_complaints", is_manager)
rules.add_perm("complaints.manage_canned_responses", is_manager | is_tenant_admin)
# What only the product does by itself: deadline alerts and closing unanswered resolutions.
rules.add_perm("complaints.watch_deadlines", is_system)
rules.add_perm("complaints.close_automatically", is_system)
# A deactivated person's open complaints go back to the queue (``deactivate_staff_member``).
rules.add_perm("complaints.return_work", is_system)
# The consumer behind the complaints: their profile, their complaints, staff notes about them.
rules.add_perm("complaints.view_customer", sees_customer)
rules.add_perm("complaints.edit_customer", serves_customer)
rules.add_perm("complaints.add_customer_note", serves_customer)
# Saved queue views: anyone in the console saves their own; managers and admins share them.
rules.add_perm("complaints.save_queue_view", works_in_console)
rules.add_perm("complaints.share_queue_view", shares_views)
# Renaming and removing: one's own views; shared ones by managers and admins.
may_change_view = works_in_console & (owns_saved_view | (is_shared_view & shares_views))
rules.add_perm("complaints.rename_queue_view", may_change_view)
rules.add_perm("complaints.delete_queue_view", may_change_view)
# The "awaiting my approval" queue: those who approve resolutions.
rules.add_perm("complaints.approve_resolutions", is_manager | is_tenant_admin)
