"""Every change to a complaint, split by concern.

Each change passes through the one gate (``complaints.services.gate.changing``): one
transaction, the row locked and re-read, the actor's permission, status moves from the one
table (``MOVES``), exactly one timeline event, e-mails to the outbox. The public functions are
importable from here.
"""

from __future__ import annotations

from complaints.services.canned import delete_canned_response, save_canned_response
from complaints.services.clocks import (
    clocks_on_page,
    complaint_regulator,
    deadline_for,
    mark_met,
    pause_sla,
    refresh_deadlines,
    resume_sla,
    update_next_due,
)
from complaints.services.correspondence import add_internal_note, reply_to_complaint
from complaints.services.gate import (
    MOVES,
    RESOLVABLE,
    Change,
    ComplaintError,
    StaleComplaint,
    changing,
    unchanged_since,
)
from complaints.services.handling import (
    allowed_statuses,
    assign_complaint,
    change_category,
    change_priority,
    change_status,
    deactivate_staff_member,
    escalate_complaint,
    hand_back,
    merge_complaint,
    move_to_team,
    refer_to_specialist,
)
from complaints.services.intake import (
    UnknownConsumer,
    consumer_for_intake,
    log_complaint_on_behalf,
    pick_assignee,
    submit_complaint,
)
from complaints.services.letters import (
    send_adr_letter,
    send_holding_response,
    send_in_progress_response,
)
from complaints.services.queue_views import (
    delete_queue_view,
    rename_queue_view,
    save_queue_view,
)
from complaints.services.resolution import (
    accept_resolution,
    approve_resolution,
    auto_close_resolved,
    rate_complaint,
    reject_resolution,
    reopen_window_ends,
    reply_and_resolve,
    resolution_letter,
    resolve_complaint,
    return_resolution,
)
from complaints.services.watch import scan_deadlines

__all__ = [
    "MOVES",
    "RESOLVABLE",
    "Change",
    "ComplaintError",
    "StaleComplaint",
    "UnknownConsumer",
    "accept_resolution",
    "add_internal_note",
    "allowed_statuses",
    "approve_resolution",
    "assign_complaint",
    "auto_close_resolved",
    "change_category",
    "change_priority",
    "change_status",
    "changing",
    "clocks_on_page",
    "complaint_regulator",
    "consumer_for_intake",
    "deactivate_staff_member",
    "deadline_for",
    "delete_canned_response",
    "delete_queue_view",
    "escalate_complaint",
    "hand_back",
    "log_complaint_on_behalf",
    "mark_met",
    "merge_complaint",
    "move_to_team",
    "pause_sla",
    "pick_assignee",
    "rate_complaint",
    "refer_to_specialist",
    "refresh_deadlines",
    "reject_resolution",
    "rename_queue_view",
    "reopen_window_ends",
    "reply_and_resolve",
    "reply_to_complaint",
    "resolution_letter",
    "resolve_complaint",
    "resume_sla",
    "return_resolution",
    "save_canned_response",
    "save_queue_view",
    "scan_deadlines",
    "send_adr_letter",
    "send_holding_response",
    "send_in_progress_response",
    "submit_complaint",
    "unchanged_since",
    "update_next_due",
]
