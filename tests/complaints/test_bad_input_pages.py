"""Bad input on pages gets a clear answer and changes nothing; never a server error."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.http import HttpResponse
from django.test import Client

from accounts.models import User
from complaints.models import Complaint, Event, Status, Team
from complaints.services import refer_to_specialist
from tenancy.models import Tenant

NUL = "%00"


@pytest.mark.parametrize(
    ("client_name", "method", "path"),
    [
        ("consumer_client", "get", f"/complaints/{NUL}/"),
        ("consumer_client", "get", f"/complaints/{NUL}/files/1/"),
        ("consumer_client", "post", f"/complaints/{NUL}/reply/"),
        ("agent_client", "get", f"/console/complaints/{NUL}/"),
        ("agent_client", "get", f"/console/complaints/{NUL}/presence/"),
        ("agent_client", "get", f"/console/complaints/{NUL}/canned/?canned=1"),
        ("agent_client", "post", f"/console/complaints/{NUL}/claim/"),
        ("agent_client", "get", "/console/complaints/C-2026-" + "9" * 5000 + "/"),
    ],
)
def test_a_reference_that_is_not_one_is_a_404_before_any_query(
    request: pytest.FixtureRequest, client_name: str, method: str, path: str
) -> None:
    client: Client = request.getfixturevalue(client_name)

    assert getattr(client, method)(path).status_code == 404


@pytest.mark.parametrize(
    ("client_name", "path"),
    [
        ("agent_client", "/console/?received_to=9999-12-31"),
        ("agent_client", "/console/?received_from=0001-01-01"),
        ("manager_client", "/dashboard/?date_from=9998-06-01&date_to=9999-12-31"),
        (
            "manager_client",
            "/dashboard/return/?period=custom&date_from=0001-01-01&date_to=0001-06-01",
        ),
        ("admin_client", "/settings/audit/?until=9999-12-31"),
        ("admin_client", "/settings/audit/export.csv?until=9999-12-31"),
        ("admin_client", f"/settings/staff/?q={NUL}"),
        ("agent_client", f"/console/?q={NUL}"),
    ],
)
def test_far_dates_and_nul_bytes_in_filters_are_answered_not_crashed_on(
    request: pytest.FixtureRequest, client_name: str, path: str
) -> None:
    client: Client = request.getfixturevalue(client_name)

    response = client.get(path)

    assert response.status_code in (200, 400)
    if response.streaming:
        b"".join(response.streaming_content)  # the whole download is produced without error
    elif "9999" in path or "0001" in path:
        assert "between 2000 and 2099" in response.content.decode()


def test_a_nul_in_a_bulk_selection_is_refused_with_a_message(
    agent_client: Client, complaint: Complaint
) -> None:
    response = agent_client.post(
        "/console/bulk/", {"action": "claim", "complaints": ["C-2026\x00"]}, follow=True
    )

    assert response.status_code == 200
    assert Complaint.objects.get(pk=complaint.pk).assignee_id is None


def test_a_live_complaint_is_not_merged_into_a_closed_one(
    manager_client: Client, complaint: Complaint, make_complaint: Callable[..., Complaint]
) -> None:
    closed = make_complaint(subject="Old complaint")
    Complaint.objects.filter(pk=closed.pk).update(status=Status.CLOSED)

    response = manager_client.post(
        f"/console/complaints/{complaint.reference}/merge/", {"target": closed.reference}
    )

    assert f"{closed.reference} is closed" in response.content.decode()
    row = Complaint.objects.get(pk=complaint.pk)
    assert (row.status, row.merged_into_id) == (Status.NEW, None)


@pytest.mark.parametrize("htmx", [False, True])
def test_a_specialist_handing_back_lands_on_the_queue_with_the_confirmation(
    specialist_client: Client,
    complaint: Complaint,
    specialist: User,
    manager: User,
    htmx: bool,
) -> None:
    refer_to_specialist(complaint, specialist, "Please check the ledger.", actor=manager)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}

    response = specialist_client.post(
        f"/console/complaints/{complaint.reference}/hand_back/",
        {"findings": "Two debits, one reversed."},
        **headers,
    )

    target = response["HX-Redirect"] if htmx else response["Location"]
    assert target == "/console/"
    assert complaint.events.filter(kind=Event.Kind.HANDED_BACK).count() == 1
    queue = specialist_client.get("/console/").content.decode()
    assert "Handed back" in queue or "handed back" in queue


def test_an_agent_moving_a_complaint_out_of_their_teams_is_taken_to_the_queue(
    agent_client: Client, complaint: Complaint, other_team: Team
) -> None:
    response = agent_client.post(
        f"/console/complaints/{complaint.reference}/team/", {"team": other_team.pk}
    )

    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert Complaint.objects.get(pk=complaint.pk).team_id == other_team.pk
    queue = agent_client.get(response["Location"]).content.decode()
    assert f"Moved to another queue. {complaint.reference} is no longer in your queues." in queue


CSRF_TOKEN = re.compile(r'"X-CSRFToken": "[^"]*"|name="csrfmiddlewaretoken" value="[^"]*"')
MOVED_AWAY = "It may have moved out of your queues"


def not_found_page(response: HttpResponse) -> str:
    """A 404 page's text without its per-render CSRF tokens, to compare two of them."""
    assert response.status_code == 404
    return CSRF_TOKEN.sub("", response.content.decode())


def test_going_back_to_a_complaint_handed_back_says_it_left_the_queues_and_links_to_them(
    specialist_client: Client, complaint: Complaint, specialist: User, manager: User
) -> None:
    refer_to_specialist(complaint, specialist, "Please check the ledger.", actor=manager)
    page = f"/console/complaints/{complaint.reference}/"
    hand_back = f"{page}hand_back/"
    specialist_client.post(hand_back, {"findings": "Two debits, one reversed."})

    back = not_found_page(specialist_client.get(page))
    resent = not_found_page(specialist_client.post(hand_back, {"findings": "Again."}))

    assert MOVED_AWAY in back
    assert '<a href="/console/">Back to the queue</a>' in back
    assert MOVED_AWAY in resent
    assert complaint.events.filter(kind=Event.Kind.HANDED_BACK).count() == 1


def test_an_agent_going_back_to_a_complaint_moved_to_another_team_gets_the_helpful_404(
    agent_client: Client, complaint: Complaint, other_team: Team
) -> None:
    page = f"/console/complaints/{complaint.reference}/"
    agent_client.post(f"{page}team/", {"team": other_team.pk})

    back = not_found_page(agent_client.get(page))

    assert MOVED_AWAY in back
    assert '<a href="/console/">Back to the queue</a>' in back


def test_the_helpful_404_is_the_same_for_a_hidden_complaint_and_a_reference_never_used(
    agent_client: Client, complaint: Complaint, other_team: Team
) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(team=other_team)

    hidden = not_found_page(agent_client.get(f"/console/complaints/{complaint.reference}/"))
    unused = not_found_page(agent_client.get("/console/complaints/C-2026-999999/"))

    assert hidden == unused
    assert complaint.reference not in hidden


def test_a_staff_member_of_another_tenant_learns_nothing_of_a_reference_here(
    bank: Tenant,
    complaint: Complaint,
    outsider_manager_client: Client,
    outsider_manager_at_bank: Client,
) -> None:
    # On their own tenant, a bank reference is as unknown as one never used anywhere.
    theirs = not_found_page(
        outsider_manager_client.get(f"/console/complaints/{complaint.reference}/")
    )
    unused = not_found_page(outsider_manager_client.get("/console/complaints/C-2026-999999/"))
    # Their session presented to the bank's host does not sign them in there.
    at_bank = outsider_manager_at_bank.get(f"/console/complaints/{complaint.reference}/")

    assert theirs == unused
    assert at_bank.status_code in (302, 404)
    assert MOVED_AWAY not in at_bank.content.decode()


def test_a_consumer_gets_the_plain_404_without_the_console_link(
    consumer_client: Client, complaint: Complaint, other_consumer: User
) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(consumer=other_consumer)

    page = not_found_page(consumer_client.get(f"/complaints/{complaint.reference}/"))

    assert MOVED_AWAY not in page
    assert "/console/" not in page


def test_an_invalid_form_of_an_action_the_page_no_longer_shows_still_says_why(
    consumer_client: Client, complaint: Complaint
) -> None:
    # A new complaint has no resolution to reject: the page carries no rejection form.
    response = consumer_client.post(
        f"/complaints/{complaint.reference}/reject/", {"reason": ""}, HTTP_HX_REQUEST="true"
    )

    assert "This field is required." in response.content.decode()
    assert Complaint.objects.get(pk=complaint.pk).status == Status.NEW
