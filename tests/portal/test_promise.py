"""The consumer hears one promised date: on the list, on the complaint page, after rejecting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from complaints.models import Complaint, Outcome, Priority, RootCause, Team
from complaints.services import reject_resolution, resolve_complaint
from deadlines.models import SlaPolicy
from outbox.models import Message
from tenancy.models import Tenant
from tests.complaints.conftest import as_request_user
from tests.conftest import sign_in, tenant_client

RECEIVED = datetime(2026, 11, 16, 9, tzinfo=UTC)  # a Monday
# Rejected on Friday 20 November at 10:00: 40 business hours from then end on
# Friday 27 November at 10:00 (five days of eight hours).
REJECTED = datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.fixture
def under_own_target(make_complaint: Callable[..., Complaint], front_line: Team) -> Complaint:
    """A complaint on the front line, received on Monday 16 November 2026 under the tenant's
    own 40-hour resolution target, which runs out long before the FCA's 8 weeks."""
    SlaPolicy.objects.create(priority=Priority.NORMAL, first_response_hours=4, resolution_hours=40)
    with time_machine.travel(RECEIVED + timedelta(hours=1), tick=False):
        complaint = make_complaint(received_at=RECEIVED)
        complaint.team = front_line
        complaint.save(update_fields=["team"])
    return complaint


@pytest.fixture
def resolve_then_reject(
    root_cause: RootCause, manager: User, consumer: User
) -> Callable[[Complaint], None]:
    """Resolves a complaint as not upheld on Tuesday 17 November; the consumer rejects the
    resolution at ``REJECTED``."""

    def run(complaint: Complaint) -> None:
        with time_machine.travel(datetime(2026, 11, 17, 10, tzinfo=UTC), tick=False):
            resolve_complaint(
                complaint,
                outcome=Outcome.NOT_UPHELD,
                summary="We found no error.",
                root_cause=root_cause,
                actor=as_request_user(manager),
            )
        with time_machine.travel(REJECTED, tick=False):
            reject_resolution(complaint, "You charged me twice.", actor=as_request_user(consumer))

    return run


def consumer_pages(client: Client, complaint: Complaint, at: datetime) -> tuple[str, str]:
    """The consumer's list of complaints and the complaint's page, as they read at ``at``."""
    with time_machine.travel(at, tick=False):
        listed = client.get("/complaints/").content.decode()
        page = client.get(f"/complaints/{complaint.reference}/").content.decode()
    return listed, page


def test_the_list_the_page_and_the_reopening_mail_promise_the_same_date(
    consumer_client: Client,
    under_own_target: Complaint,
    resolve_then_reject: Callable[[Complaint], None],
    consumer: User,
) -> None:
    complaint = under_own_target
    listed, page = consumer_pages(consumer_client, complaint, RECEIVED + timedelta(hours=1))

    # 16 November + 8 weeks = 11 January 2027: both say it, neither says the SLA date.
    assert "We will reply by <strong>11 January 2027</strong>" in listed
    assert "our final response by <strong>11 January 2027</strong>" in page
    assert "DISP 1.6.2R" in page

    resolve_then_reject(complaint)
    listed, page = consumer_pages(consumer_client, complaint, REJECTED)

    told = Message.objects.get(key__startswith="reopened:", recipient=consumer.email)
    assert "will reply by 27 November 2026" in told.body
    assert "We will reply by <strong>27 November 2026</strong>" in listed
    assert "We will reply by <strong>27 November 2026</strong>" in page


def test_after_a_rejection_the_console_shows_the_date_the_consumer_was_told(
    consumer_client: Client,
    agent_client: Client,
    under_own_target: Complaint,
    resolve_then_reject: Callable[[Complaint], None],
    consumer: User,
) -> None:
    complaint = under_own_target
    resolve_then_reject(complaint)
    _, page = consumer_pages(consumer_client, complaint, REJECTED)
    with time_machine.travel(REJECTED, tick=False):
        console = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()

    told = Message.objects.get(key__startswith="reopened:", recipient=consumer.email)
    panel = console[console.index('<div class="card deadlines">') :]
    panel = panel[: panel.index("<details")]
    assert "will reply by 27 November 2026" in told.body
    assert "We will reply by <strong>27 November 2026</strong>" in page
    assert "Consumer told: by <strong>27 Nov 2026</strong>" in panel
    # The deadline shown first is the one running, not the final response met before.
    assert "Due 27 Nov 2026" in panel
    assert "Final response" not in panel


def test_once_the_promised_date_has_passed_the_page_says_late_as_the_list_does(
    bank: Tenant, consumer: User, make_complaint: Callable[..., Complaint]
) -> None:
    with time_machine.travel(datetime(2026, 11, 16, 10, tzinfo=UTC), tick=False):
        complaint = make_complaint(received_at=datetime(2026, 11, 16, 9, tzinfo=UTC))
    with time_machine.travel(datetime(2027, 1, 20, 10, tzinfo=UTC), tick=False):
        consumer_client = sign_in(tenant_client(bank), consumer)
        listed = consumer_client.get("/complaints/").content.decode()
        page = consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()

    for said in (listed, page):
        assert "Our reply is late. We are sorry; we will reply as soon as we can." in said
    assert "by <strong>11 January 2027</strong>" not in page
