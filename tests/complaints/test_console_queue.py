"""The console queue: filters, search, keyset pages, the self-refreshing list and its cost."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from complaints.models import Category, Channel, Complaint, Priority, SavedView, Status, Team
from complaints.pagination import keyset_page
from complaints.services import add_internal_note, reply_to_complaint
from tests.complaints.conftest import as_request_user, put_in_status, references_in

HTMX = {"HTTP_HX_REQUEST": "true"}


def update(complaint: Complaint, **fields: Any) -> Complaint:
    """Test set-up: change columns directly, without timeline events."""
    Complaint.objects.filter(pk=complaint.pk).update(**fields)
    complaint.refresh_from_db()
    return complaint


@pytest.fixture
def varied(
    make_complaint: Callable[..., Complaint],
    category: Category,
    front_line: Team,
    other_team: Team,
    agent: User,
    manager: User,
) -> Iterator[dict[str, Complaint]]:
    """Complaints that differ in one respect each, all visible to a manager, oldest first.

    Received whole days apart at a fixed local noon, and the test runs then too, so date
    filters do not depend on the hour the suite runs.
    """
    with time_machine.travel(datetime(2026, 11, 18, 12, 0, tzinfo=UTC), tick=True):
        yield _varied(make_complaint, category, front_line, other_team, agent, manager)


def _varied(
    make_complaint: Callable[..., Complaint],
    category: Category,
    front_line: Team,
    other_team: Team,
    agent: User,
    manager: User,
) -> dict[str, Complaint]:
    now = timezone.now()
    other_category = Category.objects.create(name="Overdraft", parent=category.parent)

    def made(name: str, days_ago: int, **fields: Any) -> Complaint:
        complaint = make_complaint(
            subject=f"Subject {name}", received_at=now - timedelta(days=days_ago, minutes=1)
        )
        return update(complaint, **{"team": front_line, **fields})

    return {
        "plain": made("plain", 10),
        "urgent": made("urgent", 9, priority=Priority.URGENT),
        "overdraft": made("overdraft", 8, category=other_category),
        "fees": made("fees", 7, category=category),
        "billing": made("billing", 6, team=other_team),
        "agents": made("agents", 5, assignee=agent),
        "managers": made("managers", 4, assignee=manager),
        "by_phone": made("by_phone", 3, channel=Channel.PHONE),
        "open": made("open", 2, status=Status.OPEN),
        "urgent_fees_by_phone": made(
            "urgent_fees_by_phone",
            1,
            priority=Priority.URGENT,
            category=category,
            channel=Channel.PHONE,
        ),
    }


def shown(response: Any, complaints: dict[str, Complaint]) -> list[str]:
    by_reference = {complaint.reference: name for name, complaint in complaints.items()}
    return [by_reference[reference] for reference in references_in(response)]


@time_machine.travel(datetime(2026, 12, 1, 7, 0, tzinfo=UTC), tick=False)
def test_queue_writes_deadlines_and_receipt_as_every_page_does(
    agent_client: Client, complaint: Complaint
) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(
        received_at=datetime(2026, 11, 30, 16, 5, tzinfo=UTC),
        next_due_at=datetime(2026, 12, 1, 7, 41, tzinfo=UTC),
    )

    page = agent_client.get("/console/").content.decode()

    assert '<td data-label="Next deadline">1 Dec 2026, 07:41</td>' in page
    assert '<td data-label="Received">30 Nov 2026, 16:05</td>' in page


# --- Filters --------------------------------------------------------------------------------


def test_queue_without_filters_lists_every_active_complaint_oldest_first(
    manager_client: Client, varied: dict[str, Complaint]
) -> None:
    assert shown(manager_client.get("/console/"), varied) == list(varied)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=open", ["open"]),
        ("priority=urgent", ["urgent", "urgent_fees_by_phone"]),
        ("channel=phone", ["by_phone", "urgent_fees_by_phone"]),
        ("team={billing}", ["billing"]),
        ("assignee={agent}", ["agents"]),
        ("category={fees}", ["fees", "urgent_fees_by_phone"]),
        ("received_from={day_2}", ["open", "urgent_fees_by_phone"]),
        ("received_to={day_9}", ["plain", "urgent"]),
        ("received_from={day_9}&received_to={day_8}", ["urgent", "overdraft"]),
        ("received_from={day_9}&received_to={day_9}", ["urgent"]),
    ],
)
def test_each_filter_alone_narrows_the_queue(
    manager_client: Client,
    varied: dict[str, Complaint],
    other_team: Team,
    agent: User,
    category: Category,
    query: str,
    expected: list[str],
) -> None:
    today = timezone.localdate()
    url = "/console/?" + query.format(
        billing=other_team.pk,
        agent=agent.pk,
        fees=category.pk,
        day_2=(today - timedelta(days=2)).isoformat(),
        day_8=(today - timedelta(days=8)).isoformat(),
        day_9=(today - timedelta(days=9)).isoformat(),
    )
    assert shown(manager_client.get(url), varied) == expected


def test_filters_combine(
    manager_client: Client, varied: dict[str, Complaint], category: Category
) -> None:
    response = manager_client.get(
        f"/console/?priority=urgent&channel=phone&category={category.pk}&status=new"
    )
    assert shown(response, varied) == ["urgent_fees_by_phone"]


def test_filters_combine_with_the_queue_view(
    manager_client: Client, varied: dict[str, Complaint]
) -> None:
    assert shown(manager_client.get("/console/?view=unassigned&priority=urgent"), varied) == [
        "urgent",
        "urgent_fees_by_phone",
    ]
    assert shown(manager_client.get("/console/?view=mine&priority=urgent"), varied) == []


# (query string, field, error shown beside it)
FILTERS_THAT_DO_NOT_FIT = [
    ("q=%00", "Search", "Null characters are not allowed."),
    ("q=fees%00", "Search", "Null characters are not allowed."),
    ("priority=extreme", "Priority", "Select a valid choice."),
    ("status=lost", "Status", "Select a valid choice."),
    ("team=999999", "Team", "Select a valid choice."),
    ("received_from=soon", "Received from", "Enter a valid date."),
    ("received_to=2026-02-30", "Received to", "Enter a valid date."),
    ("received_from=0001-01-01", "Received from", "between 2000 and 2099"),
    ("age_min=-1", "At least days old", "greater than or equal to 0"),
    (
        "received_from=2026-03-02&received_to=2026-03-01",
        "Received to",
        "Received to must be on or after Received from.",
    ),
    (
        "resolved_from=2026-03-02&resolved_to=2026-03-01",
        "Resolved to",
        "Resolved to must be on or after Resolved from.",
    ),
    ("age_min=5&age_max=5", "Less than days old", "must be more than At least days old."),
    ("root_cause=999999", "Root cause", "Select a valid choice."),
    ("rating=9", "Rating", "Select a valid choice."),
]


@pytest.mark.parametrize(("query", "label", "error"), FILTERS_THAT_DO_NOT_FIT)
@pytest.mark.parametrize("htmx", [False, True])
def test_a_filter_value_that_does_not_fit_lists_nothing_beside_its_error(
    manager_client: Client,
    varied: dict[str, Complaint],
    query: str,
    label: str,
    error: str,
    htmx: bool,
) -> None:
    response = manager_client.get(f"/console/?{query}", **(HTMX if htmx else {}))

    content = response.content.decode()
    assert response.status_code == 200
    assert shown(response, varied) == []
    assert "Nothing is listed until the filters are corrected" in content
    assert label in content and error in content
    # The results do not poll: a poll would bring back a queue nobody asked for.
    assert "every 20s" not in content
    if not htmx:  # each error in the summary links to its field, shown on the page
        summary = content.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
        targets = re.findall(r'<a href="#([^"]+)">', summary)
        assert targets
        for target in targets:
            assert f'id="{target}"' in content, target


def test_a_valid_filter_beside_one_that_does_not_fit_still_lists_nothing(
    manager_client: Client, varied: dict[str, Complaint]
) -> None:
    response = manager_client.get("/console/?priority=urgent&received_from=soon")

    assert shown(response, varied) == []
    assert "Enter a valid date." in response.content.decode()


def test_agent_filter_by_another_team_shows_only_what_they_may_see(
    agent_client: Client, varied: dict[str, Complaint], other_team: Team
) -> None:
    # The billing complaint is in a team the agent is not in: filtering cannot reveal it.
    assert shown(agent_client.get(f"/console/?team={other_team.pk}"), varied) == []


def test_filters_are_kept_in_the_next_page_link_and_the_poll(
    manager_client: Client, make_complaint: Callable[..., Complaint], front_line: Team
) -> None:
    for _ in range(26):
        update(make_complaint(), priority=Priority.HIGH, team=front_line)
    content = manager_client.get("/console/?priority=high&sort=due&q=payment").content.decode()
    assert 'href="?view=team&amp;q=payment&amp;priority=high&amp;sort=due&amp;after=' in content
    assert 'hx-get="/console/?view=team&amp;q=payment&amp;priority=high&amp;sort=due"' in content


# --- Search ---------------------------------------------------------------------------------


@pytest.fixture
def corresponded(
    complaint: Complaint, agent: User, consumer: User, other_consumer: User
) -> Complaint:
    reply_to_complaint(
        complaint, "We found a duplicate chargeback on your card.", actor=as_request_user(agent)
    )
    reply_to_complaint(
        complaint,
        "Thanks, the merchant was Fabrikam.",
        actor=as_request_user(consumer),
    )
    add_internal_note(
        complaint, "Escalate to the ombudsman liaison if unresolved.", actor=as_request_user(agent)
    )
    return complaint


@pytest.mark.parametrize(
    "words",
    [
        "payment",  # subject
        "account twice",  # description
        "chargebacks",  # a staff reply, found by its stem
        "Fabrikam",  # the consumer's reply
        "ombudsman",  # an internal note
        '"ombudsman liaison"',  # a phrase
    ],
)
def test_staff_search_finds_words_in_the_complaint_and_its_correspondence(
    agent_client: Client, corresponded: Complaint, words: str
) -> None:
    response = agent_client.get("/console/", {"q": words})
    assert references_in(response) == [corresponded.reference]


def test_search_excludes_with_minus_and_finds_nothing_for_unknown_words(
    agent_client: Client, corresponded: Complaint
) -> None:
    assert references_in(agent_client.get("/console/", {"q": "chargeback -fabrikam"})) == []
    assert references_in(agent_client.get("/console/", {"q": "mortgage"})) == []


def test_consumer_facing_search_never_matches_internal_notes(
    corresponded: Complaint, agent: User
) -> None:
    consumer = corresponded.consumer
    public = Complaint.objects.search("ombudsman", actor=consumer)
    assert not public.exists()
    assert list(Complaint.objects.search("Fabrikam", actor=consumer)) == [corresponded]
    assert list(Complaint.objects.search("ombudsman", actor=agent)) == [corresponded]
    # The public vector itself holds no word of the note.
    assert not Complaint.objects.filter(search_vector="ombudsman").exists()


def test_search_is_kept_current_as_replies_and_notes_arrive(
    agent_client: Client, complaint: Complaint, agent: User
) -> None:
    assert references_in(agent_client.get("/console/", {"q": "ledger"})) == []
    add_internal_note(complaint, "Ledger shows two debits.", actor=as_request_user(agent))
    assert references_in(agent_client.get("/console/", {"q": "ledger"})) == [complaint.reference]


# --- Keyset pages ---------------------------------------------------------------------------


@pytest.fixture
def due_ties_and_nulls(make_complaint: Callable[..., Complaint]) -> list[Complaint]:
    """Seven complaints: three share one deadline, two share another, two have none."""
    soon = timezone.now() + timedelta(days=1)
    later = soon + timedelta(days=1)
    made = [make_complaint() for _ in range(7)]
    for complaint, due in zip(made, [later, None, soon, later, None, soon, soon], strict=True):
        update(complaint, next_due_at=due)
    return made


def walk(size: int, *, descending: bool) -> list[int]:
    """Every id, page by page, following the cursors."""
    seen: list[int] = []
    cursor = None
    while True:
        page = keyset_page(
            Complaint.objects.all(),
            field="next_due_at",
            after=cursor,
            size=size,
            descending=descending,
        )
        seen += [row.pk for row in page.rows]
        if page.next_cursor is None:
            return seen
        cursor = page.next_cursor


@pytest.mark.parametrize("size", [1, 2, 3, 6])
@pytest.mark.parametrize("descending", [False, True])
def test_keyset_pages_through_ties_and_nulls_once_each_with_nulls_last(
    due_ties_and_nulls: list[Complaint], size: int, descending: bool
) -> None:
    dated = sorted(
        (c for c in due_ties_and_nulls if c.next_due_at),
        key=lambda c: (c.next_due_at, c.pk),
        reverse=descending,
    )
    undated = sorted(
        (c for c in due_ties_and_nulls if not c.next_due_at),
        key=lambda c: c.pk,
        reverse=descending,
    )
    assert walk(size, descending=descending) == [c.pk for c in dated + undated]


def test_keyset_cursor_made_for_another_order_starts_over(
    due_ties_and_nulls: list[Complaint],
) -> None:
    by_received = keyset_page(
        Complaint.objects.all(), field="received_at", after=None, size=2, descending=False
    )
    by_due = keyset_page(
        Complaint.objects.all(),
        field="next_due_at",
        after=by_received.next_cursor,
        size=2,
        descending=False,
    )
    first = keyset_page(
        Complaint.objects.all(), field="next_due_at", after=None, size=2, descending=False
    )
    assert by_due.rows == first.rows


def test_queue_sorted_by_deadline_pages_through_ties_and_nulls(
    agent_client: Client, make_complaint: Callable[..., Complaint]
) -> None:
    soon = timezone.now() + timedelta(days=3)
    made = [make_complaint() for _ in range(30)]
    for number, complaint in enumerate(made):
        update(complaint, next_due_at=None if number % 5 == 0 else soon)
    expected = [c.reference for c in made if c.next_due_at] + [
        c.reference for c in made if not c.next_due_at
    ]

    first = agent_client.get("/console/?sort=due")
    link = first.content.decode().split('">Next page</a>')[0].rsplit('href="', 1)[1]
    second = agent_client.get(f"/console/{link.replace('&amp;', '&')}")
    assert references_in(first) + references_in(second) == expected
    assert b"Next page" not in second.content


def test_breached_view_sorts_by_deadline_by_default(
    agent_client: Client, make_complaint: Callable[..., Complaint]
) -> None:
    now = timezone.now()
    late = update(make_complaint(), next_due_at=now - timedelta(hours=1))
    later = update(make_complaint(), next_due_at=now - timedelta(hours=5))
    update(make_complaint(), next_due_at=now + timedelta(days=5))
    assert references_in(agent_client.get("/console/?view=breached")) == [
        later.reference,
        late.reference,
    ]


# --- The list refreshes itself ----------------------------------------------------------------


def poll(client: Client, etag: str | None = None, query: str = "") -> Any:
    headers = {"HTTP_IF_NONE_MATCH": etag} if etag else {}
    return client.get(f"/console/{query}", **HTMX, **headers)


def test_queue_results_poll_every_twenty_seconds_with_their_etag(
    agent_client: Client, complaint: Complaint
) -> None:
    response = poll(agent_client)
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="queue-results"')
    assert "<html" not in content
    assert 'hx-trigger="every 20s"' in content
    assert response["ETag"].startswith('W/"')
    assert response["ETag"] in html.unescape(content).replace("\\", "")
    assert "HX-Request" in response["Vary"]


def test_unchanged_queue_answers_not_modified_without_a_swap(
    agent_client: Client, complaint: Complaint, django_assert_num_queries: Callable[..., Any]
) -> None:
    etag = poll(agent_client)["ETag"]
    response = poll(agent_client, etag)
    assert response.status_code == 304
    assert response["HX-Reswap"] == "none"
    assert response.content == b""


def test_changed_queue_answers_with_the_new_rows(
    agent_client: Client, complaint: Complaint, agent: User
) -> None:
    etag = poll(agent_client)["ETag"]
    add_internal_note(complaint, "Checked the ledger.", actor=as_request_user(agent))
    response = poll(agent_client, etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
    assert references_in(response) == [complaint.reference]


def test_new_complaint_in_the_queue_changes_the_etag(
    agent_client: Client, complaint: Complaint, make_complaint: Callable[..., Complaint]
) -> None:
    etag = poll(agent_client)["ETag"]
    newcomer = make_complaint()
    response = poll(agent_client, etag)
    assert response.status_code == 200
    assert references_in(response) == [complaint.reference, newcomer.reference]


def test_complaint_leaving_the_queue_changes_the_etag(
    agent_client: Client, complaint: Complaint, make_complaint: Callable[..., Complaint]
) -> None:
    make_complaint()
    etag = poll(agent_client)["ETag"]
    put_in_status(complaint, Status.CLOSED)
    assert poll(agent_client, etag).status_code == 200


def test_poll_keeps_filters_and_the_ticked_complaints(
    agent_client: Client, complaint: Complaint, make_complaint: Callable[..., Complaint]
) -> None:
    other = make_complaint()
    response = poll(agent_client, query=f"?status=new&complaints={complaint.reference}")
    content = response.content.decode()
    assert (
        f'value="{complaint.reference}" form="bulk-form" aria-label="Select {complaint.reference}" checked'
        in content
    )
    assert (
        f'value="{other.reference}" form="bulk-form" aria-label="Select {other.reference}">'
        in content
    )
    # The poll asks for the same filters again, without the ticks (those are sent as they are).
    assert 'hx-get="/console/?view=team&amp;status=new"' in content


def test_full_page_is_never_answered_not_modified(
    agent_client: Client, complaint: Complaint
) -> None:
    etag = poll(agent_client)["ETag"]
    response = agent_client.get("/console/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert b"<h1>Queue</h1>" in response.content


def test_filter_form_and_pager_update_only_the_results_by_htmx(
    agent_client: Client, complaint: Complaint
) -> None:
    content = agent_client.get("/console/").content.decode()
    assert 'hx-target="#queue-results"' in content
    assert 'hx-push-url="true"' in content
    # The filter form works without JavaScript too.
    assert '<form method="get" action="/console/"' in content


# --- Query counts ---------------------------------------------------------------------------


@pytest.fixture
def thirty_one(
    make_complaint: Callable[..., Complaint],
    make_user: Callable[..., User],
    category: Category,
    front_line: Team,
    agent: User,
) -> list[Complaint]:
    consumers = [make_user(Role.CONSUMER) for _ in range(3)]
    made = []
    for number in range(31):
        complaint = make_complaint(
            owner=consumers[number % 3],
            category=category if number % 2 else None,
            subject=f"Card payment {number}",
        )
        made.append(
            update(
                complaint,
                team=front_line,
                assignee=agent if number % 3 == 0 else None,
                priority=Priority.HIGH,
                next_due_at=timezone.now() + timedelta(hours=number % 4),
            )
        )
    return made


# The plain page (see test_console.py), plus the look-ups that check the chosen category,
# team and assignee exist.
# The saved views and the settings row come from the tenant's cache.
FILTERED_QUERIES = {"agent_client": 8, "manager_client": 8}


@pytest.mark.parametrize("client_name", ["agent_client", "manager_client"])
def test_filtered_and_searched_queue_query_count_is_bounded(
    request: pytest.FixtureRequest,
    thirty_one: list[Complaint],
    category: Category,
    front_line: Team,
    agent: User,
    client_name: str,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    client: Client = request.getfixturevalue(client_name)
    url = (
        f"/console/?q=payment&priority=high&category={category.pk}&team={front_line.pk}"
        f"&assignee={agent.pk}&channel=portal&received_from=2020-01-01&sort=due"
    )
    client.get(url)
    with django_assert_num_queries(FILTERED_QUERIES[client_name]):
        response = client.get(url)
    assert len(references_in(response)) == 5  # numbers 3, 9, 15, 21, 27


def test_polling_costs_the_same_few_queries_changed_or_not(
    agent_client: Client, thirty_one: list[Complaint]
) -> None:
    poll(agent_client)
    with CaptureQueriesContext(connection) as changed:
        etag = poll(agent_client)["ETag"]
    with CaptureQueriesContext(connection) as unchanged:
        assert poll(agent_client, etag).status_code == 304
    # search_path, session, user, OTP device, the page; the full answer adds the filters'
    # choices and the permission look-up for the menu.
    assert len(unchanged) == 5
    assert len(changed) <= 11


def test_date_filters_are_local_dates_of_the_tenant(
    manager_client: Client,
    make_complaint: Callable[..., Complaint],
    front_line: Team,
    bank: Any,
) -> None:
    bank.time_zone = "America/New_York"
    bank.save(update_fields=["time_zone"])
    # 02:00 UTC on 18 November is 21:00 on 17 November in New York.
    evening = make_complaint(received_at=datetime(2026, 11, 18, 2, 0, tzinfo=UTC))
    evening.team = front_line
    evening.save(update_fields=["team"])

    on_17th = manager_client.get("/console/?received_from=2026-11-17&received_to=2026-11-17")
    on_18th = manager_client.get("/console/?received_from=2026-11-18")

    assert references_in(on_17th) == [evening.reference]
    assert references_in(on_18th) == []


def test_filtering_in_place_brings_the_errors_beside_the_fields_and_the_query_to_save(
    manager_client: Client, varied: dict[str, Complaint]
) -> None:
    page = manager_client.get("/console/").content.decode()
    assert '<input type="hidden" name="query" value="view=team" id="id_save_query">' in page
    assert '<div class="field-errors" id="filter-errors-received_to"></div>' in page

    wrong = manager_client.get(
        "/console/?received_from=2026-03-02&received_to=2026-03-01", **HTMX
    ).content.decode()
    assert (
        '<div class="field-errors" id="filter-errors-received_to" hx-swap-oob="true">'
        '<p class="error">Received to must be on or after Received from.</p></div>'
    ) in wrong
    # No view to save while a filter is wrong; fields not on the page get no swap.
    assert '<div id="save-view" hx-swap-oob="true"></div>' in wrong
    assert 'id="filter-errors-root_cause"' not in wrong

    fixed = manager_client.get("/console/?priority=urgent", **HTMX).content.decode()
    assert (
        '<div class="field-errors" id="filter-errors-received_to" hx-swap-oob="true"></div>'
        in fixed
    )
    assert '<div id="save-view" hx-swap-oob="true"><details class="save-view">' in fixed
    assert (
        '<input type="hidden" name="query" value="view=team&amp;priority=urgent" '
        'id="id_save_query">'
    ) in fixed


@time_machine.travel(datetime(2026, 11, 18, 12, 0, tzinfo=UTC), tick=True)
@pytest.mark.parametrize("query", ["resolved_from={day}&resolved_to={day}", "rating=4"])
def test_a_filter_only_resolved_complaints_match_looks_at_every_status(
    manager_client: Client, make_complaint: Callable[..., Complaint], front_line: Team, query: str
) -> None:
    resolved = update(
        make_complaint(),
        team=front_line,
        status=Status.CLOSED,
        resolved_at=timezone.now(),
        satisfaction_score=4,
    )
    active = update(make_complaint(), team=front_line)

    url = "/console/?" + query.format(day=timezone.localdate().isoformat())
    shown_references = references_in(manager_client.get(url))

    assert resolved.reference in shown_references
    assert active.reference not in shown_references


def test_sorting_by_a_column_header_in_place_shows_in_the_sort_box(
    manager_client: Client, varied: dict[str, Complaint]
) -> None:
    content = manager_client.get("/console/?sort=-reference", **HTMX).content.decode()

    box = content.split('<div class="filter filter-sort" id="filter-sort" hx-swap-oob="true">')[1]
    assert '<option value="-reference" selected>' in box.split("</div>")[0]


def test_the_results_own_refresh_leaves_the_forms_alone(
    manager_client: Client, complaint: Complaint
) -> None:
    url = "/console/?view=team&status=bogus"
    polled = manager_client.get(url, HTTP_HX_TRIGGER="queue-results", **HTMX).content.decode()
    filtered = manager_client.get(url, **HTMX).content.decode()

    # A filter changed: the forms' errors, the view to save and the order follow the results.
    assert 'id="filter-errors-status" hx-swap-oob="true"' in filtered
    assert 'id="save-view" hx-swap-oob="true"' in filtered
    # The refresh asks with the filters already shown: what is being typed stays.
    assert "hx-swap-oob" not in polled
    assert "Nothing is listed until the filters are corrected" in polled


def test_a_filter_change_on_a_saved_view_unmarks_it(
    manager_client: Client, manager: User, complaint: Complaint
) -> None:
    view = SavedView.objects.create(owner=manager, name="Mine", query="view=team")
    opened = manager_client.get(f"/console/?view=team&saved={view.pk}").content.decode()
    assert f'saved={view.pk}" aria-current="page"' in opened
    assert "Rename or remove" in opened

    changed = manager_client.get("/console/?view=team&priority=urgent", **HTMX).content.decode()

    assert 'id="queue-tabs" hx-swap-oob="true"' in changed
    assert 'id="rename-view" hx-swap-oob="true"' in changed
    assert f'saved={view.pk}" aria-current="page"' not in changed
    assert "Rename or remove" not in changed


@pytest.mark.parametrize("digit", ["²", "①", "٣", "9" * 30])
def test_a_person_written_in_other_digits_is_refused_not_a_server_error(
    manager_client: Client, complaint: Complaint, digit: str
) -> None:
    listed = manager_client.get("/console/", {"assignee": digit})
    assert listed.status_code == 200
    assert "Choose someone from the list." in listed.content.decode()

    bulk = manager_client.post(
        "/console/bulk/",
        {"action": "assign", "assignee": digit, "complaints": [complaint.reference]},
    )
    assert bulk.status_code in (200, 302)
    complaint.refresh_from_db()
    assert complaint.assignee is None
