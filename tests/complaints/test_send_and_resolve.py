""" "Send and resolve": a reply and the resolution (with its final response) in one step,
through the one gate in one transaction; refused whole, or waiting for a manager's approval
where the tenant requires it."""

from __future__ import annotations

import re
from decimal import Decimal

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
)
from complaints.services import ComplaintError, reply_and_resolve, resolve_complaint
from complaints.services.resolution import REPLY_NOT_SENT
from configuration.models import TenantSettings
from tests.complaints.conftest import put_in_status
from tests.complaints.test_lifecycle import letters, refused, state

HTMX = {"HTTP_HX_REQUEST": "true"}
HIDDEN_THEN = re.compile(
    r'<input[^>]*type="hidden"[^>]*name="then"|<input[^>]*name="then"[^>]*type="hidden"'
)
TEXT = "We have refunded the second payment of £42.10 to your card."


def page_of(complaint: Complaint) -> str:
    return f"/console/complaints/{complaint.reference}/"


def resolving(cause: RootCause, **extra: str) -> dict[str, str]:
    return {
        "body": TEXT,
        "then": "resolve",
        "outcome": Outcome.UPHELD,
        "root_cause": str(cause.pk),
        "redress_amount": "42.10",
        **extra,
    }


# --- The service ------------------------------------------------------------------------------


def test_the_reply_and_the_resolution_are_made_together(
    complaint: Complaint, staff: User, root_cause: RootCause
) -> None:
    event = reply_and_resolve(
        complaint,
        TEXT,
        outcome=Outcome.UPHELD,
        root_cause=root_cause,
        redress_amount=Decimal("42.10"),
        actor=staff,
    )
    complaint.refresh_from_db()
    assert event.kind == Event.Kind.RESOLVED
    assert complaint.status == Status.RESOLVED
    assert complaint.outcome == Outcome.UPHELD
    assert complaint.resolution_summary == TEXT  # the reply, when no summary is given
    assert complaint.redress_amount == Decimal("42.10")
    kinds = list(complaint.events.order_by("pk").values_list("kind", flat=True))
    assert kinds[-3:-1] == [Event.Kind.REPLY, Event.Kind.RESOLVED]
    assert letters(complaint)[-1] in (LetterKind.FINAL_RESPONSE, LetterKind.SUMMARY_RESOLUTION)


def test_a_summary_given_is_the_letters_summary(
    complaint: Complaint, staff: User, root_cause: RootCause
) -> None:
    reply_and_resolve(
        complaint,
        TEXT,
        outcome=Outcome.NOT_UPHELD,
        root_cause=root_cause,
        summary="The payment was taken once; the second line was a pending authorisation.",
        actor=staff,
    )
    complaint.refresh_from_db()
    assert complaint.resolution_summary.startswith("The payment was taken once")
    assert complaint.events.filter(kind=Event.Kind.REPLY, body=TEXT).exists()


@pytest.mark.parametrize(
    ("outcome", "message"),
    [
        ("bogus", "Choose an outcome: upheld, partly upheld or not upheld."),
        (Outcome.WITHDRAWN, "Choose an outcome: upheld, partly upheld or not upheld."),
        ("", "Choose an outcome: upheld, partly upheld or not upheld."),
    ],
)
def test_a_bad_outcome_sends_no_reply_either(
    complaint: Complaint, staff: User, root_cause: RootCause, outcome: str, message: str
) -> None:
    with refused(message, complaint):
        reply_and_resolve(complaint, TEXT, outcome=outcome, root_cause=root_cause, actor=staff)
    assert not complaint.events.filter(kind=Event.Kind.REPLY).exists()


def test_no_root_cause_or_an_empty_reply_is_refused_whole(
    complaint: Complaint, staff: User, root_cause: RootCause
) -> None:
    with refused("Choose the root cause, for root-cause analysis.", complaint):
        reply_and_resolve(complaint, TEXT, outcome=Outcome.UPHELD, root_cause=None, actor=staff)
    with refused("A reply cannot be empty.", complaint):
        reply_and_resolve(
            complaint, "  ", outcome=Outcome.UPHELD, root_cause=root_cause, actor=staff
        )


def test_a_resolution_refused_after_the_reply_takes_the_reply_back(
    complaint: Complaint, staff: User, root_cause: RootCause, approval_required: TenantSettings
) -> None:
    """The refusal comes from the resolution, after the reply was written in the same
    transaction: both are undone, the consumer is sent nothing."""
    resolve_complaint(
        complaint, outcome=Outcome.UPHELD, summary="First try", root_cause=root_cause, actor=staff
    )
    assert ResolutionProposal.objects.filter(complaint=complaint).count() == 1
    before = state(complaint)
    with pytest.raises(ComplaintError, match="waiting for a manager's approval"):
        reply_and_resolve(
            complaint, TEXT, outcome=Outcome.UPHELD, root_cause=root_cause, actor=staff
        )
    assert state(complaint) == before
    assert not complaint.events.filter(kind=Event.Kind.REPLY).exists()


def test_with_approval_required_the_reply_goes_and_the_resolution_waits(
    complaint: Complaint, staff: User, root_cause: RootCause, approval_required: TenantSettings
) -> None:
    event = reply_and_resolve(
        complaint, TEXT, outcome=Outcome.UPHELD, root_cause=root_cause, actor=staff
    )
    complaint.refresh_from_db()
    assert event.kind == Event.Kind.RESOLUTION_PROPOSED
    assert complaint.status == Status.OPEN
    assert complaint.events.filter(kind=Event.Kind.REPLY, body=TEXT).exists()
    proposal = ResolutionProposal.objects.get(complaint=complaint)
    assert (proposal.outcome, proposal.summary) == (Outcome.UPHELD, TEXT)
    assert LetterKind.FINAL_RESPONSE not in letters(complaint)


def test_a_consumer_cannot_resolve_with_a_reply(
    complaint: Complaint, consumer: User, root_cause: RootCause
) -> None:
    with refused(f"You may not resolve this complaint. {REPLY_NOT_SENT}", complaint):
        reply_and_resolve(
            complaint, "Thanks", outcome=Outcome.UPHELD, root_cause=root_cause, actor=consumer
        )


# --- The page ---------------------------------------------------------------------------------


def test_the_reply_box_offers_send_and_resolve_with_the_resolution_fields(
    agent_client: Client, complaint: Complaint, root_cause: RootCause
) -> None:
    content = agent_client.get(page_of(complaint)).content.decode()
    box = content.split('class="card reply-card"', 1)[1].split("</form>", 1)[0]
    assert "<summary>Send and resolve…</summary>" in box
    assert 'name="then" value="resolve"' in box
    for name in ("outcome", "root_cause", "redress_amount", "redress_currency", "summary"):
        assert f'name="{name}"' in box
    assert root_cause.name in box
    # Needed for this step though a plain reply does not need them: not marked optional.
    assert '<label for="id_reply_outcome">Outcome</label>' in box
    assert '<label for="id_reply_root_cause">Root cause</label>' in box
    assert 'for="id_reply_summary">Resolution summary for the final response <span' in box


def test_send_and_resolve_is_not_offered_on_a_resolved_complaint(
    agent_client: Client, complaint: Complaint, root_cause: RootCause
) -> None:
    put_in_status(complaint, Status.RESOLVED)
    content = agent_client.get(page_of(complaint)).content.decode()
    assert 'value="resolve"' not in content


def test_send_and_resolve_from_the_page(
    agent_client: Client, complaint: Complaint, root_cause: RootCause
) -> None:
    response = agent_client.post(f"{page_of(complaint)}reply/", resolving(root_cause), **HTMX)
    assert "Your reply was sent and the complaint is resolved" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED
    assert complaint.redress_amount == Decimal("42.10")
    assert complaint.events.filter(kind=Event.Kind.REPLY, body=TEXT).exists()


def test_send_and_resolve_with_approval_required_says_it_waits(
    agent_client: Client,
    complaint: Complaint,
    root_cause: RootCause,
    approval_required: TenantSettings,
) -> None:
    response = agent_client.post(f"{page_of(complaint)}reply/", resolving(root_cause), **HTMX)
    assert "The resolution waits for a manager" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == Status.OPEN
    assert ResolutionProposal.objects.filter(complaint=complaint).exists()


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"outcome": "bogus"}, "Select a valid choice"),
        ({"outcome": ""}, "Choose an outcome"),
        ({"root_cause": ""}, "Choose the root cause"),
        ({"root_cause": "999999"}, "Select a valid choice"),
        ({"redress_amount": "1e3"}, ""),
    ],
)
def test_a_bad_resolution_on_the_page_sends_nothing_and_keeps_the_text(
    agent_client: Client,
    complaint: Complaint,
    root_cause: RootCause,
    extra: dict[str, str],
    error: str,
) -> None:
    before = state(complaint)
    response = agent_client.post(
        f"{page_of(complaint)}reply/", resolving(root_cause, **extra), **HTMX
    )
    content = response.content.decode()
    assert response.status_code == 200
    assert error in content
    assert f"{TEXT}</textarea>" in content
    assert '<details class="then-resolve" open>' in content
    assert state(complaint) == before
    assert not complaint.events.filter(kind=Event.Kind.REPLY).exists()
    # The refused choice is not kept in the form: a plain "Send reply" after it only replies.
    assert not HIDDEN_THEN.search(content)


def test_a_plain_send_after_a_refused_send_and_resolve_only_replies(
    agent_client: Client, complaint: Complaint, root_cause: RootCause
) -> None:
    """The form as it came back, sent with the primary button (which has no name)."""
    refused_once = agent_client.post(
        f"{page_of(complaint)}reply/", resolving(root_cause, redress_amount="1e3"), **HTMX
    ).content.decode()
    assert "Redress" in refused_once
    assert not HIDDEN_THEN.search(refused_once)
    resent = {key: value for key, value in resolving(root_cause).items() if key != "then"}

    agent_client.post(f"{page_of(complaint)}reply/", resent, **HTMX)

    complaint.refresh_from_db()
    assert complaint.status != Status.RESOLVED
    assert complaint.events.filter(kind=Event.Kind.REPLY).count() == 1
    assert not complaint.events.filter(kind=Event.Kind.RESOLVED).exists()


def test_a_summary_resolution_states_the_redress(
    agent_client: Client, complaint: Complaint, root_cause: RootCause
) -> None:
    agent_client.post(f"{page_of(complaint)}reply/", resolving(root_cause), **HTMX)

    (letter,) = complaint.events.filter(kind=Event.Kind.LETTER).exclude(
        data__letter=LetterKind.ACKNOWLEDGEMENT
    )
    assert "Redress: £42.10." in letter.body
