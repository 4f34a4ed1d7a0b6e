"""What a rejected resolution starts again, and what a closed duplicate may not do."""

from __future__ import annotations

import pytest

from accounts.models import User
from complaints.models import Complaint, Event, Outcome, RootCause, Status
from complaints.services import (
    ComplaintError,
    change_category,
    merge_complaint,
    rate_complaint,
    reject_resolution,
    resolve_complaint,
)
from deadlines.models import Clock, SlaPolicy
from tests.complaints.conftest import as_request_user


@pytest.fixture
def sla(bank) -> SlaPolicy:
    return SlaPolicy.objects.create(priority="normal", first_response_hours=8, resolution_hours=40)


def resolve(complaint: Complaint, staff: User, cause: RootCause) -> None:
    resolve_complaint(
        complaint,
        outcome=Outcome.UPHELD,
        summary="Refunded.",
        root_cause=cause,
        actor=as_request_user(staff),
    )


def test_rejecting_a_resolution_restarts_the_resolution_clock_from_the_reopening(
    sla: SlaPolicy, complaint: Complaint, agent: User, consumer: User, root_cause: RootCause
) -> None:
    # The policy exists before the complaint, so its SLA clocks start at receipt.
    resolve(complaint, agent, root_cause)
    assert complaint.deadlines.get(clock=Clock.RESOLUTION).met_at is not None

    reject_resolution(complaint, "The refund never arrived.", actor=consumer)
    complaint.refresh_from_db()
    resolution = complaint.deadlines.get(clock=Clock.RESOLUTION)
    assert complaint.status == Status.REOPENED
    assert complaint.reopened_at is not None
    assert resolution.met_at is None
    assert resolution.due_at > complaint.reopened_at
    assert complaint.next_due_at == resolution.due_at


def test_after_a_rejection_a_second_resolution_is_a_final_response_not_a_summary(
    complaint: Complaint, agent: User, consumer: User, root_cause: RootCause
) -> None:
    resolve(complaint, agent, root_cause)
    assert complaint.events.filter(data__letter="summary_resolution").count() == 1
    reject_resolution(complaint, "Not fixed.", actor=consumer)

    resolve(complaint, agent, root_cause)
    assert complaint.events.filter(data__letter="summary_resolution").count() == 1
    assert complaint.events.filter(data__letter="final_response").count() == 1


def test_a_complaint_closed_as_a_duplicate_cannot_be_rated(
    make_complaint, complaint: Complaint, agent: User, consumer: User, front_line
) -> None:
    duplicate = make_complaint(subject="Same again")
    Complaint.objects.filter(pk=duplicate.pk).update(team=front_line)
    duplicate.refresh_from_db()
    merge_complaint(duplicate, complaint, actor=as_request_user(agent))
    with pytest.raises(ComplaintError, match="once the complaint is resolved"):
        rate_complaint(duplicate, 5, "", actor=consumer)
    duplicate.refresh_from_db()
    assert duplicate.satisfaction_score is None


def test_a_category_change_is_an_internal_event(
    complaint: Complaint, agent: User, category
) -> None:
    event = change_category(complaint, category, actor=as_request_user(agent))
    assert event.kind == Event.Kind.CATEGORY_CHANGED
    assert event.is_internal
