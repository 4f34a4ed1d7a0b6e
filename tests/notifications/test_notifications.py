"""In-app notifications for staff: the right people, never a consumer, never another tenant."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client

from accounts.models import Role, User
from complaints.models import Complaint, Outcome, RootCause, Team
from complaints.services import (
    approve_resolution,
    assign_complaint,
    hand_back,
    refer_to_specialist,
    reject_resolution,
    reply_to_complaint,
    resolve_complaint,
    return_resolution,
    scan_deadlines,
)
from configuration.models import TenantSettings
from deadlines.models import Clock, Deadline
from notifications.models import Notification
from notifications.services import unread_count
from tenancy.models import Tenant
from tests.complaints.conftest import as_request_user
from tests.conftest import create_user, neighbour, sign_in, tenant_client

Kind = Notification.Kind
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def team_run_by(front_line: Team, manager: User) -> Team:
    front_line.manager = manager
    front_line.save(update_fields=["manager"])
    return front_line


@pytest.fixture
def colleague(make_user: Callable[..., User], front_line: Team) -> User:
    """A second agent of the same team, who is told nothing about the first agent's work."""
    user = make_user(Role.AGENT, "cory@example.com", full_name="Cory Colleague")
    front_line.members.add(user)
    return user


def told(kind: str | None = None) -> list[tuple[str, str]]:
    """(recipient e-mail, kind) of every notification, oldest first."""
    rows = Notification.objects.order_by("id")
    if kind is not None:
        rows = rows.filter(kind=kind)
    return list(rows.values_list("recipient__email", "kind"))


def assigned_to(complaint: Complaint, agent: User, manager: User) -> Complaint:
    assign_complaint(complaint, agent, actor=as_request_user(manager))
    return complaint


def test_manager_assigning_tells_the_agent_only(
    complaint: Complaint, agent: User, manager: User, colleague: User, consumer: User
) -> None:
    assigned_to(complaint, agent, manager)

    assert told() == [(agent.email, Kind.ASSIGNED)]
    note = Notification.objects.get()
    assert note.complaint == complaint
    assert note.text == f"{complaint.reference} is assigned to you: {complaint.subject}"


def test_claiming_for_oneself_tells_nobody(complaint: Complaint, agent: User) -> None:
    staff = as_request_user(agent)
    assign_complaint(complaint, staff, actor=staff)

    assert told() == []


def test_consumer_reply_tells_the_assignee_and_never_the_consumer(
    complaint: Complaint, agent: User, manager: User, consumer: User, colleague: User
) -> None:
    assigned_to(complaint, agent, manager)

    reply_to_complaint(complaint, "Any news?", actor=as_request_user(consumer))
    reply_to_complaint(complaint, "We are on it.", actor=as_request_user(agent))

    assert told(Kind.CONSUMER_REPLIED) == [(agent.email, Kind.CONSUMER_REPLIED)]
    assert not Notification.objects.filter(recipient__role=Role.CONSUMER).exists()


def test_a_consumer_rejecting_the_resolution_tells_the_assignee(
    complaint: Complaint, agent: User, manager: User, consumer: User
) -> None:
    assigned_to(complaint, agent, manager)
    resolve_complaint(
        complaint,
        outcome=Outcome.NOT_UPHELD,
        summary="The fee was in the tariff.",
        root_cause=RootCause.objects.create(name="Customer misunderstanding"),
        actor=as_request_user(agent),
    )

    reject_resolution(
        complaint, "The tariff I signed says otherwise.", actor=as_request_user(consumer)
    )

    assert told(Kind.CONSUMER_REPLIED) == [(agent.email, Kind.CONSUMER_REPLIED)]
    assert (
        "rejected the resolution"
        in Notification.objects.get(recipient=agent, kind=Kind.CONSUMER_REPLIED).text
    )
    assert not Notification.objects.filter(recipient__role=Role.CONSUMER).exists()


def test_resolution_for_approval_tells_the_team_manager_and_a_return_tells_the_agent(
    complaint: Complaint, agent: User, manager: User, team_run_by: Team
) -> None:
    policy = TenantSettings.current()
    policy.final_response_approval = True
    policy.save()
    cause = RootCause.objects.create(name="Process not followed")
    assigned_to(complaint, agent, manager)

    resolve_complaint(
        complaint,
        outcome=Outcome.UPHELD,
        summary="Refunded.",
        root_cause=cause,
        redress_amount=Decimal("10"),
        actor=as_request_user(agent),
    )
    proposal = complaint.open_proposal
    assert proposal is not None
    return_resolution(proposal, "Add the interest.", actor=as_request_user(manager))

    assert told(Kind.AWAITING_APPROVAL) == [(manager.email, Kind.AWAITING_APPROVAL)]
    assert told(Kind.RETURNED) == [(agent.email, Kind.RETURNED)]
    # Decided, the resolution no longer waits: its notification reads as done.
    waiting = Notification.objects.get(kind=Kind.AWAITING_APPROVAL)
    assert waiting.read_at is not None
    assert unread_count(manager) == 0


def test_an_approval_marks_the_awaiting_notification_read(
    complaint: Complaint, agent: User, manager: User, team_run_by: Team
) -> None:
    policy = TenantSettings.current()
    policy.final_response_approval = True
    policy.save()
    assigned_to(complaint, agent, manager)
    resolve_complaint(
        complaint,
        outcome=Outcome.UPHELD,
        summary="Refunded.",
        root_cause=RootCause.objects.create(name="Process not followed"),
        actor=as_request_user(agent),
    )
    assert unread_count(manager) == 1
    proposal = complaint.open_proposal
    assert proposal is not None

    approve_resolution(proposal, actor=as_request_user(manager))

    assert Notification.objects.get(kind=Kind.AWAITING_APPROVAL).read_at is not None
    assert unread_count(manager) == 0


def test_referral_tells_the_specialist_and_hand_back_tells_the_assignee(
    complaint: Complaint, agent: User, manager: User, specialist: User
) -> None:
    assigned_to(complaint, agent, manager)

    refer_to_specialist(complaint, specialist, "Check the ledger.", actor=as_request_user(agent))
    hand_back(complaint, "Ledger shows two debits.", actor=as_request_user(specialist))

    assert told(Kind.REFERRED) == [(specialist.email, Kind.REFERRED)]
    assert told(Kind.HANDED_BACK) == [(agent.email, Kind.HANDED_BACK)]


def test_deadline_scan_tells_assignee_and_team_manager_at_risk_then_breached(
    complaint: Complaint, agent: User, manager: User, team_run_by: Team, consumer: User
) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(assignee=agent)
    deadline = Deadline.objects.get(complaint=complaint, clock=Clock.FINAL_RESPONSE)

    scan_deadlines(deadline.due_at - timedelta(hours=1))
    scan_deadlines(deadline.due_at + timedelta(minutes=1))

    at_risk = sorted(told(Kind.AT_RISK))
    breached = sorted(told(Kind.BREACHED))
    assert at_risk == sorted([(agent.email, Kind.AT_RISK), (manager.email, Kind.AT_RISK)])
    assert breached == sorted([(agent.email, Kind.BREACHED), (manager.email, Kind.BREACHED)])
    assert consumer.email not in {email for email, _ in told()}


# --- the console ----------------------------------------------------------------------------


def test_header_shows_the_unread_count_and_the_page_lists_with_links(
    agent_client: Client, complaint: Complaint, agent: User, manager: User
) -> None:
    assigned_to(complaint, agent, manager)

    queue = agent_client.get("/console/").content.decode()
    page = agent_client.get("/console/notifications/").content.decode()

    assert 'id="notification-badge"' in queue
    assert '<span class="count-badge">1<span class="visually-hidden"> unread</span>' in queue
    assert f'href="/console/complaints/{complaint.reference}/"' in page
    assert "1 unread" in page


def test_mark_one_and_mark_all_read(
    agent_client: Client,
    make_complaint: Callable[..., Complaint],
    front_line: Team,
    agent: User,
    manager: User,
) -> None:
    for _ in range(3):
        made = make_complaint()
        Complaint.objects.filter(pk=made.pk).update(team=front_line)
        assigned_to(made, agent, manager)
    first = Notification.objects.order_by("id").first()
    assert first is not None
    assert unread_count(agent) == 3

    response = agent_client.post(f"/console/notifications/{first.pk}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    assert "2 unread" in response.content.decode()
    assert unread_count(agent) == 2

    response = agent_client.post("/console/notifications/read/")
    assert response.status_code == 302
    assert unread_count(agent) == 0
    assert "count-badge" not in agent_client.get("/console/").content.decode()


def test_another_persons_and_another_tenants_notification_is_a_404(
    agent_client: Client, complaint: Complaint, agent: User, manager: User, colleague: User
) -> None:
    assigned_to(complaint, colleague, manager)
    theirs = Notification.objects.get()

    telco = neighbour()
    connection.set_tenant(telco)
    telco_agent = create_user(Role.AGENT, "tara@example.com")
    telco_consumer = create_user(Role.CONSUMER, "tim@example.com")
    from complaints.services import submit_complaint

    telco_complaint = submit_complaint(
        consumer=telco_consumer, actor=telco_consumer, subject="Roaming", description="Fees."
    )
    foreign = Notification.objects.create(
        recipient=telco_agent, kind=Kind.ASSIGNED, complaint=telco_complaint, text="x"
    )
    connection.set_tenant(Tenant.objects.get(slug="bank"))

    assert agent_client.post(f"/console/notifications/{theirs.pk}/read/").status_code == 404
    assert agent_client.post(f"/console/notifications/{foreign.pk}/read/").status_code == 404
    assert agent_client.post(f"/console/notifications/{2**70}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_consumers_have_no_notifications_page(consumer_client: Client) -> None:
    assert consumer_client.get("/console/notifications/").status_code == 403
    assert consumer_client.post("/console/notifications/read/").status_code == 403


# session, user, OTP device, the page of notifications with their complaints, and the unread
# count (counted once, then cached for the header); the branding comes from the tenant's cache.
NOTIFICATION_PAGE_QUERIES = 5


def test_notification_page_query_count_does_not_grow_with_notifications(
    agent_client: Client,
    make_complaint: Callable[..., Complaint],
    front_line: Team,
    agent: User,
    manager: User,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    for _ in range(4):
        made = make_complaint()
        Complaint.objects.filter(pk=made.pk).update(team=front_line)
        assigned_to(made, agent, manager)
    agent_client.get("/console/notifications/")

    with django_assert_num_queries(NOTIFICATION_PAGE_QUERIES):
        response = agent_client.get("/console/notifications/")
    assert response.content.decode().count('class="card notification unread"') == 4


def test_a_second_agent_sees_only_their_own(
    bank: Tenant,
    complaint: Complaint,
    agent: User,
    manager: User,
    colleague: User,
) -> None:
    assigned_to(complaint, agent, manager)
    client = sign_in(tenant_client(bank), colleague)

    page = client.get("/console/notifications/").content.decode()

    assert complaint.reference not in page
    assert "Nothing unread." in page


# --- e-mail digests -------------------------------------------------------------------------


def test_bulk_assignment_sends_one_digest_and_one_notification_per_complaint(
    manager_client: Client,
    make_complaint: Callable[..., Complaint],
    front_line: Team,
    agent: User,
    colleague: User,
) -> None:
    from outbox.models import Message

    made = []
    for _ in range(3):
        complaint = make_complaint()
        Complaint.objects.filter(pk=complaint.pk).update(team=front_line)
        made.append(complaint)
    Message.objects.all().delete()  # the acknowledgements

    response = manager_client.post(
        "/console/bulk/",
        {"action": "assign", "assignee": agent.pk, "complaints": [c.reference for c in made]},
    )

    assert response.status_code == 302
    assert told(Kind.ASSIGNED) == [(agent.email, Kind.ASSIGNED)] * 3
    (mail,) = Message.objects.filter(recipient=agent.email)
    assert mail.subject == "3 updates on your complaints"
    assert all(c.reference in mail.body for c in made)
    assert not Message.objects.exclude(recipient=agent.email).exists()


def test_a_single_assignment_mails_as_before(
    complaint: Complaint, agent: User, manager: User
) -> None:
    from outbox.models import Message

    Message.objects.all().delete()
    assigned_to(complaint, agent, manager)

    (mail,) = Message.objects.all()
    assert mail.subject == f"{complaint.reference} is assigned to you"


def test_a_scan_that_escalates_several_complaints_sends_the_manager_one_escalation_digest(
    make_complaint: Callable[..., Complaint], front_line: Team, manager: User, team_run_by: Team
) -> None:
    from outbox.models import Message

    made = []
    for _ in range(2):
        complaint = make_complaint()
        Complaint.objects.filter(pk=complaint.pk).update(team=front_line)
        made.append(complaint)
    due = max(
        Deadline.objects.filter(complaint__in=made, clock=Clock.FINAL_RESPONSE).values_list(
            "due_at", flat=True
        )
    )
    Message.objects.all().delete()

    scan_deadlines(due + timedelta(minutes=1))

    subjects = sorted(
        Message.objects.filter(recipient=manager.email).values_list("subject", flat=True)
    )
    assert subjects == ["2 updates on your complaints", "Deadline alerts: 2 complaints"]
    assert told(Kind.BREACHED) == [(manager.email, Kind.BREACHED)] * 2
