"""The agent and the approving manager read the exact letter before it goes, with the
regulator's required content highlighted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from html import unescape

import pytest
from django.test import Client

from accounts.models import User
from complaints.models import Complaint, Event, LetterKind, LetterTemplate, RootCause, Team
from complaints.services import resolve_complaint
from configuration.models import TenantSettings
from deadlines.models import Clock, Deadline
from tests.complaints.conftest import as_request_user

HTMX = {"HTTP_HX_REQUEST": "true"}
SUMMARY = "We refunded the second payment and added £25 for the trouble."


def preview_url(complaint: Complaint, action: str) -> str:
    return f"/console/complaints/{complaint.reference}/letter/{action}/"


def letter_text(content: str) -> str:
    """The letter's body as the consumer gets it: the preview's text without the markup."""
    body = content.split('<div class="letter">', 1)[1].split("</div>", 1)[0]
    return unescape(re.sub(r"<[^>]+>", "", body.replace("<br>", "\n")))


def resolve_data(root_cause: RootCause) -> dict[str, str]:
    return {
        "outcome": "upheld",
        "root_cause": str(root_cause.pk),
        "summary": SUMMARY,
        "redress_amount": "25",
        "redress_currency": "",
    }


@contextmanager
def later(complaint: Complaint) -> Iterator[None]:
    """Past the complaint's summary-resolution clock: a resolution sends the final response."""
    Deadline.objects.filter(complaint=complaint, clock=Clock.SUMMARY_RESOLUTION).update(
        due_at=complaint.received_at
    )
    yield


def test_agent_previews_exactly_the_final_response_that_is_then_sent(
    agent_client: Client, complaint: Complaint, root_cause: RootCause
) -> None:
    with later(complaint):
        previewed = _preview_then_send(agent_client, complaint, root_cause)
    assert SUMMARY in previewed


def _preview_then_send(agent_client: Client, complaint: Complaint, root_cause: RootCause) -> str:
    url = f"/console/complaints/{complaint.reference}/"
    fold = agent_client.get(f"{url}resolve/form/", HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-post="{preview_url(complaint, "resolve")}"' in fold

    response = agent_client.post(
        preview_url(complaint, "resolve"), resolve_data(root_cause), **HTMX
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in content
    # The button that asked is disabled while it asks: the preview takes the focus.
    assert 'tabindex="-1" autofocus>' in content
    assert "Our final response to your complaint" in content
    assert "Dear Casey Consumer" in content
    assert '<mark title="Required: the Financial Ombudsman Service' in content
    assert "It cannot be sent yet" not in content
    previewed = letter_text(content)
    assert SUMMARY in previewed and "£25.00" in previewed
    assert not complaint.events.filter(
        kind=Event.Kind.LETTER, data__letter="final_response"
    ).exists()

    agent_client.post(
        f"/console/complaints/{complaint.reference}/resolve/", resolve_data(root_cause)
    )
    sent = complaint.events.get(kind=Event.Kind.LETTER, data__letter="final_response")
    assert sent.body == previewed
    return previewed


def test_send_and_resolve_previews_exactly_the_letter_it_sends_with_the_reply_as_summary(
    agent_client: Client, complaint: Complaint, root_cause: RootCause
) -> None:
    reply = "We have refunded the second payment to your card."
    data = {**resolve_data(root_cause), "summary": "", "body": reply}
    page = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()
    assert f'hx-post="{preview_url(complaint, "send_and_resolve")}"' in page

    with later(complaint):
        content = agent_client.post(
            preview_url(complaint, "send_and_resolve"), data, **HTMX
        ).content.decode()
        previewed = letter_text(content)
        assert reply in previewed and "£25.00" in previewed
        assert not complaint.events.filter(kind=Event.Kind.REPLY).exists()
        agent_client.post(
            f"/console/complaints/{complaint.reference}/reply/", {**data, "then": "resolve"}
        )

    sent = complaint.events.get(kind=Event.Kind.LETTER, data__letter="final_response")
    assert sent.body == previewed


def test_preview_says_what_the_tenants_wording_lacks(
    agent_client: Client, complaint: Complaint, root_cause: RootCause
) -> None:
    LetterTemplate.objects.create(
        kind=LetterKind.FINAL_RESPONSE,
        subject="About {reference}",
        body="Dear {consumer_name}, {resolution_summary}",
    )
    with later(complaint):
        content = agent_client.post(
            preview_url(complaint, "resolve"), resolve_data(root_cause), **HTMX
        ).content.decode()
    assert "It cannot be sent yet: it must mention" in content
    assert "the Financial Ombudsman Service" in content


def test_holding_response_preview_fills_the_reason_and_date(
    agent_client: Client, complaint: Complaint
) -> None:
    expected = (complaint.received_at + timedelta(days=20)).date()
    content = agent_client.post(
        preview_url(complaint, "holding_response"),
        {"reason": "we are waiting for the card scheme.", "expected": expected.isoformat()},
        **HTMX,
    ).content.decode()
    assert "because we are waiting for the card scheme." in content
    assert re.search(r'<mark title="Required: [^"]*why a final response is not possible', content)
    assert re.search(r'<mark title="Required: [^"]*when a final response is expected', content)


def test_approving_manager_previews_the_waiting_resolutions_letter(
    manager_client: Client,
    agent_client: Client,
    complaint: Complaint,
    agent: User,
    manager: User,
    front_line: Team,
    root_cause: RootCause,
    approval_required: TenantSettings,
) -> None:
    front_line.manager = manager
    front_line.save(update_fields=["manager"])
    resolve_complaint(
        complaint,
        outcome="not_upheld",
        summary=SUMMARY,
        root_cause=root_cause,
        actor=as_request_user(agent),
    )
    page = manager_client.get(f"/console/complaints/{complaint.reference}/").content.decode()
    assert f'hx-post="{preview_url(complaint, "approve_resolution")}"' in page

    with later(complaint):
        content = manager_client.post(preview_url(complaint, "approve_resolution"), **HTMX)
    assert SUMMARY in unescape(content.content.decode())
    assert "not upheld" in content.content.decode()
    # The agent may not approve, so the approval preview is not theirs.
    assert agent_client.post(preview_url(complaint, "approve_resolution")).status_code == 403


@pytest.mark.parametrize(
    ("client_name", "status_code"),
    [("other_agent_client", 404), ("consumer_client", 403), ("anonymous_client", 302)],
)
def test_letter_preview_is_refused_to_those_not_working_the_complaint(
    request: pytest.FixtureRequest, complaint: Complaint, client_name: str, status_code: int
) -> None:
    client: Client = request.getfixturevalue(client_name)
    response = client.post(preview_url(complaint, "resolve"), {"summary": "x"})
    assert response.status_code == status_code
    assert b"Dear" not in response.content


def test_unknown_letter_is_a_404(agent_client: Client, complaint: Complaint) -> None:
    assert agent_client.post(preview_url(complaint, "acknowledgement")).status_code == 404
