from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from complaints.models import Category, Complaint, Event, Status
from complaints.services import add_internal_note
from tenancy.models import Tenant
from tests.complaints.conftest import (
    as_request_user,
    put_in_status,
    references_in,
    snapshot,
)
from tests.conftest import credential_on

HTMX = {"HTTP_HX_REQUEST": "true"}
LOGIN = "/accounts/login/"


def test_consumer_submits_complaint_and_sees_it_on_their_timeline(
    consumer_client: Client, category
) -> None:
    response = consumer_client.post(
        "/complaints/new/",
        {"subject": "Card payment taken twice", "category": category.pk, "description": "Twice!"},
    )
    complaint = Complaint.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/complaints/{complaint.reference}/"
    assert list(complaint.events.values_list("kind", flat=True)) == [
        Event.Kind.SUBMITTED,
        Event.Kind.LETTER,
    ]
    page = consumer_client.get(response["Location"])
    assert page.status_code == 200
    assert b"Card payment taken twice" in page.content


def test_outsider_session_opens_no_bank_complaint_page(
    outsider_at_bank: Client, complaint: Complaint
) -> None:
    """The outsider's telco session, on the bank host, names the complaint's own consumer's id."""
    response = outsider_at_bank.get(f"/complaints/{complaint.reference}/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert complaint.subject.encode() not in response.content


# --- My complaints --------------------------------------------------------------------------


def test_consumer_list_shows_own_complaints_only(
    consumer_client: Client,
    make_complaint: Callable[..., Complaint],
    other_consumer: User,
) -> None:
    mine = make_complaint(subject="My broken card")
    theirs = make_complaint(owner=other_consumer, subject="Their lost cheque")

    response = consumer_client.get("/complaints/")

    assert response.status_code == 200
    assert references_in(response) == [mine.reference]
    assert b"My broken card" in response.content
    assert b"Their lost cheque" not in response.content
    assert theirs.reference.encode() not in response.content


def test_consumer_list_says_so_when_there_are_no_complaints(consumer_client: Client) -> None:
    response = consumer_client.get("/complaints/")
    assert response.status_code == 200
    assert b"You have no complaints with us." in response.content


def test_outsider_session_is_not_valid_on_the_bank_host(
    outsider_at_bank: Client, complaint: Complaint
) -> None:
    # Same id, e-mail and password as the bank's consumer, but the telco session means nothing.
    response = outsider_at_bank.get("/complaints/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert complaint.reference.encode() not in response.content


def test_staff_member_may_not_open_the_consumer_list(agent_client: Client) -> None:
    assert agent_client.get("/complaints/").status_code == 403


def test_unverified_staff_member_is_sent_to_the_second_factor_from_the_list(
    unverified_agent_client: Client,
) -> None:
    response = unverified_agent_client.get("/complaints/")
    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/?next=%2Fcomplaints%2F"


def test_anonymous_visitor_is_sent_to_sign_in_from_the_list(anonymous_client: Client) -> None:
    response = anonymous_client.get("/complaints/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/complaints/"


def next_link(response: object) -> str | None:
    """The "Older complaints" link of a list page, if it has one."""
    match = re.search(r'href="(\?after=[^"]+)"', response.content.decode())  # type: ignore[attr-defined]
    return match.group(1).replace("&amp;", "&") if match else None


def test_consumer_list_pages_by_keyset_cursor_newest_first(
    consumer_client: Client, make_complaint: Callable[..., Complaint]
) -> None:
    now = timezone.now()
    made = [make_complaint(received_at=now - timedelta(minutes=minutes)) for minutes in range(30)]
    newest_first = [complaint.reference for complaint in made]

    first = consumer_client.get("/complaints/")
    cursor = next_link(first)
    assert references_in(first) == newest_first[:25]
    assert cursor is not None

    with CaptureQueriesContext(connection) as queries:
        second = consumer_client.get(f"/complaints/{cursor}")
    assert references_in(second) == newest_first[25:]
    assert next_link(second) is None
    assert '<a class="button secondary" href="/complaints/">Newest complaints</a>' in (
        second.content.decode()
    )
    assert "Newest complaints" not in first.content.decode()
    assert not [query for query in queries if "OFFSET" in query["sql"].upper()]


def test_consumer_list_pages_complaints_received_at_the_same_moment_without_gaps(
    consumer_client: Client, make_complaint: Callable[..., Complaint]
) -> None:
    # Letters scanned in one batch share a received time; the id breaks the tie.
    moment = timezone.now() - timedelta(hours=1)
    made = [make_complaint(received_at=moment) for _ in range(27)]

    first = consumer_client.get("/complaints/")
    second = consumer_client.get(f"/complaints/{next_link(first)}")

    seen = references_in(first) + references_in(second)
    assert len(references_in(first)) == 25
    assert sorted(seen) == sorted(complaint.reference for complaint in made)
    assert len(set(seen)) == 27


def test_consumer_list_starts_over_on_an_unreadable_cursor(
    consumer_client: Client, make_complaint: Callable[..., Complaint]
) -> None:
    made = make_complaint()
    response = consumer_client.get("/complaints/?after=not-a-cursor")
    assert response.status_code == 200
    assert references_in(response) == [made.reference]


def test_consumer_list_query_count_does_not_grow_with_complaints(
    consumer_client: Client,
    make_complaint: Callable[..., Complaint],
    category: Category,
    django_assert_num_queries: Callable[..., object],
) -> None:
    for _ in range(30):
        make_complaint(category=category)
    consumer_client.get("/complaints/")  # the tenant lookup is cached from here on

    # search_path, session, user, and one for the page of complaints with their categories
    # joined; the tenant's branding comes from its cache. The menu's permission checks ask the
    # rules alone.
    with django_assert_num_queries(4):  # type: ignore[operator]
        response = consumer_client.get("/complaints/")
    assert response.status_code == 200
    assert len(references_in(response)) == 25
    assert str(category).encode() in response.content


# --- New complaint --------------------------------------------------------------------------


def test_new_complaint_form_is_shown_to_a_consumer(consumer_client: Client) -> None:
    response = consumer_client.get("/complaints/new/")
    assert response.status_code == 200
    assert b'name="subject"' in response.content


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"subject": ""}, "Please give your complaint a short summary."),
        ({"subject": "    "}, "Please give your complaint a short summary."),
        ({"description": ""}, "Please tell us what happened."),
        ({"subject": "x" * 201}, "Ensure this value has at most 200 characters (it has 201)."),
        (
            {"description": "x" * 20_001},
            "Ensure this value has at most 20000 characters (it has 20001).",
        ),
        (
            {"category": "999999"},
            "Select a valid choice. That choice is not one of the available choices.",
        ),
        (
            {"category": "fees"},
            "Select a valid choice. That choice is not one of the available choices.",
        ),
    ],
    ids=[
        "empty-subject",
        "blank-subject",
        "empty-description",
        "long-subject",
        "long-description",
        "unknown-category",
        "garbage-category",
    ],
)
def test_new_complaint_with_bad_input_shows_a_clear_error_and_creates_nothing(
    consumer_client: Client, changes: dict[str, str], error: str
) -> None:
    data = {"subject": "Card payment taken twice", "description": "It left twice."} | changes

    response = consumer_client.post("/complaints/new/", data)

    assert response.status_code == 200
    assert error in response.content.decode()
    assert b'class="field has-error"' in response.content
    assert not Complaint.objects.exists()


def test_new_complaint_with_an_inactive_category_is_refused(
    consumer_client: Client, category: Category
) -> None:
    category.is_active = False
    category.save(update_fields=["is_active"])
    response = consumer_client.post(
        "/complaints/new/",
        {"subject": "Fees", "description": "Charged twice.", "category": category.pk},
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert not Complaint.objects.exists()


def test_new_complaint_accepts_the_longest_subject_and_description(
    consumer_client: Client,
) -> None:
    response = consumer_client.post(
        "/complaints/new/", {"subject": "s" * 200, "description": "d" * 20_000}
    )
    assert response.status_code == 302
    assert Complaint.objects.get().subject == "s" * 200


@pytest.mark.parametrize("method", ["get", "post"])
def test_staff_member_may_not_use_the_new_complaint_form(agent_client: Client, method: str) -> None:
    response = getattr(agent_client, method)(
        "/complaints/new/", {"subject": "S", "description": "D"}
    )
    assert response.status_code == 403
    assert not Complaint.objects.exists()


def test_anonymous_visitor_cannot_submit_a_complaint(anonymous_client: Client) -> None:
    response = anonymous_client.post("/complaints/new/", {"subject": "S", "description": "D"})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not Complaint.objects.exists()


def test_outsider_cannot_file_a_complaint_under_a_bank_category(
    outsider_at_bank: Client,
    category: Category,
    telco: Tenant,
    back_to_bank: Callable[[], Tenant],
    activate: Callable[[Tenant], Tenant],
) -> None:
    response = outsider_at_bank.post(
        "/complaints/new/",
        {"subject": "Fees", "description": "Charged twice.", "category": category.pk},
    )
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    activate(telco)
    assert not Complaint.objects.exists()
    back_to_bank()
    assert not Complaint.objects.exists()


# --- Complaint page -------------------------------------------------------------------------


@pytest.fixture
def noted(complaint: Complaint, agent: User) -> Complaint:
    """``complaint`` with an internal note the consumer must never read."""
    add_internal_note(
        complaint, "Consumer is on the fraud watch list.", actor=as_request_user(agent)
    )
    return complaint


def test_consumer_sees_their_complaint_and_timeline(
    consumer_client: Client, complaint: Complaint
) -> None:
    response = consumer_client.get(f"/complaints/{complaint.reference}/")
    assert response.status_code == 200
    content = response.content.decode()
    assert complaint.subject in content
    assert complaint.description in content
    assert "Complaint received" in content
    assert 'id="workspace"' in content


def test_consumer_page_does_not_show_internal_notes(
    consumer_client: Client, agent_client: Client, noted: Complaint
) -> None:
    url = f"/complaints/{noted.reference}/"
    page = consumer_client.get(url)
    partial = consumer_client.get(url, **HTMX)

    assert page.status_code == partial.status_code == 200
    assert b"Complaint received" in page.content
    assert b"Complaint received" in partial.content
    for response in (page, partial):
        assert b"fraud watch list" not in response.content
        assert b"Internal note" not in response.content
    # The note is there for staff: the consumer's page hides it, the data has it.
    console = agent_client.get(f"/console/complaints/{noted.reference}/")
    assert b"fraud watch list" in console.content


def test_consumer_page_htmx_request_gets_only_the_workspace(
    consumer_client: Client, complaint: Complaint
) -> None:
    response = consumer_client.get(f"/complaints/{complaint.reference}/", **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="workspace">')
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]


def test_another_consumer_gets_404_for_a_complaint(
    other_consumer_client: Client, complaint: Complaint
) -> None:
    assert other_consumer_client.get(f"/complaints/{complaint.reference}/").status_code == 404


def test_unknown_reference_is_404(consumer_client: Client) -> None:
    assert consumer_client.get("/complaints/C-2020-999999/").status_code == 404


def test_outsider_with_the_same_reference_in_their_tenant_gets_only_their_own_complaint(
    outsider_client: Client,
    outsider: User,
    bank: Tenant,
    complaint: Complaint,
    telco: Tenant,
    back_to_bank: Callable[[], Tenant],
    activate: Callable[[Tenant], Tenant],
) -> None:
    activate(telco)
    theirs = Complaint.objects.create(
        reference=complaint.reference, consumer=outsider, subject="Telco own", description="D"
    )
    back_to_bank()
    at_home = outsider_client.get(f"/complaints/{complaint.reference}/")
    at_bank = credential_on(outsider_client, bank).get(f"/complaints/{complaint.reference}/")
    assert at_home.status_code == 200
    assert theirs.subject.encode() in at_home.content
    assert complaint.subject.encode() not in at_home.content
    assert at_bank.status_code == 302
    assert at_bank["Location"].startswith(LOGIN)
    assert complaint.subject.encode() not in at_bank.content


@pytest.mark.parametrize("client_name", ["agent_client", "manager_client"])
def test_staff_visiting_the_portal_page_are_sent_to_the_console_page(
    request: pytest.FixtureRequest, complaint: Complaint, client_name: str
) -> None:
    client: Client = request.getfixturevalue(client_name)
    response = client.get(f"/complaints/{complaint.reference}/")
    assert response.status_code == 302
    assert response["Location"] == f"/console/complaints/{complaint.reference}/"


def test_agent_of_another_team_gets_404_on_the_portal_page(
    other_agent_client: Client, complaint: Complaint
) -> None:
    assert other_agent_client.get(f"/complaints/{complaint.reference}/").status_code == 404


def test_unverified_agent_is_sent_to_the_second_factor_from_a_complaint(
    unverified_agent_client: Client, complaint: Complaint
) -> None:
    response = unverified_agent_client.get(f"/complaints/{complaint.reference}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/?next=")


def test_anonymous_visitor_is_sent_to_sign_in_from_a_complaint(
    anonymous_client: Client, complaint: Complaint
) -> None:
    response = anonymous_client.get(f"/complaints/{complaint.reference}/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/complaints/{complaint.reference}/"


def test_expired_session_on_an_htmx_request_redirects_the_whole_page(
    anonymous_client: Client, complaint: Complaint
) -> None:
    response = anonymous_client.get(f"/complaints/{complaint.reference}/", **HTMX)
    assert response["HX-Redirect"] == f"{LOGIN}?next=/complaints/{complaint.reference}/"


# --- Replying -------------------------------------------------------------------------------


def test_consumer_reply_by_normal_post_redirects_to_the_complaint(
    consumer_client: Client, complaint: Complaint, consumer: User
) -> None:
    response = consumer_client.post(
        f"/complaints/{complaint.reference}/reply/", {"body": "Any news on my refund?"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/complaints/{complaint.reference}/"
    reply = complaint.events.get(kind=Event.Kind.REPLY)
    assert (reply.body, reply.actor_id, reply.is_internal) == (
        "Any news on my refund?",
        consumer.pk,
        False,
    )
    page = consumer_client.get(response["Location"])
    assert page.content.count(b"Your reply was sent.") == 1
    assert b"Any news on my refund?" in page.content


def test_consumer_reply_by_htmx_returns_the_updated_workspace(
    consumer_client: Client, complaint: Complaint
) -> None:
    put_in_status(complaint, Status.AWAITING_CONSUMER)
    response = consumer_client.post(
        f"/complaints/{complaint.reference}/reply/", {"body": "Statement attached."}, **HTMX
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="workspace">')
    assert "<html" not in content
    assert "Statement attached." in content
    assert "Awaiting consumer → Open" in content
    assert content.count("Your reply was sent.") == 1
    complaint.refresh_from_db()
    assert complaint.status == Status.OPEN


def test_consumer_htmx_reply_does_not_reveal_internal_notes(
    consumer_client: Client, noted: Complaint
) -> None:
    response = consumer_client.post(
        f"/complaints/{noted.reference}/reply/", {"body": "Hello again."}, **HTMX
    )
    assert response.status_code == 200
    assert b"Hello again." in response.content
    assert b"fraud watch list" not in response.content


@pytest.mark.parametrize("body", ["", "   "])
def test_empty_consumer_reply_shows_an_error_and_sends_nothing(
    consumer_client: Client, complaint: Complaint, body: str
) -> None:
    before = snapshot(complaint)
    response = consumer_client.post(f"/complaints/{complaint.reference}/reply/", {"body": body})
    assert response.status_code == 200
    assert b"Write a message before sending." in response.content
    assert snapshot(complaint) == before


def test_reply_to_a_withdrawn_complaint_shows_why_it_was_refused(
    consumer_client: Client, complaint: Complaint
) -> None:
    put_in_status(complaint, Status.WITHDRAWN)
    before = snapshot(complaint)
    response = consumer_client.post(
        f"/complaints/{complaint.reference}/reply/", {"body": "One more thing"}
    )
    assert response.status_code == 200
    assert "This complaint is withdrawn; it no longer takes replies." in response.content.decode()
    assert snapshot(complaint) == before


@pytest.mark.parametrize(
    ("client_name", "status_code"),
    [
        ("other_consumer_client", 404),
        ("outsider_at_bank", 302),  # the outsider's own telco session, on the bank host
    ],
)
def test_reply_from_someone_else_is_refused_and_sends_nothing(
    request: pytest.FixtureRequest,
    complaint: Complaint,
    back_to_bank: Callable[[], Tenant],
    client_name: str,
    status_code: int,
) -> None:
    client: Client = request.getfixturevalue(client_name)
    before = snapshot(complaint)
    response = client.post(f"/complaints/{complaint.reference}/reply/", {"body": "Hijack"})
    back_to_bank()
    assert response.status_code == status_code
    assert snapshot(complaint) == before


def test_reply_from_an_agent_of_another_team_is_404(
    other_agent_client: Client, complaint: Complaint
) -> None:
    before = snapshot(complaint)
    response = other_agent_client.post(
        f"/complaints/{complaint.reference}/reply/", {"body": "Hijack"}
    )
    assert response.status_code == 404
    assert snapshot(complaint) == before


def test_anonymous_reply_is_sent_to_sign_in(anonymous_client: Client, complaint: Complaint) -> None:
    before = snapshot(complaint)
    response = anonymous_client.post(f"/complaints/{complaint.reference}/reply/", {"body": "Hi"})
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert snapshot(complaint) == before


def test_reply_url_refuses_get(consumer_client: Client, complaint: Complaint) -> None:
    assert consumer_client.get(f"/complaints/{complaint.reference}/reply/").status_code == 405


# --- Status changes from the portal ---------------------------------------------------------


def test_consumer_withdraws_their_complaint(consumer_client: Client, complaint: Complaint) -> None:
    before = snapshot(complaint)
    response = consumer_client.post(
        f"/complaints/{complaint.reference}/status/", {"status": "withdrawn"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/complaints/{complaint.reference}/"
    complaint.refresh_from_db()
    assert complaint.status == Status.WITHDRAWN
    event = complaint.events.exclude(pk__in=before["events"]).get()
    assert (event.kind, event.from_status, event.to_status) == (
        Event.Kind.STATUS_CHANGED,
        Status.NEW,
        Status.WITHDRAWN,
    )
    page = consumer_client.get(response["Location"])
    assert page.content.count(b"Status changed to Withdrawn.") == 1
    assert b"Send reply" not in page.content


def test_consumer_withdraws_by_htmx_and_gets_the_workspace(
    consumer_client: Client, complaint: Complaint
) -> None:
    response = consumer_client.post(
        f"/complaints/{complaint.reference}/status/", {"status": "withdrawn"}, **HTMX
    )
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<div id="workspace">')
    assert b"<html" not in response.content
    assert b"New \xe2\x86\x92 Withdrawn" in response.content
    complaint.refresh_from_db()
    assert complaint.status == Status.WITHDRAWN


def test_consumer_page_offers_withdrawal_but_not_staff_moves(
    consumer_client: Client, complaint: Complaint
) -> None:
    content = consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()
    assert 'value="withdrawn"' in content
    assert 'value="resolved"' not in content
    assert 'value="open"' not in content


def test_consumer_trying_to_resolve_gets_a_readable_error_and_nothing_changes(
    consumer_client: Client, complaint: Complaint
) -> None:
    before = snapshot(complaint)
    response = consumer_client.post(
        f"/complaints/{complaint.reference}/status/", {"status": "resolved"}
    )
    assert response.status_code == 200
    assert "You may not move this complaint from new to resolved." in response.content.decode()
    assert snapshot(complaint) == before


def test_consumer_posting_an_unknown_status_gets_a_readable_error(
    consumer_client: Client, complaint: Complaint
) -> None:
    before = snapshot(complaint)
    response = consumer_client.post(
        f"/complaints/{complaint.reference}/status/", {"status": "deleted"}
    )
    assert response.status_code == 200
    assert "Select a valid choice. deleted is not one of the available choices." in (
        response.content.decode()
    )
    assert snapshot(complaint) == before


def test_consumer_trying_to_reopen_a_closed_complaint_is_refused(
    consumer_client: Client, complaint: Complaint
) -> None:
    put_in_status(complaint, Status.CLOSED)
    before = snapshot(complaint)
    response = consumer_client.post(
        f"/complaints/{complaint.reference}/status/", {"status": "reopened"}
    )
    assert response.status_code == 200
    # Only a manager may reopen a closed complaint.
    assert "You may not move this complaint from closed to reopened." in response.content.decode()
    assert snapshot(complaint) == before


@pytest.mark.parametrize(
    ("client_name", "status_code"),
    [
        ("other_consumer_client", 404),
        ("outsider_at_bank", 302),  # the outsider's own telco session, on the bank host
    ],
)
def test_withdrawal_by_someone_else_is_refused_and_changes_nothing(
    request: pytest.FixtureRequest,
    complaint: Complaint,
    back_to_bank: Callable[[], Tenant],
    client_name: str,
    status_code: int,
) -> None:
    client: Client = request.getfixturevalue(client_name)
    before = snapshot(complaint)
    response = client.post(f"/complaints/{complaint.reference}/status/", {"status": "withdrawn"})
    back_to_bank()
    assert response.status_code == status_code
    assert snapshot(complaint) == before


def test_agent_may_not_withdraw_for_the_consumer(
    agent_client: Client, complaint: Complaint
) -> None:
    before = snapshot(complaint)
    response = agent_client.post(
        f"/complaints/{complaint.reference}/status/", {"status": "withdrawn"}
    )
    assert response.status_code == 200
    assert "You may not move this complaint from new to withdrawn." in response.content.decode()
    assert snapshot(complaint) == before
