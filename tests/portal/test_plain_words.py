"""My complaints and the complaint page say status and deadlines in plain words."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from django.test import Client

from accounts.models import Role
from complaints.models import Complaint, Status
from deadlines.models import Clock, Deadline
from tenancy.models import Tenant
from tests.complaints.conftest import put_in_status
from tests.conftest import create_user, sign_in, tenant_client

LONDON = ZoneInfo("Europe/London")


def in_words(moment: object) -> str:
    return moment.astimezone(LONDON).strftime("%-d %B %Y")  # type: ignore[attr-defined]


def test_bank_list_says_when_we_will_reply_from_the_8_week_final_response(
    consumer_client: Client, complaint: Complaint
) -> None:
    final = complaint.deadlines.get(clock=Clock.FINAL_RESPONSE)
    assert complaint.next_due_at == final.due_at

    content = consumer_client.get("/complaints/").content.decode()

    assert f"We will reply by <strong>{in_words(final.due_at)}</strong>." in content
    assert "Received" in content  # the status, in plain words


def test_bank_complaint_page_names_the_final_response_date(
    consumer_client: Client, complaint: Complaint
) -> None:
    final = complaint.deadlines.get(clock=Clock.FINAL_RESPONSE)
    content = consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()
    assert (
        f"We will send you our final response by <strong>{in_words(final.due_at)}</strong>"
        in content
    )


def test_telco_list_and_page_use_the_ofcom_8_week_adr_date(
    telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    from complaints.services import submit_complaint

    activate(telco)
    person = create_user(Role.CONSUMER, "pat@example.com")
    complaint = submit_complaint(
        consumer=person, actor=person, subject="No signal", description="For a week."
    )
    adr = complaint.deadlines.get(clock=Clock.ADR_LETTER)
    assert (adr.due_at - complaint.received_at).days in (55, 56)
    client = sign_in(tenant_client(telco), person)

    listing = client.get("/complaints/").content.decode()
    page = client.get(f"/complaints/{complaint.reference}/").content.decode()

    assert f"We will reply by <strong>{in_words(adr.due_at)}</strong>." in listing
    assert f"We aim to settle it by <strong>{in_words(adr.due_at)}</strong>." in page
    assert "We will send you our final response by" not in page


def test_waiting_for_the_consumer_is_said_plainly(
    consumer_client: Client, complaint: Complaint
) -> None:
    put_in_status(complaint, Status.AWAITING_CONSUMER)

    listing = consumer_client.get("/complaints/").content.decode()
    page = consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()

    assert "Waiting for your reply" in listing
    assert "We are waiting for your reply." in listing
    assert "We will reply by" not in listing
    assert "We need something from you." in page


def test_a_late_reply_is_admitted_not_promised_in_the_past(
    consumer_client: Client, complaint: Complaint
) -> None:
    Deadline.objects.filter(complaint=complaint).update(due_at="2020-01-01T12:00:00Z")
    content = consumer_client.get("/complaints/").content.decode()
    assert "Our reply is late." in content
    assert "We will reply by" not in content


def test_withdrawn_complaint_says_so_with_the_date(
    consumer_client: Client, complaint: Complaint
) -> None:
    consumer_client.post(f"/complaints/{complaint.reference}/status/", {"status": "withdrawn"})
    complaint.refresh_from_db()
    content = consumer_client.get("/complaints/").content.decode()
    assert f"You withdrew this complaint on {in_words(complaint.closed_at)}." in content


def test_empty_list_invites_a_first_complaint(consumer_client: Client) -> None:
    content = consumer_client.get("/complaints/").content.decode()
    assert "You have no complaints with us." in content
    assert 'href="/complaints/new/"' in content
