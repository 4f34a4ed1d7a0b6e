"""The lifecycle actions as people use them: console and portal forms, files, staff intake."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from accounts.models import Role, User
from complaints.models import Attachment, Complaint, Event, Outcome, RootCause, Status, Team
from complaints.services import (
    add_internal_note,
    change_status,
    refresh_deadlines,
    reply_to_complaint,
)
from configuration.models import TenantSettings
from deadlines.models import Clock
from tests.complaints.conftest import as_request_user, snapshot

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path) -> None:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }


def png(name: str = "receipt.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


# --- files ----------------------------------------------------------------------------------


def test_consumer_attaches_a_photo_to_a_new_complaint_and_downloads_it(
    consumer_client: Client,
) -> None:
    response = consumer_client.post(
        "/complaints/new/",
        {"subject": "Card taken twice", "description": "See the receipt.", "attachments": png()},
    )
    complaint = Complaint.objects.get()
    attachment = Attachment.objects.get()
    assert response.status_code == 302
    assert attachment.complaint == complaint
    assert attachment.content_type == "image/png"
    assert attachment.file.name.startswith(f"t_bank/complaints/{complaint.reference}/")

    download = consumer_client.get(f"/complaints/{complaint.reference}/files/{attachment.pk}/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PNG
    assert download["Content-Disposition"].startswith('attachment; filename="receipt.png"')
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]


def test_a_renamed_program_is_refused_and_nothing_is_logged(consumer_client: Client) -> None:
    program = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00" + bytes(200), "application/pdf")
    response = consumer_client.post(
        "/complaints/new/",
        {"subject": "Card taken twice", "description": "See the invoice.", "attachments": program},
    )
    assert response.status_code == 200
    assert "“invoice.pdf” is not a file type we accept" in response.content.decode()
    assert not Complaint.objects.exists()
    assert not Attachment.objects.exists()


def test_other_consumer_and_outsider_cannot_download_a_file(
    consumer, complaint: Complaint, other_consumer, outsider_at_bank: Client, bank
) -> None:
    reply_to_complaint(complaint, "Here is the receipt.", actor=consumer, files=[png()])
    attachment = Attachment.objects.get()
    url = f"/complaints/{complaint.reference}/files/{attachment.pk}/"
    other = Client(HTTP_HOST="bank.localhost")
    other.force_login(other_consumer, backend="accounts.sessions.AccountBackend")
    assert other.get(url).status_code == 404
    # The outsider's own telco session, on the bank host: the bank does not know it.
    refused = outsider_at_bank.get(url)
    assert refused.status_code == 302
    assert refused["Location"].startswith("/accounts/login/")
    assert not refused.streaming
    assert Client(HTTP_HOST="bank.localhost").get(url).status_code == 302  # to sign in


def test_files_on_internal_notes_are_hidden_from_the_consumer_but_not_staff(
    consumer_client: Client, agent_client: Client, agent, complaint: Complaint
) -> None:
    add_internal_note(complaint, "Ledger extract.", actor=agent, files=[png("ledger.png")])
    attachment = Attachment.objects.get()
    assert attachment.is_internal
    url = f"/complaints/{complaint.reference}/files/{attachment.pk}/"
    assert consumer_client.get(url).status_code == 404
    assert (
        "ledger.png"
        not in consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()
    )
    assert agent_client.get(url).status_code == 200


# --- console actions ------------------------------------------------------------------------


def test_agent_claims_an_unassigned_complaint_of_their_team(
    agent_client: Client, agent, complaint: Complaint
) -> None:
    response = agent_client.post(f"/console/complaints/{complaint.reference}/claim/")
    complaint.refresh_from_db()
    assert response.status_code == 302
    assert complaint.assignee == agent
    assert complaint.events.filter(kind=Event.Kind.ASSIGNED).count() == 1


def test_agent_cannot_give_a_complaint_to_someone_else(
    agent_client: Client, complaint: Complaint, make_user
) -> None:
    colleague = make_user(Role.AGENT)
    response = agent_client.post(
        f"/console/complaints/{complaint.reference}/assign/", {"assignee": colleague.pk}
    )
    complaint.refresh_from_db()
    assert response.status_code == 200
    assert "Agents can only claim complaints for themselves." in response.content.decode()
    assert complaint.assignee is None


def test_agent_resolves_and_the_consumer_receives_the_final_response(
    agent_client: Client,
    consumer_client: Client,
    complaint: Complaint,
    root_cause: RootCause,
    django_capture_on_commit_callbacks,
) -> None:
    complaint.received_at = timezone.now() - timedelta(days=10)
    complaint.save(update_fields=["received_at"])
    refresh_deadlines(complaint)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            f"/console/complaints/{complaint.reference}/resolve/",
            {
                "outcome": Outcome.UPHELD,
                "root_cause": root_cause.pk,
                "redress_amount": "25.00",
                "redress_currency": "GBP",
                "summary": "We refunded the second payment.",
            },
            HTTP_HX_REQUEST="true",
        )
    complaint.refresh_from_db()
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<div id="workspace"')
    assert complaint.status == Status.RESOLVED
    letter = complaint.events.get(kind=Event.Kind.LETTER, data__letter="final_response")
    assert "Financial Ombudsman Service" in letter.body
    assert complaint.deadlines.get(clock=Clock.FINAL_RESPONSE).met_at is not None
    assert any("final response" in message.subject.lower() for message in mail.outbox)

    page = consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()
    assert "Accept and close my complaint" in page
    accepted = consumer_client.post(f"/complaints/{complaint.reference}/accept/")
    complaint.refresh_from_db()
    assert accepted.status_code == 302
    assert complaint.status == Status.CLOSED


def test_resolving_without_a_root_cause_shows_the_form_error_and_changes_nothing(
    agent_client: Client, complaint: Complaint
) -> None:
    response = agent_client.post(
        f"/console/complaints/{complaint.reference}/resolve/",
        {"outcome": Outcome.UPHELD, "summary": "Refunded."},
    )
    complaint.refresh_from_db()
    assert response.status_code == 200
    assert "Choose the root cause, for root-cause analysis." in response.content.decode()
    assert complaint.status == Status.NEW


def test_consumer_cannot_use_console_actions_and_staff_cannot_answer_for_the_consumer(
    consumer_client: Client, agent_client: Client, complaint: Complaint
) -> None:
    assert (
        consumer_client.post(f"/console/complaints/{complaint.reference}/claim/").status_code == 403
    )
    assert agent_client.post(f"/complaints/{complaint.reference}/accept/").status_code == 403


def test_unknown_actions_and_portal_only_actions_in_the_console_are_not_found(
    agent_client: Client, consumer_client: Client, complaint: Complaint
) -> None:
    assert (
        agent_client.post(f"/console/complaints/{complaint.reference}/explode/").status_code == 404
    )
    assert (
        agent_client.post(f"/console/complaints/{complaint.reference}/accept/").status_code == 404
    )
    assert consumer_client.post(f"/complaints/{complaint.reference}/resolve/").status_code == 404


def test_agent_without_second_factor_is_sent_to_verify_before_any_action(
    unverified_agent_client: Client, complaint: Complaint
) -> None:
    response = unverified_agent_client.post(f"/console/complaints/{complaint.reference}/claim/")
    complaint.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/")
    assert complaint.assignee is None


def test_outsider_gets_nothing_from_console_actions(
    outsider_manager_at_bank: Client, complaint: Complaint
) -> None:
    """A telco manager's own session, on the bank host, claims nothing."""
    before = snapshot(complaint)
    response = outsider_manager_at_bank.post(f"/console/complaints/{complaint.reference}/claim/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert snapshot(complaint) == before


def test_each_action_form_on_the_console_page_has_its_own_field_ids(
    agent_client: Client, complaint: Complaint
) -> None:
    page = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()
    assert page.count('id="id_reply_body"') == 1
    assert page.count('id="id_note_body"') == 1
    assert 'id="id_body"' not in page


# --- staff intake ---------------------------------------------------------------------------


def test_agent_logs_a_phone_complaint_for_a_new_consumer_with_its_received_time(
    agent_client: Client, bank, django_capture_on_commit_callbacks
) -> None:
    received = (timezone.localtime() - timedelta(days=2)).replace(second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(
            "/console/complaints/new/",
            {
                "consumer_email": "New.Person@Example.com",
                "consumer_name": "New Person",
                "channel": "phone",
                "received_at": received.strftime("%Y-%m-%dT%H:%M"),
                "subject": "Branch refused my deposit",
                "description": "Called to complain about the branch.",
            },
        )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert complaint.consumer.email == "new.person@example.com"
    assert complaint.consumer.role == Role.CONSUMER
    assert not complaint.consumer.has_usable_password()
    assert complaint.channel == "phone"
    assert complaint.received_at == received
    assert complaint.events.get(kind=Event.Kind.SUBMITTED).created_at == received
    assert [m.to for m in mail.outbox] == [["new.person@example.com"]]


def test_intake_refuses_a_future_time_and_a_staff_address(
    agent_client: Client, agent, bank
) -> None:
    base = {"channel": "letter", "subject": "Late post", "description": "A letter."}
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = agent_client.post(
        "/console/complaints/new/",
        {**base, "consumer_email": "a@example.com", "received_at": future},
    )
    assert "The time received cannot be in the future." in response.content.decode()
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = agent_client.post(
        "/console/complaints/new/",
        {**base, "consumer_email": agent.email, "consumer_name": "Al", "received_at": past},
    )
    assert "belongs to a staff account" in response.content.decode()
    assert not Complaint.objects.exists()


def test_consumer_and_specialist_cannot_use_staff_intake(
    consumer_client: Client, specialist_client: Client
) -> None:
    assert consumer_client.get("/console/complaints/new/").status_code == 403
    assert specialist_client.get("/console/complaints/new/").status_code == 403


# --- queues ---------------------------------------------------------------------------------


@override_settings()
def test_breached_and_at_risk_queues_list_complaints_by_their_next_deadline(
    agent_client: Client, make_complaint, front_line
) -> None:
    policy = TenantSettings.current()
    policy.at_risk_hours = 4
    policy.save(update_fields=["at_risk_hours"])
    overdue, soon, later = (make_complaint(subject=s) for s in ("Overdue", "Soon", "Later"))
    now = timezone.now()
    for complaint, due in (
        (overdue, now - timedelta(hours=1)),
        (soon, now + timedelta(hours=2)),
        (later, now + timedelta(days=9)),
    ):
        Complaint.objects.filter(pk=complaint.pk).update(team=front_line, next_due_at=due)
    breached = agent_client.get("/console/?view=breached").content.decode()
    at_risk = agent_client.get("/console/?view=at_risk").content.decode()
    assert overdue.reference in breached and soon.reference not in breached
    assert soon.reference in at_risk
    assert overdue.reference not in at_risk and later.reference not in at_risk


def test_merge_form_finds_no_complaint_the_agent_may_not_see(
    agent_client: Client,
    complaint: Complaint,
    make_complaint: Callable[..., Complaint],
    other_team: Team,
) -> None:
    # The same consumer's complaint in another team's queue: to this agent it does not exist,
    # and the form says exactly what it says of a reference nobody has.
    hidden = make_complaint(subject="In the billing queue")
    Complaint.objects.filter(pk=hidden.pk).update(team=other_team)
    url = f"/console/complaints/{complaint.reference}/merge/"

    hidden_answer = agent_client.post(url, {"target": hidden.reference})
    missing_answer = agent_client.post(url, {"target": "C-2026-999999"})

    assert f"This consumer has no complaint with the reference {hidden.reference}." in (
        hidden_answer.content.decode()
    )
    assert "This consumer has no complaint with the reference C-2026-999999." in (
        missing_answer.content.decode()
    )
    assert Complaint.objects.get(pk=complaint.pk).status == Status.NEW
    assert Complaint.objects.get(pk=hidden.pk).merged_into_id is None


def test_the_console_deadline_panel_states_each_rule_and_stopped_clocks(
    agent_client: Client, complaint: Complaint, consumer: User
) -> None:
    page = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()
    assert "DISP 1.6.2R: by the end of 8 weeks after receipt" in page
    assert "DISP 1.5.1R: resolved by close of business on the third business day" in page

    change_status(complaint, Status.WITHDRAWN, actor=as_request_user(consumer))

    page = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()
    assert "Not applicable: the consumer withdrew the complaint" in page
    assert "Overdue" not in page and "Due " not in page
