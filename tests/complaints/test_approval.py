"""Managers approve final responses when the tenant requires it.

With the policy on, an agent's resolution is held as a proposal: nothing reaches the
consumer, the status stays, and the team's manager is asked. The manager approves it (the
complaint is resolved exactly as if resolved directly) or returns it with a comment.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from complaints.models import (
    Complaint,
    Event,
    LetterKind,
    Outcome,
    ResolutionProposal,
    RootCause,
    Status,
    Team,
)
from complaints.services import (
    ComplaintError,
    approve_resolution,
    resolve_complaint,
    return_resolution,
)
from configuration.models import TenantSettings
from deadlines.models import Clock, Deadline
from outbox.models import Message
from tests.complaints.conftest import as_request_user
from tests.complaints.test_lifecycle import exactly, letters, mail_to, refused, state

SUMMARY = "We refunded the second payment of £84.20."


@pytest.fixture
def boss(manager: User, front_line: Team) -> User:
    """The front line's manager, second factor passed."""
    front_line.manager = manager
    front_line.save(update_fields=["manager"])
    return as_request_user(manager)


def resolve(complaint: Complaint, actor: User, root_cause: RootCause, **extra: Any) -> Event:
    return resolve_complaint(
        complaint,
        outcome=extra.pop("outcome", Outcome.PARTLY_UPHELD),
        summary=SUMMARY,
        root_cause=root_cause,
        actor=actor,
        **extra,
    )


def proposed(complaint: Complaint, staff: User, root_cause: RootCause) -> ResolutionProposal:
    """The agent resolves under the approval policy; their proposal waits."""
    resolve(complaint, staff, root_cause, redress_amount=Decimal("25"))
    return ResolutionProposal.objects.get(complaint=complaint)


# --- the services ---------------------------------------------------------------------------


def test_without_the_policy_an_agent_resolves_directly(
    complaint: Complaint, staff: User, boss: User, root_cause: RootCause
) -> None:
    event = resolve(complaint, staff, root_cause)

    complaint.refresh_from_db()
    assert event.kind == Event.Kind.RESOLVED
    assert complaint.status == Status.RESOLVED
    assert letters(complaint) == [LetterKind.ACKNOWLEDGEMENT, LetterKind.SUMMARY_RESOLUTION]
    assert not ResolutionProposal.objects.exists()
    assert mail_to(boss) == []


def test_with_the_policy_an_agents_resolution_waits_and_the_team_manager_is_asked(
    approval_required: TenantSettings,
    complaint: Complaint,
    staff: User,
    boss: User,
    consumer: User,
    root_cause: RootCause,
) -> None:
    before = state(complaint)

    event = resolve(complaint, staff, root_cause, redress_amount=Decimal("25"))

    after = state(complaint)
    assert {key: after[key] for key in before if key not in ("events", "outbox", "updated_at")} == {
        key: before[key] for key in before if key not in ("events", "outbox", "updated_at")
    }
    assert after["status"] == Status.NEW
    added = list(complaint.events.exclude(pk__in=before["events"]))
    assert added == [event]
    assert (event.kind, event.is_internal, event.body) == (
        Event.Kind.RESOLUTION_PROPOSED,
        True,
        SUMMARY,
    )
    assert event.headline == "Resolution sent for approval: partly upheld"
    proposal = ResolutionProposal.objects.get(complaint=complaint)
    assert (proposal.outcome, proposal.summary, proposal.root_cause) == (
        Outcome.PARTLY_UPHELD,
        SUMMARY,
        root_cause,
    )
    assert (proposal.redress_amount, proposal.redress_currency) == (Decimal("25.00"), "GBP")
    assert (proposal.proposed_by, proposal.decision, proposal.decided_by) == (staff, "", None)
    assert letters(complaint) == [LetterKind.ACKNOWLEDGEMENT]
    new_mail = Message.objects.exclude(pk__in=before["outbox"])
    assert [message.recipient for message in new_mail] == [boss.email]
    assert new_mail[0].subject == f"{complaint.reference}: a resolution waits for your approval"
    assert complaint.reference in new_mail[0].body


def test_a_second_proposal_is_refused_while_one_waits(
    approval_required: TenantSettings,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
) -> None:
    proposed(complaint, staff, root_cause)

    with refused("A resolution of this complaint is waiting for a manager's approval.", complaint):
        resolve(complaint, staff, root_cause, outcome=Outcome.UPHELD)
    assert ResolutionProposal.objects.filter(complaint=complaint).count() == 1


def test_manager_approves_and_the_complaint_is_resolved_with_the_letter_and_deadlines_met(
    approval_required: TenantSettings,
    complaint: Complaint,
    staff: User,
    boss: User,
    consumer: User,
    root_cause: RootCause,
) -> None:
    proposal = proposed(complaint, staff, root_cause)

    event = approve_resolution(proposal, actor=boss)

    complaint.refresh_from_db()
    proposal.refresh_from_db()
    assert (event.kind, event.actor, event.from_status, event.to_status) == (
        Event.Kind.RESOLVED,
        boss,
        Status.NEW,
        Status.RESOLVED,
    )
    assert complaint.status == Status.RESOLVED
    assert (complaint.outcome, complaint.resolution_summary, complaint.root_cause) == (
        Outcome.PARTLY_UPHELD,
        SUMMARY,
        root_cause,
    )
    assert (complaint.redress_amount, complaint.redress_currency) == (Decimal("25.00"), "GBP")
    assert letters(complaint) == [LetterKind.ACKNOWLEDGEMENT, LetterKind.SUMMARY_RESOLUTION]
    assert mail_to(consumer)[-1].subject == f"Your complaint {complaint.reference} is resolved"
    for clock in (Clock.SUMMARY_RESOLUTION, Clock.FINAL_RESPONSE):
        assert Deadline.objects.get(complaint=complaint, clock=clock).met_at is not None, clock
    assert (proposal.decision, proposal.decided_by) == (
        ResolutionProposal.Decision.APPROVED,
        boss,
    )
    assert proposal.decided_at is not None


def test_an_approved_or_returned_proposal_cannot_be_decided_again(
    approval_required: TenantSettings,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
) -> None:
    proposal = proposed(complaint, staff, root_cause)
    return_resolution(proposal, "Redress should be £50.", actor=boss)

    with refused("This resolution was already returned.", complaint):
        approve_resolution(proposal, actor=boss)


def test_manager_returns_with_a_comment_the_agent_is_told_and_may_resolve_again(
    approval_required: TenantSettings,
    complaint: Complaint,
    staff: User,
    boss: User,
    consumer: User,
    root_cause: RootCause,
) -> None:
    proposal = proposed(complaint, staff, root_cause)
    before = state(complaint)

    event = return_resolution(proposal, "  Redress should be £50.  ", actor=boss)

    complaint.refresh_from_db()
    proposal.refresh_from_db()
    assert complaint.status == Status.NEW
    assert list(complaint.events.exclude(pk__in=before["events"])) == [event]
    assert (event.kind, event.is_internal, event.body) == (
        Event.Kind.RESOLUTION_RETURNED,
        True,
        "Redress should be £50.",
    )
    assert (proposal.decision, proposal.decided_by, proposal.manager_comment) == (
        ResolutionProposal.Decision.RETURNED,
        boss,
        "Redress should be £50.",
    )
    told = Message.objects.exclude(pk__in=before["outbox"]).get()
    assert told.recipient == staff.email
    assert told.subject == f"{complaint.reference}: your resolution was returned"
    assert "Redress should be £50." in told.body
    assert letters(complaint) == [LetterKind.ACKNOWLEDGEMENT]

    resolve(complaint, staff, root_cause, redress_amount=Decimal("50"))

    assert ResolutionProposal.objects.filter(complaint=complaint).open().get().redress_amount == 50


def test_returning_without_a_comment_is_refused(
    approval_required: TenantSettings,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
) -> None:
    proposal = proposed(complaint, staff, root_cause)

    with refused("Say what needs to change before returning the resolution.", complaint):
        return_resolution(proposal, "   ", actor=boss)
    proposal.refresh_from_db()
    assert proposal.decision == ""


@pytest.mark.parametrize(
    ("decide", "message"),
    [
        (
            lambda proposal, actor: approve_resolution(proposal, actor=actor),
            "Only a manager can approve this resolution.",
        ),
        (
            lambda proposal, actor: return_resolution(proposal, "Looks wrong.", actor=actor),
            "Only a manager can return this resolution.",
        ),
    ],
    ids=["approve", "return"],
)
def test_agents_and_consumers_cannot_decide_on_a_proposal(
    approval_required: TenantSettings,
    complaint: Complaint,
    staff: User,
    boss: User,
    manager: User,
    root_cause: RootCause,
    decide: Any,
    message: str,
) -> None:
    proposal = proposed(complaint, staff, root_cause)

    for actor in (staff, complaint.consumer):
        with refused(message, complaint):
            decide(proposal, actor)
    proposal.refresh_from_db()
    assert (proposal.decision, proposal.decided_by, proposal.decided_at) == ("", None, None)


def test_a_manager_resolving_with_the_policy_on_resolves_at_once(
    approval_required: TenantSettings,
    complaint: Complaint,
    boss: User,
    root_cause: RootCause,
) -> None:
    event = resolve(complaint, boss, root_cause)

    complaint.refresh_from_db()
    assert event.kind == Event.Kind.RESOLVED
    assert complaint.status == Status.RESOLVED
    assert letters(complaint) == [LetterKind.ACKNOWLEDGEMENT, LetterKind.SUMMARY_RESOLUTION]
    assert not ResolutionProposal.objects.exists()


def test_a_proposal_of_a_withdrawn_complaint_cannot_be_approved_but_can_be_returned(
    approval_required: TenantSettings,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
) -> None:
    proposal = proposed(complaint, staff, root_cause)
    Complaint.objects.filter(pk=complaint.pk).update(status=Status.WITHDRAWN)

    with pytest.raises(
        ComplaintError, match=exactly("A complaint that is withdrawn cannot be resolved.")
    ):
        approve_resolution(proposal, actor=boss)
    return_resolution(proposal, "Withdrawn meanwhile.", actor=boss)

    proposal.refresh_from_db()
    assert proposal.decision == ResolutionProposal.Decision.RETURNED


# --- the console ----------------------------------------------------------------------------


RESOLVE_FORM = {
    "outcome": Outcome.UPHELD,
    "redress_amount": "",
    "redress_currency": "",
    "summary": SUMMARY,
}


def console(reference: str, action: str = "") -> str:
    return f"/console/complaints/{reference}/{action + '/' if action else ''}"


def test_agents_console_resolve_goes_for_approval_and_says_so(
    approval_required: TenantSettings,
    agent_client: Client,
    complaint: Complaint,
    boss: User,
    root_cause: RootCause,
) -> None:
    response = agent_client.post(
        console(complaint.reference, "resolve"),
        {**RESOLVE_FORM, "root_cause": root_cause.pk},
        HTTP_HX_REQUEST="true",
    )

    page = response.content.decode()
    complaint.refresh_from_db()
    assert response.status_code == 200
    assert "Resolution sent to a manager for approval." in page
    assert "Waiting for a manager's approval." in page
    assert "Approve and send" not in page
    assert 'id="id_resolve_summary"' not in page and "/resolve/form/" not in page
    assert complaint.status == Status.NEW


def test_console_shows_the_waiting_proposal_with_the_managers_buttons(
    approval_required: TenantSettings,
    manager_client: Client,
    agent_client: Client,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
) -> None:
    proposed(complaint, staff, root_cause)

    for_manager = manager_client.get(console(complaint.reference)).content.decode()
    for_agent = agent_client.get(console(complaint.reference)).content.decode()

    for page in (for_manager, for_agent):
        assert "Resolution waiting for approval" in page
        assert "Partly upheld" in page
        assert SUMMARY in page
        assert "£25.00" in page and "GBP 25.00" not in page
        assert "Duplicate card transaction" in page
        assert "Proposed by Alex Agent" in page
        assert 'id="id_resolve_summary"' not in page and "/resolve/form/" not in page
    assert "Approve and send" in for_manager
    assert "Return with comment" in for_manager
    assert "Waiting for a manager's approval." not in for_manager
    assert "Approve and send" not in for_agent
    assert "Return with comment" not in for_agent
    assert "Waiting for a manager's approval." in for_agent


def test_without_a_proposal_the_console_shows_resolve_and_no_approval(
    approval_required: TenantSettings, agent_client: Client, complaint: Complaint
) -> None:
    url = console(complaint.reference)
    page = agent_client.get(url).content.decode()

    assert f'hx-get="{url}resolve/form/?seen=' in page  # the folded resolve form
    fold = agent_client.get(f"{url}resolve/form/", HTTP_HX_REQUEST="true").content.decode()
    assert 'id="id_resolve_summary"' in fold
    assert "Resolution waiting for approval" not in page


def test_manager_approves_in_the_console(
    approval_required: TenantSettings,
    manager_client: Client,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
) -> None:
    proposal = proposed(complaint, staff, root_cause)

    response = manager_client.post(
        console(complaint.reference, "approve_resolution"),
        {"proposal": proposal.pk},
        HTTP_HX_REQUEST="true",
    )

    complaint.refresh_from_db()
    assert response.status_code == 200
    assert "Resolution approved and sent to the consumer." in response.content.decode()
    assert complaint.status == Status.RESOLVED
    assert LetterKind.SUMMARY_RESOLUTION in letters(complaint)


def test_manager_returns_in_the_console_and_a_comment_is_required(
    approval_required: TenantSettings,
    manager_client: Client,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
) -> None:
    proposal = proposed(complaint, staff, root_cause)
    url = console(complaint.reference, "return_resolution")

    empty = manager_client.post(url, {"proposal": proposal.pk, "comment": ""})
    proposal.refresh_from_db()
    assert empty.status_code == 200
    assert "Say what needs to change before returning the resolution." in empty.content.decode()
    assert proposal.decision == ""

    returned = manager_client.post(
        url, {"proposal": proposal.pk, "comment": "Redress should be £50."}
    )
    proposal.refresh_from_db()
    assert returned.status_code == 302
    assert proposal.decision == ResolutionProposal.Decision.RETURNED


def test_a_decision_on_a_proposal_that_no_longer_waits_is_refused_in_the_console(
    approval_required: TenantSettings,
    manager_client: Client,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
) -> None:
    stale = proposed(complaint, staff, root_cause)
    return_resolution(stale, "Redress should be £50.", actor=boss)
    resolve(complaint, staff, root_cause)

    response = manager_client.post(
        console(complaint.reference, "approve_resolution"), {"proposal": stale.pk}
    )

    complaint.refresh_from_db()
    assert response.status_code == 200
    assert "That resolution is no longer waiting for approval." in response.content.decode()
    assert complaint.status == Status.NEW


@pytest.mark.parametrize("action", ["approve_resolution", "return_resolution"])
def test_agent_cannot_approve_or_return_in_the_console(
    approval_required: TenantSettings,
    agent_client: Client,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
    action: str,
) -> None:
    proposal = proposed(complaint, staff, root_cause)
    before = state(complaint)

    response = agent_client.post(
        console(complaint.reference, action), {"proposal": proposal.pk, "comment": "Fine."}
    )

    proposal.refresh_from_db()
    assert response.status_code == 403
    assert proposal.decision == ""
    assert state(complaint) == before


def test_the_consumer_never_sees_the_proposal(
    approval_required: TenantSettings,
    consumer_client: Client,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
) -> None:
    proposed(complaint, staff, root_cause)

    page = consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()

    assert SUMMARY not in page
    assert "approval" not in page
    assert (
        consumer_client.post(
            console(complaint.reference, "approve_resolution"), {"proposal": "1"}
        ).status_code
        == 403
    )


@pytest.mark.parametrize("action", ["approve_resolution", "return_resolution"])
def test_outsider_gets_nothing_from_the_approval_actions(
    approval_required: TenantSettings,
    outsider_manager_at_bank: Client,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
    action: str,
) -> None:
    """A telco manager's own session, on the bank host, decides nothing."""
    proposal = proposed(complaint, staff, root_cause)

    page = outsider_manager_at_bank.get(console(complaint.reference))
    response = outsider_manager_at_bank.post(
        console(complaint.reference, action), {"proposal": proposal.pk, "comment": "Fine."}
    )

    proposal.refresh_from_db()
    assert (page.status_code, response.status_code) == (302, 302)
    assert page["Location"].startswith("/accounts/login/")
    assert complaint.subject.encode() not in page.content
    assert proposal.decision == ""


# --- the tenant's setting -------------------------------------------------------------------


def test_admin_turns_on_manager_approval_of_final_responses(admin_client: Client) -> None:
    page = admin_client.get("/settings/policy/").content.decode()
    assert "Managers approve final responses" in page

    response = admin_client.post(
        "/settings/policy/",
        {
            "assignment_strategy": "manual",
            "default_team": "",
            "reopen_window_days": "30",
            "auto_close_days": "30",
            "at_risk_hours": "24",
            "currency": "GBP",
            "max_attachment_mb": "10",
            "final_response_approval": "on",
        },
    )

    assert response.status_code == 302
    assert TenantSettings.current().final_response_approval is True


def test_a_returned_resolution_is_revised_from_what_was_proposed(
    approval_required: TenantSettings,
    agent_client: Client,
    complaint: Complaint,
    staff: User,
    boss: User,
    root_cause: RootCause,
) -> None:
    url = console(complaint.reference)
    fresh = agent_client.get(f"{url}resolve/form/", HTTP_HX_REQUEST="true").content.decode()
    assert '<option value="" selected>Choose…</option>' in fresh  # nothing proposed yet

    return_resolution(proposed(complaint, staff, root_cause), "Redress £50.", actor=boss)

    fold = agent_client.get(f"{url}resolve/form/", HTTP_HX_REQUEST="true").content.decode()
    assert '<option value="partly_upheld" selected>' in fold
    assert f'<option value="{root_cause.pk}" selected>' in fold
    assert "We refunded the second payment of £84.20.</textarea>" in fold
    assert 'value="25.00"' in fold
    # Without JavaScript, the page with the fold open starts from it too.
    page = agent_client.get(f"{url}resolve/form/").content.decode()
    assert '<option value="partly_upheld" selected>' in page
