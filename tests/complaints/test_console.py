"""The agent console: who reaches it, whose complaints each role sees, and the changes made there."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from complaints.models import Category, Complaint, Event, Status, Team
from complaints.services import add_internal_note, reply_to_complaint
from complaints.views import TIMELINE_SHOWN
from tenancy.models import Tenant
from tests.complaints.conftest import as_request_user, put_in_status, references_in, snapshot

HTMX = {"HTTP_HX_REQUEST": "true"}
LOGIN = "/accounts/login/"
TWO_FACTOR = "/account/two-factor/"
NOTE_TEXT = "Consumer is on the fraud watch list."


def place(
    complaint: Complaint,
    *,
    team: Team | None = None,
    assignee: User | None = None,
    specialist: User | None = None,
) -> Complaint:
    """Test set-up: route a complaint to a team, an assignee and a specialist."""
    complaint.team, complaint.assignee, complaint.specialist = team, assignee, specialist
    complaint.save(update_fields=["team", "assignee", "specialist"])
    return complaint


@pytest.fixture
def queues(
    make_complaint: Callable[..., Complaint],
    front_line: Team,
    other_team: Team,
    agent: User,
    specialist: User,
) -> dict[str, Complaint]:
    """One complaint in each place a queue might draw from, oldest first."""
    now = timezone.now()

    def made(name: str, minutes_ago: int, **where: Any) -> Complaint:
        complaint = make_complaint(
            subject=f"Subject {name}", received_at=now - timedelta(minutes=minutes_ago)
        )
        return place(complaint, **where)

    complaints = {
        "front_line": made("front_line", 60, team=front_line),
        "front_line_mine": made("front_line_mine", 50, team=front_line, assignee=agent),
        "unrouted": made("unrouted", 40),
        "other_team": made("other_team", 30, team=other_team),
        "other_team_mine": made("other_team_mine", 20, team=other_team, assignee=agent),
        "referred": made("referred", 10, team=other_team, specialist=specialist),
        "front_line_closed": made("front_line_closed", 5, team=front_line),
    }
    put_in_status(complaints["front_line_mine"], Status.OPEN)
    put_in_status(complaints["front_line_closed"], Status.CLOSED)
    return complaints


def shown(response: Any, queues: dict[str, Complaint]) -> list[str]:
    """The names of the ``queues`` complaints a queue page lists, in page order."""
    by_reference = {complaint.reference: name for name, complaint in queues.items()}
    return [by_reference[reference] for reference in references_in(response)]


# --- Who reaches the console ----------------------------------------------------------------


@pytest.mark.parametrize(
    "client_name", ["agent_client", "specialist_client", "manager_client", "admin_client"]
)
def test_verified_staff_reach_the_console(request: pytest.FixtureRequest, client_name: str) -> None:
    client: Client = request.getfixturevalue(client_name)
    response = client.get("/console/")
    assert response.status_code == 200
    assert b"<h1>Queue</h1>" in response.content


def test_unverified_agent_is_sent_to_the_second_factor(unverified_agent_client: Client) -> None:
    response = unverified_agent_client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == f"{TWO_FACTOR}?next=%2Fconsole%2F"


def test_unverified_agent_on_htmx_is_sent_to_the_second_factor_as_a_full_page(
    unverified_agent_client: Client,
) -> None:
    response = unverified_agent_client.get("/console/", **HTMX)
    assert response["HX-Redirect"] == f"{TWO_FACTOR}?next=%2Fconsole%2F"


def test_consumer_may_not_use_the_console(consumer_client: Client) -> None:
    assert consumer_client.get("/console/").status_code == 403


def test_outsider_may_not_use_the_console(outsider_client: Client) -> None:
    assert outsider_client.get("/console/").status_code == 403


def test_outsider_session_counts_for_nothing_on_the_bank_console(
    outsider_manager_at_bank: Client, complaint: Complaint
) -> None:
    """A telco manager, twin of the bank's manager in every key, is a stranger at the bank."""
    response = outsider_manager_at_bank.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/console/"
    assert complaint.reference.encode() not in response.content


def test_anonymous_visitor_is_sent_to_sign_in_from_the_console(anonymous_client: Client) -> None:
    response = anonymous_client.get("/console/")
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/console/"


@pytest.mark.parametrize(
    ("client_name", "target"),
    [
        ("agent_client", "/console/"),
        ("manager_client", "/console/"),
        ("consumer_client", "/complaints/"),
        ("outsider_client", "/complaints/"),  # a consumer at home in their own tenant
        ("unverified_agent_client", f"{TWO_FACTOR}?next=%2F"),
    ],
)
def test_home_sends_each_role_to_their_start_page(
    request: pytest.FixtureRequest, client_name: str, target: str
) -> None:
    client: Client = request.getfixturevalue(client_name)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == target


# --- Whose complaints each role sees --------------------------------------------------------


def test_agent_sees_their_teams_and_unrouted_complaints_but_not_another_teams(
    agent_client: Client, queues: dict[str, Complaint]
) -> None:
    response = agent_client.get("/console/")
    assert shown(response, queues) == [
        "front_line",
        "front_line_mine",
        "unrouted",
        "other_team_mine",
    ]


def test_agent_of_another_team_sees_that_team_and_unrouted_complaints(
    other_agent_client: Client, queues: dict[str, Complaint]
) -> None:
    response = other_agent_client.get("/console/")
    assert shown(response, queues) == ["unrouted", "other_team", "other_team_mine", "referred"]


def test_specialist_sees_only_complaints_referred_to_them(
    specialist_client: Client, queues: dict[str, Complaint]
) -> None:
    response = specialist_client.get("/console/")
    assert shown(response, queues) == ["referred"]


def test_specialist_without_referrals_sees_an_empty_queue(
    specialist_client: Client, complaint: Complaint
) -> None:
    response = specialist_client.get("/console/")
    assert references_in(response) == []
    assert b"Nothing in this queue." in response.content


def test_manager_sees_every_active_complaint(
    manager_client: Client, queues: dict[str, Complaint]
) -> None:
    response = manager_client.get("/console/")
    assert shown(response, queues) == [
        "front_line",
        "front_line_mine",
        "unrouted",
        "other_team",
        "other_team_mine",
        "referred",
    ]


def test_queue_view_mine_lists_complaints_assigned_to_the_agent(
    agent_client: Client, queues: dict[str, Complaint]
) -> None:
    response = agent_client.get("/console/?view=mine")
    assert shown(response, queues) == ["front_line_mine", "other_team_mine"]
    assert b'href="?view=mine" aria-current="page"' in response.content


def test_queue_view_unassigned_lists_visible_complaints_without_an_assignee(
    agent_client: Client, queues: dict[str, Complaint]
) -> None:
    response = agent_client.get("/console/?view=unassigned")
    assert shown(response, queues) == ["front_line", "unrouted"]


def test_queue_filters_by_status(agent_client: Client, queues: dict[str, Complaint]) -> None:
    assert shown(agent_client.get("/console/?status=open"), queues) == ["front_line_mine"]
    assert shown(agent_client.get("/console/?status=new"), queues) == [
        "front_line",
        "unrouted",
        "other_team_mine",
    ]


def test_queue_combines_view_and_status_filters(
    agent_client: Client, queues: dict[str, Complaint]
) -> None:
    response = agent_client.get("/console/?view=mine&status=new")
    assert shown(response, queues) == ["other_team_mine"]


def test_queue_shows_the_teams_queue_for_an_unknown_view_and_nothing_for_an_unknown_status(
    agent_client: Client, queues: dict[str, Complaint]
) -> None:
    everything = shown(agent_client.get("/console/"), queues)
    bogus_status = agent_client.get("/console/?status=bogus")

    assert shown(agent_client.get("/console/?view=everyone"), queues) == everything
    assert len(everything) == 4
    assert shown(bogus_status, queues) == []
    assert "Status: Select a valid choice." in bogus_status.content.decode()


def test_queue_pages_by_keyset_cursor_oldest_first_keeping_the_filters(
    agent_client: Client, make_complaint: Callable[..., Complaint]
) -> None:
    now = timezone.now()
    made = [make_complaint(received_at=now - timedelta(minutes=minutes)) for minutes in range(30)]
    oldest_first = [complaint.reference for complaint in reversed(made)]

    first = agent_client.get("/console/?view=unassigned&status=new")
    assert references_in(first) == oldest_first[:25]
    link = first.content.decode().split('">Next page</a>')[0].rsplit('href="', 1)[1]
    assert link.startswith("?view=unassigned&amp;status=new&amp;after=")

    second = agent_client.get(f"/console/{link.replace('&amp;', '&')}")
    assert references_in(second) == oldest_first[25:]
    assert b"Next page" not in second.content


@pytest.fixture
def busy_queue(
    make_complaint: Callable[..., Complaint],
    make_user: Callable[..., User],
    category: Category,
    front_line: Team,
    agent: User,
) -> list[Complaint]:
    """Thirty complaints from different consumers, categories, teams and assignees."""
    consumers = [make_user(Role.CONSUMER) for _ in range(3)]
    other_category = Category.objects.create(name="Overdraft", parent=category.parent)
    made = []
    for number in range(30):
        complaint = make_complaint(
            owner=consumers[number % 3],
            category=(category, other_category, None)[number % 3],
        )
        made.append(
            place(
                complaint,
                team=front_line if number % 2 else None,
                assignee=agent if number % 4 == 0 else None,
            )
        )
    return made


# search_path, session, user, OTP device and the page of complaints with all it shows joined;
# the branding (from the tenant's cached settings) and the person's saved views (from the
# tenant's cache, complaints.models.SAVED_VIEWS; their counts are cached too) read no table. The filter choices (categories, teams) come from the cached
# choice lists (complaints/choices.py) and the people of the assignee filter and of a
# manager's bulk form from the cached staff directory, each read once, on the first page.
# Permissions come from the rules alone: no model-permission look-ups.
QUEUE_PAGE_QUERIES = {"agent_client": 5, "manager_client": 5}


@pytest.mark.parametrize("client_name", ["agent_client", "manager_client"])
def test_queue_query_count_does_not_grow_with_complaints(
    request: pytest.FixtureRequest,
    busy_queue: list[Complaint],
    client_name: str,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    client: Client = request.getfixturevalue(client_name)
    client.get("/console/")  # the tenant lookup is cached from here on

    with django_assert_num_queries(QUEUE_PAGE_QUERIES[client_name]):
        response = client.get("/console/")
    assert response.status_code == 200
    assert len(references_in(response)) == 25
    assert b"Fees and charges" in response.content
    assert b"Alex Agent" in response.content


# --- The console complaint page -------------------------------------------------------------

# search_path, session, user, OTP device, the complaint, the agent's team ids, the timeline,
# its attachments, the deadlines (the tenant settings, for the at-risk margin and the
# branding, come from the tenant's cache), the consumer's other complaints, the resolution
# waiting for approval and the person's drafts of a reply and a note. The choices of the
# action forms (root causes, teams, categories) come from the cached choice lists
# (complaints/choices.py), read once, on the first page; the assignees and specialists from
# the cached staff directory, the canned responses' titles from the tenant's cache.
CONSOLE_PAGE_QUERIES = 12


@pytest.fixture
def noted(complaint: Complaint, agent: User) -> Complaint:
    add_internal_note(complaint, NOTE_TEXT, actor=as_request_user(agent))
    return complaint


def test_agent_sees_the_complaint_with_internal_notes(
    agent_client: Client, noted: Complaint
) -> None:
    response = agent_client.get(f"/console/complaints/{noted.reference}/")
    assert response.status_code == 200
    content = response.content.decode()
    assert NOTE_TEXT in content
    assert "Internal note" in content
    assert "casey@example.com" in content
    for form in ("reply", "note", "status"):
        assert f'action="/console/complaints/{noted.reference}/{form}/"' in content


def test_console_page_htmx_request_gets_only_the_workspace(
    agent_client: Client, noted: Complaint
) -> None:
    response = agent_client.get(f"/console/complaints/{noted.reference}/", **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="workspace"')
    assert "<html" not in content
    assert NOTE_TEXT in content
    assert "HX-Request" in response["Vary"]


def test_manager_sees_a_complaint_of_any_team(
    manager_client: Client, noted: Complaint, other_team: Team
) -> None:
    place(noted, team=other_team)
    response = manager_client.get(f"/console/complaints/{noted.reference}/")
    assert response.status_code == 200
    assert NOTE_TEXT.encode() in response.content


def test_referred_specialist_sees_notes_and_may_add_one_but_not_reply_or_move(
    specialist_client: Client, noted: Complaint, specialist: User
) -> None:
    place(noted, team=noted.team, specialist=specialist)
    response = specialist_client.get(f"/console/complaints/{noted.reference}/")
    assert response.status_code == 200
    content = response.content.decode()
    assert NOTE_TEXT in content
    assert f'action="/console/complaints/{noted.reference}/note/"' in content
    assert f'action="/console/complaints/{noted.reference}/reply/"' not in content
    assert f'action="/console/complaints/{noted.reference}/status/"' not in content


@pytest.mark.parametrize(
    ("client_name", "status_code"),
    [
        ("other_agent_client", 404),
        ("specialist_client", 404),  # not referred
        ("consumer_client", 403),  # the complaint's own consumer
        ("other_consumer_client", 403),
        ("outsider_manager_at_bank", 302),  # a telco manager's own session, on the bank host
    ],
)
def test_console_page_is_refused_to_those_not_working_the_complaint(
    request: pytest.FixtureRequest, noted: Complaint, client_name: str, status_code: int
) -> None:
    client: Client = request.getfixturevalue(client_name)
    response = client.get(f"/console/complaints/{noted.reference}/")
    assert response.status_code == status_code
    assert NOTE_TEXT.encode() not in response.content


def test_console_page_sends_unverified_agent_to_the_second_factor(
    unverified_agent_client: Client, noted: Complaint
) -> None:
    response = unverified_agent_client.get(f"/console/complaints/{noted.reference}/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{TWO_FACTOR}?next=")


def test_console_page_sends_anonymous_visitor_to_sign_in(
    anonymous_client: Client, noted: Complaint
) -> None:
    response = anonymous_client.get(f"/console/complaints/{noted.reference}/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_console_page_query_count_does_not_grow_with_the_timeline_and_older_entries_fold(
    agent_client: Client,
    complaint: Complaint,
    agent: User,
    consumer: User,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    url = f"/console/complaints/{complaint.reference}/"
    agent_client.get(url)
    with CaptureQueriesContext(connection) as short_timeline:
        short = agent_client.get(url)
    short_queries = len(short_timeline)  # now: the connection keeps only its latest queries
    assert short.content.count(b'class="event ') == 2  # received, acknowledgement

    staff, owner = as_request_user(agent), as_request_user(consumer)
    for number in range(10):
        reply_to_complaint(complaint, f"Staff reply {number}", actor=staff)
        reply_to_complaint(complaint, f"Consumer reply {number}", actor=owner)
        add_internal_note(complaint, f"Note {number}", actor=staff)

    # A thread longer than the page shows costs no query more: the entries' statement counts
    # those folded (a window). (The staff who wrote come from the tenant's cache.)
    agent_client.get(url)
    with django_assert_num_queries(short_queries):
        response = agent_client.get(url)
    assert response.content.count(b'class="event ') == TIMELINE_SHOWN
    assert b"Show 12 earlier entries" in response.content
    assert b"Staff reply 0" not in response.content
    assert b"Note 9" in response.content
    assert short_queries == CONSOLE_PAGE_QUERIES

    first = response.content.decode().split('id="event-', 2)[1].split('"')[0]
    earlier = agent_client.get(
        f"/complaints/{complaint.reference}/timeline/?before={first}", **HTMX
    )
    assert earlier.content.count(b'class="event ') == 12
    assert b"Staff reply 0" in earlier.content
    assert b"earlier entr" not in earlier.content
    # The link that was focused is replaced: the first entry it brought takes the focus.
    entries = earlier.content.decode().split('<li class="event ')
    assert 'tabindex="-1" autofocus>' in entries[1].split("\n", 1)[0]
    assert all("autofocus" not in entry for entry in entries[2:])
    assert b"autofocus" not in response.content
    everything = agent_client.get(f"{url}?timeline=all")
    assert everything.content.count(b'class="event ') == 32


def test_console_page_reads_the_complaint_and_its_timeline_without_joins_or_search_vectors(
    agent_client: Client, complaint: Complaint, agent: User, consumer: User
) -> None:
    """The complaint's category, team and staff, and the timeline's authors, come from the
    tenant's cache; a join of each took PostgreSQL longer to plan than to run (issue 13)."""
    team = Team.objects.create(name="Cards")
    team.members.add(agent)
    Complaint.objects.filter(pk=complaint.pk).update(team=team, assignee=agent)
    reply_to_complaint(complaint, "We are looking into it", actor=as_request_user(agent))
    url = f"/console/complaints/{complaint.reference}/"
    agent_client.get(url)
    with CaptureQueriesContext(connection) as page:
        response = agent_client.get(url)
    sql = [query["sql"] for query in page.captured_queries]
    row = next(q for q in sql if q.startswith('SELECT "complaints_complaint"."id"'))
    assert row.count(" JOIN ") == 1 and '"accounts_user"' in row.split(" JOIN ")[1]
    assert "search_vector" not in row
    events = next(q for q in sql if q.startswith('SELECT "complaints_event"."id"'))
    assert " JOIN " not in events
    body = response.content.decode()
    assert "<dt>Team</dt><dd>Cards</dd>" in body
    assert f"<dt>Assignee</dt><dd>{agent.display_name}</dd>" in body
    assert f"<strong>{agent.display_name}</strong>" in body  # the reply's author


# --- Replies, notes and status changes from the console -------------------------------------

CHANGES = {
    "reply": {"body": "We have refunded the second payment."},
    "note": {"body": "Refund approved by payments team."},
    "status": {"status": "open", "note": "Picked up."},
}


@pytest.mark.parametrize("action", list(CHANGES))
def test_agent_change_by_normal_post_redirects_to_the_console_page(
    agent_client: Client, complaint: Complaint, agent: User, action: str
) -> None:
    before = snapshot(complaint)
    response = agent_client.post(
        f"/console/complaints/{complaint.reference}/{action}/", CHANGES[action]
    )
    assert response.status_code == 302
    assert response["Location"] == f"/console/complaints/{complaint.reference}/"
    event = complaint.events.exclude(pk__in=before["events"]).get()
    assert event.actor_id == agent.pk
    assert event.is_internal == (action == "note")
    assert event.body == (CHANGES[action].get("body") or CHANGES[action]["note"])


@pytest.mark.parametrize("action", list(CHANGES))
def test_agent_change_by_htmx_returns_the_updated_workspace(
    agent_client: Client, complaint: Complaint, action: str
) -> None:
    before = snapshot(complaint)
    response = agent_client.post(
        f"/console/complaints/{complaint.reference}/{action}/", CHANGES[action], **HTMX
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="workspace"')
    assert "<html" not in content
    text = CHANGES[action].get("body") or CHANGES[action]["note"]
    assert text in content
    (event,) = complaint.events.exclude(pk__in=before["events"])
    assert event.body == text


def test_agent_reply_opens_a_new_complaint_and_starts_the_first_response_clock(
    agent_client: Client, complaint: Complaint
) -> None:
    agent_client.post(f"/console/complaints/{complaint.reference}/reply/", CHANGES["reply"])
    complaint.refresh_from_db()
    assert complaint.status == Status.OPEN
    assert complaint.first_responded_at is not None


def test_agent_status_change_is_applied(agent_client: Client, complaint: Complaint) -> None:
    agent_client.post(
        f"/console/complaints/{complaint.reference}/status/", {"status": "awaiting_consumer"}
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CONSUMER
    event = complaint.events.get(kind=Event.Kind.STATUS_CHANGED)
    assert (event.from_status, event.to_status) == (Status.NEW, Status.AWAITING_CONSUMER)


def test_manager_changes_a_complaint_of_another_team(
    manager_client: Client, complaint: Complaint, other_team: Team
) -> None:
    place(complaint, team=other_team)
    response = manager_client.post(
        f"/console/complaints/{complaint.reference}/status/", {"status": "awaiting_consumer"}
    )
    assert response.status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CONSUMER


def test_referred_specialist_adds_a_note(
    specialist_client: Client, referred: Complaint, specialist: User
) -> None:
    response = specialist_client.post(
        f"/console/complaints/{referred.reference}/note/", {"body": "Ledger shows two debits."}
    )
    assert response.status_code == 302
    note = referred.events.get(kind=Event.Kind.NOTE)
    assert (note.actor_id, note.is_internal) == (specialist.pk, True)


@pytest.mark.parametrize("action", ["reply", "status"])
def test_referred_specialist_may_not_reply_or_change_status(
    specialist_client: Client, referred: Complaint, action: str
) -> None:
    before = snapshot(referred)
    response = specialist_client.post(
        f"/console/complaints/{referred.reference}/{action}/", CHANGES[action]
    )
    assert response.status_code == 403
    assert snapshot(referred) == before


REFUSED = [
    ("other_agent_client", 404),
    ("specialist_client", 404),  # not referred
    ("consumer_client", 403),  # the complaint's own consumer: the console is for staff
    ("other_consumer_client", 403),
    ("outsider_manager_at_bank", 302),  # a telco manager's own session, on the bank host
]


@pytest.mark.parametrize("action", list(CHANGES))
@pytest.mark.parametrize(("client_name", "status_code"), REFUSED)
def test_console_change_is_refused_to_those_not_working_the_complaint(
    request: pytest.FixtureRequest,
    complaint: Complaint,
    back_to_bank: Callable[[], Tenant],
    action: str,
    client_name: str,
    status_code: int,
) -> None:
    client: Client = request.getfixturevalue(client_name)
    before = snapshot(complaint)
    response = client.post(f"/console/complaints/{complaint.reference}/{action}/", CHANGES[action])
    back_to_bank()
    assert response.status_code == status_code
    assert snapshot(complaint) == before


@pytest.mark.parametrize("action", list(CHANGES))
def test_console_change_sends_unverified_agent_to_the_second_factor(
    unverified_agent_client: Client, complaint: Complaint, action: str
) -> None:
    before = snapshot(complaint)
    response = unverified_agent_client.post(
        f"/console/complaints/{complaint.reference}/{action}/", CHANGES[action]
    )
    assert response.status_code == 302
    assert response["Location"].startswith(TWO_FACTOR)
    assert snapshot(complaint) == before


@pytest.mark.parametrize("action", list(CHANGES))
def test_console_change_sends_anonymous_visitor_to_sign_in(
    anonymous_client: Client, complaint: Complaint, action: str
) -> None:
    before = snapshot(complaint)
    response = anonymous_client.post(
        f"/console/complaints/{complaint.reference}/{action}/", CHANGES[action]
    )
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert snapshot(complaint) == before


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (
            {"status": "archived"},
            "Select a valid choice. archived is not one of the available choices.",
        ),
        ({"status": ""}, "This field is required."),
        ({"status": "closed"}, "A complaint that is new cannot be moved to closed."),
        ({"status": "withdrawn"}, "You may not move this complaint from new to withdrawn."),
    ],
    ids=["unknown", "missing", "forbidden-by-status", "consumer-only"],
)
def test_invalid_status_change_shows_a_readable_error_and_changes_nothing(
    agent_client: Client, complaint: Complaint, data: dict[str, str], error: str
) -> None:
    before = snapshot(complaint)
    response = agent_client.post(f"/console/complaints/{complaint.reference}/status/", data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert snapshot(complaint) == before


def test_status_change_on_a_closed_complaint_shows_why_it_was_refused(
    agent_client: Client, complaint: Complaint
) -> None:
    put_in_status(complaint, Status.CLOSED)
    before = snapshot(complaint)
    response = agent_client.post(
        f"/console/complaints/{complaint.reference}/status/", {"status": "open"}, **HTMX
    )
    assert response.status_code == 200
    assert "A complaint that is closed cannot be moved to open." in response.content.decode()
    assert snapshot(complaint) == before


def test_reply_to_a_closed_complaint_shows_why_it_was_refused(
    agent_client: Client, complaint: Complaint
) -> None:
    put_in_status(complaint, Status.CLOSED)
    before = snapshot(complaint)
    response = agent_client.post(
        f"/console/complaints/{complaint.reference}/reply/", {"body": "One more thing"}
    )
    assert response.status_code == 200
    assert "This complaint is closed; it no longer takes replies." in response.content.decode()
    assert snapshot(complaint) == before


@pytest.mark.parametrize("action", ["reply", "note"])
def test_empty_message_from_the_console_shows_an_error_and_changes_nothing(
    agent_client: Client, complaint: Complaint, action: str
) -> None:
    before = snapshot(complaint)
    response = agent_client.post(
        f"/console/complaints/{complaint.reference}/{action}/", {"body": "  "}
    )
    assert response.status_code == 200
    assert b"Write a message before sending." in response.content
    assert snapshot(complaint) == before


def test_note_added_in_the_console_never_reaches_the_consumer(
    agent_client: Client, consumer_client: Client, complaint: Complaint
) -> None:
    agent_client.post(
        f"/console/complaints/{complaint.reference}/note/", {"body": "Suspected chargeback abuse."}
    )
    assert complaint.events.filter(kind=Event.Kind.NOTE).exists()
    for response in (
        consumer_client.get(f"/complaints/{complaint.reference}/"),
        consumer_client.get(f"/complaints/{complaint.reference}/", **HTMX),
    ):
        assert response.status_code == 200
        assert b"Suspected chargeback abuse." not in response.content


def test_signed_in_pages_are_never_stored_so_back_shows_the_current_complaint(
    agent_client: Client, consumer_client: Client, complaint: Complaint
) -> None:
    console = agent_client.get(f"/console/complaints/{complaint.reference}/")
    portal = consumer_client.get(f"/complaints/{complaint.reference}/")
    queue = agent_client.get("/console/")

    assert "no-store" in console["Cache-Control"] and "private" in console["Cache-Control"]
    assert "no-store" in portal["Cache-Control"]
    assert "no-store" in queue["Cache-Control"] and "private" in queue["Cache-Control"]


def test_every_signed_in_page_is_no_store_even_one_that_sets_its_own_caching(
    agent_client: Client, admin_client: Client, complaint: Complaint
) -> None:
    polled = agent_client.get("/console/", HTTP_HX_REQUEST="true")
    settings_page = admin_client.get("/settings/categories/")

    assert polled.status_code == 200
    assert "no-store" in polled["Cache-Control"]
    assert "no-store" in settings_page["Cache-Control"]
    assert "private" in settings_page["Cache-Control"]
