"""The consumer's account pages: data export (nothing internal) and closing the account."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from accounts.services import AccountError
from audit.models import AuditEvent
from complaints.account_closure import close_consumer_account
from complaints.models import Complaint, Event, Status
from complaints.services import (
    add_internal_note,
    escalate_complaint,
    reply_to_complaint,
)
from tests.complaints.conftest import as_request_user, put_in_status
from tests.conftest import PASSWORD

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
SECRET_NOTE = "Consumer is on the fraud watch list."


@pytest.fixture
def worked(complaint: Complaint, agent: User) -> Complaint:
    """A complaint with a public reply and file, an internal note with a file, an escalation."""
    staff = as_request_user(agent)
    reply_to_complaint(complaint, "We are checking with the card team.", actor=staff)
    add_internal_note(
        complaint,
        SECRET_NOTE,
        actor=staff,
        files=[SimpleUploadedFile("watchlist.png", PNG, content_type="image/png")],
    )
    escalate_complaint(complaint, "Vulnerable customer, handle first.", actor=staff)
    reply_to_complaint(
        complaint,
        "Here is my statement.",
        actor=as_request_user(complaint.consumer),
        files=[SimpleUploadedFile("statement.png", PNG, content_type="image/png")],
    )
    return complaint


def export(client: Client) -> dict[str, Any]:
    response = client.get("/account/data.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith('attachment; filename="my-complaints-data-')
    assert response["Cache-Control"] == "private, no-store"
    return json.loads(response.content)


# --- Data export --------------------------------------------------------------------------


def test_export_holds_account_complaints_public_timeline_files_and_rating(
    consumer_client: Client, consumer: User, worked: Complaint
) -> None:
    Complaint.objects.filter(pk=worked.pk).update(satisfaction_score=4, satisfaction_comment="Ok")

    data = export(consumer_client)

    assert data["organisation"] == "Northwind Bank"
    assert data["account"]["email"] == "casey@example.com"
    assert data["account"]["full_name"] == "Casey Consumer"
    assert data["account"]["email_addresses"] == [
        {"email": "casey@example.com", "verified": True, "primary": True}
    ]
    (complaint,) = data["complaints"]
    assert complaint["reference"] == worked.reference
    assert complaint["description"] == worked.description
    assert complaint["rating"] == {"score": 4, "comment": "Ok"}
    messages = [entry["message"] for entry in complaint["timeline"]]
    assert "We are checking with the card team." in messages
    assert "Here is my statement." in messages
    assert [a["name"] for a in complaint["attachments"]] == ["statement.png"]
    assert complaint["attachments"][0]["uploaded_by"] == "you"


def test_export_never_contains_internal_notes_events_files_or_staff_fields(
    consumer_client: Client, worked: Complaint, agent: User
) -> None:
    internal = Event.objects.filter(complaint=worked, is_internal=True)
    assert internal.filter(kind=Event.Kind.NOTE).exists()
    assert internal.filter(kind=Event.Kind.ESCALATED).exists()

    response = consumer_client.get("/account/data.json")
    text = response.content.decode()

    for secret in (
        SECRET_NOTE,
        "fraud watch list",
        "Vulnerable customer",
        "watchlist.png",
        "Escalated",
        "Internal",
        agent.email,
        "Alex Agent",
        "Front line",
        "priority",
        "escalation",
    ):
        assert secret not in text, secret
    public = Event.objects.filter(complaint=worked, is_internal=False).count()
    assert len(json.loads(text)["complaints"][0]["timeline"]) == public


def test_export_holds_only_the_consumers_own_complaints(
    consumer_client: Client,
    make_complaint: Callable[..., Complaint],
    other_consumer: User,
) -> None:
    mine = make_complaint(subject="Mine")
    make_complaint(owner=other_consumer, subject="Someone else's")

    data = export(consumer_client)

    assert [c["reference"] for c in data["complaints"]] == [mine.reference]
    assert "Someone else's" not in json.dumps(data)


def test_export_is_recorded_in_the_audit_log(consumer_client: Client, consumer: User) -> None:
    export(consumer_client)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.DATA_EXPORTED, actor_id=consumer.pk
    ).exists()


def test_outsider_exports_their_own_tenant_data_only(
    outsider_client: Client, worked: Complaint, back_to_bank: Callable[[], Any]
) -> None:
    """The outsider is the bank consumer's twin in id: only the tenant can tell them apart."""
    data = export(outsider_client)
    assert data["organisation"] == "Contoso Telecom"
    assert data["complaints"] == []
    assert worked.reference not in json.dumps(data)


def test_outsider_session_exports_nothing_from_the_bank(
    outsider_at_bank: Client, worked: Complaint
) -> None:
    response = outsider_at_bank.get("/account/data.json")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert worked.reference.encode() not in response.content


@pytest.mark.parametrize("url", ["/account/", "/account/data.json", "/account/close/"])
def test_staff_cannot_use_the_consumer_account_pages(agent_client: Client, url: str) -> None:
    assert agent_client.get(url).status_code == 403


@pytest.mark.parametrize("url", ["/account/", "/account/data.json", "/account/close/"])
def test_visitors_are_sent_to_sign_in_from_the_account_pages(
    anonymous_client: Client, url: str
) -> None:
    response = anonymous_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_account_page_links_export_and_closure(consumer_client: Client) -> None:
    content = consumer_client.get("/account/").content.decode()
    assert 'href="/account/data.json"' in content
    assert 'href="/account/close/"' in content


# --- Closing the account ------------------------------------------------------------------


def close(client: Client, password: str = PASSWORD, confirm: bool = True) -> Any:
    data = {"password": password} | ({"confirm": "on"} if confirm else {})
    return client.post("/account/close/", data)


def test_closing_anonymises_signs_out_and_keeps_the_complaints(
    consumer_client: Client, consumer: User, worked: Complaint
) -> None:
    Complaint.objects.filter(pk=worked.pk).update(status=Status.CLOSED)
    events_before = Event.objects.filter(complaint=worked).count()

    response = close(consumer_client)

    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(pk=consumer.pk)
    assert user.email == f"closed-{consumer.pk}@closed.invalid"
    assert user.full_name == ""
    assert not user.is_active
    assert not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not EmailAddress.objects.filter(email__iexact="casey@example.com").exists()
    # The records the company must keep are still there, linked to the anonymised account.
    kept = Complaint.objects.get(pk=worked.pk)
    assert kept.consumer_id == consumer.pk
    assert kept.description == worked.description
    assert Event.objects.filter(complaint=worked).count() == events_before
    (event,) = AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_CLOSED)
    assert (event.actor_id, event.target) == (consumer.pk, f"user:{consumer.pk}")
    assert event.actor_email == user.email
    assert event.detail == {"complaints_kept": 1}
    # Signed out: the same browser is anonymous now.
    assert consumer_client.get("/complaints/").status_code == 302


def test_closed_account_cannot_sign_in_again(
    consumer_client: Client, consumer: User, anonymous_client: Client
) -> None:
    close(consumer_client)

    response = anonymous_client.post(
        "/accounts/login/", {"login": "casey@example.com", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "_auth_user_id" not in anonymous_client.session


def test_wrong_password_refuses_to_close(consumer_client: Client, consumer: User) -> None:
    response = close(consumer_client, password="not-my-password")

    assert response.status_code == 200
    assert "That password is not correct." in response.content.decode()
    assert 'href="#id_password"' in response.content.decode()
    user = User.objects.get(pk=consumer.pk)
    assert user.is_active and user.email == "casey@example.com"
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_CLOSED).exists()


def test_closing_needs_the_confirmation_box(consumer_client: Client, consumer: User) -> None:
    response = close(consumer_client, confirm=False)
    assert "Tick the box to confirm" in response.content.decode()
    assert User.objects.get(pk=consumer.pk).is_active


def test_closing_is_refused_while_a_complaint_is_being_handled(
    consumer_client: Client, consumer: User, complaint: Complaint
) -> None:
    page = consumer_client.get("/account/close/").content.decode()
    assert complaint.reference in page

    response = close(consumer_client)

    assert response.status_code == 200
    assert f"We are still handling {complaint.reference}." in response.content.decode()
    assert User.objects.get(pk=consumer.pk).is_active


def test_staff_cannot_close_an_account_through_the_portal(
    agent_client: Client, agent: User
) -> None:
    response = agent_client.post("/account/close/", {"password": PASSWORD, "confirm": "on"})
    assert response.status_code == 403
    assert User.objects.get(pk=agent.pk).is_active


def test_service_refuses_staff_and_closing_someone_else(
    consumer: User, other_consumer: User, agent: User
) -> None:
    with pytest.raises(AccountError):
        close_consumer_account(agent, actor=agent)
    with pytest.raises(AccountError):
        close_consumer_account(consumer, actor=other_consumer)
    assert User.objects.get(pk=consumer.pk).is_active


def test_outsider_closing_their_account_leaves_the_bank_account_alone(
    outsider_client: Client, outsider: User, consumer: User, back_to_bank: Callable[[], Any]
) -> None:
    """The outsider is the bank consumer's twin in id and e-mail."""
    response = close(outsider_client)
    assert response.status_code == 302
    back_to_bank()
    bank_user = User.objects.get(pk=consumer.pk)
    assert bank_user.is_active and bank_user.email == "casey@example.com"


def test_outsider_session_cannot_close_the_bank_account(
    outsider_at_bank: Client, consumer: User
) -> None:
    response = close(outsider_at_bank)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    bank_user = User.objects.get(pk=consumer.pk)
    assert bank_user.is_active and bank_user.email == "casey@example.com"


def test_resolved_complaint_does_not_block_closing(
    consumer_client: Client, consumer: User, complaint: Complaint
) -> None:
    put_in_status(complaint, Status.RESOLVED)
    assert close(consumer_client).status_code == 302
