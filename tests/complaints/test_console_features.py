"""Console features: bulk actions, canned responses, presence notices, keyboard shortcuts."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client

from accounts.models import Role, User
from complaints.models import CannedResponse, Complaint, Event, Priority, Status, Team
from complaints.presence import others_present, record_presence
from tenancy.models import Tenant
from tests.complaints.conftest import snapshot
from tests.conftest import create_user

HTMX = {"HTTP_HX_REQUEST": "true"}


def place(complaint: Complaint, **fields: Any) -> Complaint:
    Complaint.objects.filter(pk=complaint.pk).update(**fields)
    complaint.refresh_from_db()
    return complaint


def said(response: Any) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def three(make_complaint: Callable[..., Complaint], front_line: Team) -> list[Complaint]:
    return [place(make_complaint(), team=front_line) for _ in range(3)]


# --- Bulk actions ---------------------------------------------------------------------------


def bulk(client: Client, action: str, complaints: list[Complaint], **data: Any) -> Any:
    return client.post(
        "/console/bulk/",
        {
            "action": action,
            "complaints": [c.reference for c in complaints],
            "query": "view=unassigned&priority=normal",
            **data,
        },
    )


def test_agent_claims_several_complaints_at_once(
    agent_client: Client, three: list[Complaint], agent: User
) -> None:
    response = bulk(agent_client, "claim", three)
    assert response.status_code == 302
    assert response["Location"] == "/console/?view=unassigned&priority=normal"
    for complaint in three:
        complaint.refresh_from_db()
        assert complaint.assignee_id == agent.pk
        assert complaint.events.filter(kind=Event.Kind.ASSIGNED, actor=agent).count() == 1
    assert said(response) == [f"Assigned to you: {', '.join(c.reference for c in three)}."]


def test_bulk_claim_reports_each_refused_row_and_leaves_it_unchanged(
    agent_client: Client, three: list[Complaint], manager: User, agent: User
) -> None:
    taken = place(three[1], assignee=manager)
    before = snapshot(taken)
    response = bulk(agent_client, "claim", three)
    assert snapshot(taken) == before
    assert Complaint.objects.get(pk=taken.pk).assignee_id == manager.pk
    for complaint in (three[0], three[2]):
        assert Complaint.objects.get(pk=complaint.pk).assignee_id == agent.pk
    assert said(response) == [
        f"Assigned to you: {three[0].reference}, {three[2].reference}.",
        f"Not changed — {taken.reference}: Morgan Manager already has this complaint; "
        "ask a manager to reassign it.",
    ]


def test_bulk_action_on_a_complaint_the_agent_cannot_see_changes_nothing(
    agent_client: Client, three: list[Complaint], other_team: Team
) -> None:
    hidden = place(three[0], team=other_team)
    before = snapshot(hidden)
    response = bulk(agent_client, "priority", [hidden, three[1]], priority=Priority.HIGH)
    assert snapshot(hidden) == before
    assert Complaint.objects.get(pk=three[1].pk).priority == Priority.HIGH
    assert f"Not changed — {hidden.reference}: not found among the complaints you can see." in said(
        response
    )


def test_bulk_priority_change_writes_one_event_per_complaint(
    agent_client: Client, three: list[Complaint]
) -> None:
    place(three[2], priority=Priority.URGENT)
    response = bulk(agent_client, "priority", three, priority=Priority.URGENT)
    for complaint in three[:2]:
        assert Complaint.objects.get(pk=complaint.pk).priority == Priority.URGENT
        assert complaint.events.filter(kind=Event.Kind.PRIORITY_CHANGED).count() == 1
    assert not three[2].events.filter(kind=Event.Kind.PRIORITY_CHANGED).exists()
    assert said(response)[-1] == (
        f"Not changed — {three[2].reference}: The complaint already has that priority."
    )


def test_manager_assigns_several_complaints_to_an_agent(
    manager_client: Client, three: list[Complaint], agent: User
) -> None:
    bulk(manager_client, "assign", three, assignee=agent.pk)
    assert {Complaint.objects.get(pk=c.pk).assignee_id for c in three} == {agent.pk}


def test_agent_may_not_assign_complaints_to_someone_else(
    agent_client: Client, three: list[Complaint], manager: User
) -> None:
    before = [snapshot(c) for c in three]
    response = bulk(agent_client, "assign", three, assignee=manager.pk)
    assert [snapshot(c) for c in three] == before
    assert any("Select a valid choice" in line for line in said(response))
    assert b'value="assign"' not in agent_client.get("/console/").content


def test_bulk_close_as_duplicate_merges_each_into_the_reference(
    agent_client: Client,
    three: list[Complaint],
    make_complaint: Callable[..., Complaint],
    other_consumer: User,
    front_line: Team,
) -> None:
    stranger = place(make_complaint(owner=other_consumer), team=front_line)
    target, *duplicates = three
    before = snapshot(stranger)
    response = bulk(agent_client, "merge", [*duplicates, stranger], target=target.reference.lower())
    for duplicate in duplicates:
        duplicate.refresh_from_db()
        assert (duplicate.status, duplicate.merged_into_id) == (Status.CLOSED, target.pk)
    assert snapshot(stranger) == before
    assert said(response) == [
        f"Closed as duplicates: {duplicates[0].reference}, {duplicates[1].reference}.",
        f"Not changed — {stranger.reference}: Only complaints of the same consumer can be merged.",
    ]


def test_bulk_close_as_duplicate_needs_a_reference_the_agent_can_see(
    agent_client: Client, three: list[Complaint], other_team: Team
) -> None:
    hidden_target = place(three[0], team=other_team)
    before = [snapshot(c) for c in three]
    response = bulk(agent_client, "merge", three[1:], target=hidden_target.reference)
    assert [snapshot(c) for c in three] == before
    assert said(response) == [f"There is no complaint {hidden_target.reference} you can see."]


def test_bulk_without_a_selection_says_so(agent_client: Client, three: list[Complaint]) -> None:
    response = bulk(agent_client, "claim", [])
    assert said(response) == ["Select at least one complaint."]


def test_bulk_by_htmx_returns_to_the_same_queue_whose_results_show_the_report(
    agent_client: Client, three: list[Complaint]
) -> None:
    response = agent_client.post(
        "/console/bulk/",
        {"action": "claim", "complaints": [three[0].reference], "query": "view=team"},
        **HTMX,
    )
    assert response.status_code == 302
    page = agent_client.get(response["Location"], **HTMX)
    content = page.content.decode()
    assert content.lstrip().startswith('<div id="queue-results"')
    assert f"Assigned to you: {three[0].reference}." in content


def test_a_refused_bulk_action_keeps_the_rows_ticked(
    agent_client: Client, three: list[Complaint]
) -> None:
    ticked = [three[0].reference, three[1].reference]
    response = agent_client.post(
        "/console/bulk/",
        {"action": "priority", "complaints": ticked, "query": "view=team"},
        **HTMX,
    )
    page = agent_client.get(response["Location"], **HTMX).content.decode()
    assert "Choose the new priority." in page
    boxes = re.findall(r'<input type="checkbox" name="complaints" value="([^"]+)"[^>]*>', page)
    checked = {
        ref
        for ref in boxes
        if f'value="{ref}" form="bulk-form" aria-label="Select {ref}" checked' in page
    }
    assert checked == set(ticked)


def test_bulk_redirect_never_leaves_the_queue(agent_client: Client, three: list[Complaint]) -> None:
    response = agent_client.post(
        "/console/bulk/",
        {"action": "claim", "complaints": [three[0].reference], "query": "//evil.example/"},
    )
    assert response["Location"].startswith("/console/?")


@pytest.mark.parametrize(
    ("client_name", "status_code"),
    [
        ("specialist_client", 403),
        ("admin_client", 403),
        ("consumer_client", 403),
        ("outsider_manager_at_bank", 302),  # a telco manager's own session, on the bank host
        ("anonymous_client", 302),
    ],
)
def test_bulk_is_refused_to_those_who_do_not_work_queues(
    request: pytest.FixtureRequest,
    three: list[Complaint],
    back_to_bank: Callable[[], Tenant],
    client_name: str,
    status_code: int,
) -> None:
    client: Client = request.getfixturevalue(client_name)
    before = [snapshot(c) for c in three]
    response = bulk(client, "priority", three, priority=Priority.URGENT)
    back_to_bank()
    assert response.status_code == status_code
    assert [snapshot(c) for c in three] == before


def test_bulk_form_is_offered_to_agents_not_to_specialists(
    agent_client: Client, specialist_client: Client, three: list[Complaint]
) -> None:
    assert b'id="bulk-form"' in agent_client.get("/console/").content
    assert b'id="bulk-form"' not in specialist_client.get("/console/").content


# --- Canned responses -----------------------------------------------------------------------

GREETING = "Dear {consumer_name}, about {reference}: {agent_name} at {organisation} will help."


@pytest.fixture
def canned(bank: Tenant) -> CannedResponse:
    return CannedResponse.objects.create(title="Greeting", body=GREETING)


def test_canned_response_fills_the_reply_box_by_htmx(
    agent_client: Client, complaint: Complaint, canned: CannedResponse
) -> None:
    response = agent_client.get(
        f"/console/complaints/{complaint.reference}/canned/", {"canned": canned.pk}, **HTMX
    )
    assert response.status_code == 200
    content = html.unescape(response.content.decode())
    assert content.lstrip().startswith('<textarea name="body"')
    assert 'id="id_reply_body"' in content
    assert (
        f"Dear Casey Consumer, about {complaint.reference}: Alex Agent at Northwind Bank will help."
    ) in content


def test_canned_response_without_javascript_shows_the_page_with_the_reply_filled(
    agent_client: Client, complaint: Complaint, canned: CannedResponse
) -> None:
    response = agent_client.get(
        f"/console/complaints/{complaint.reference}/canned/", {"canned": canned.pk}
    )
    content = html.unescape(response.content.decode())
    assert "<html" in content
    assert f"Dear Casey Consumer, about {complaint.reference}" in content


def test_complaint_page_offers_the_canned_responses_with_a_plain_form(
    agent_client: Client, complaint: Complaint, canned: CannedResponse
) -> None:
    content = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()
    assert f'action="/console/complaints/{complaint.reference}/canned/"' in content
    assert f'<option value="{canned.pk}">Greeting</option>' in content


def test_canned_response_fill_is_refused_to_those_who_may_not_reply(
    specialist_client: Client, referred: Complaint, canned: CannedResponse
) -> None:
    response = specialist_client.get(
        f"/console/complaints/{referred.reference}/canned/", {"canned": canned.pk}
    )
    assert response.status_code == 403


def test_canned_responses_are_tenant_scoped(
    agent_client: Client,
    manager_client: Client,
    complaint: Complaint,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
    back_to_bank: Callable[[], Tenant],
) -> None:
    activate(telco)
    foreign = CannedResponse.objects.create(title="Telco roaming", body="Roaming {reference}")
    back_to_bank()
    assert not CannedResponse.objects.filter(pk=foreign.pk).exists()
    response = agent_client.get(
        f"/console/complaints/{complaint.reference}/canned/", {"canned": foreign.pk}, **HTMX
    )
    assert response.status_code == 404
    assert b"Telco roaming" not in manager_client.get("/console/canned-responses/").content


def test_manager_adds_edits_and_deletes_a_canned_response(manager_client: Client) -> None:
    response = manager_client.post(
        "/console/canned-responses/", {"title": "Apology", "body": "Sorry, {consumer_name}."}
    )
    assert response.status_code == 302
    made = CannedResponse.objects.get(title="Apology")
    assert b"Apology" in manager_client.get("/console/canned-responses/").content

    manager_client.post(
        f"/console/canned-responses/{made.pk}/", {"title": "Apology", "body": "We are sorry."}
    )
    made.refresh_from_db()
    assert made.body == "We are sorry."

    manager_client.post(f"/console/canned-responses/{made.pk}/", {"delete": "1"})
    assert not CannedResponse.objects.filter(pk=made.pk).exists()


def test_canned_response_with_an_unknown_placeholder_is_refused(manager_client: Client) -> None:
    response = manager_client.post(
        "/console/canned-responses/", {"title": "Typo", "body": "Dear {customer_name}"}
    )
    assert response.status_code == 400
    assert "Unknown placeholder {customer_name}" in html.unescape(response.content.decode())
    assert not CannedResponse.objects.exists()


@pytest.mark.parametrize(
    ("client_name", "status_code"),
    [
        ("agent_client", 403),
        ("specialist_client", 403),
        ("consumer_client", 403),
        ("outsider_manager_at_bank", 302),  # a telco manager's own session, on the bank host
    ],
)
def test_canned_response_management_is_for_managers(
    request: pytest.FixtureRequest,
    canned: CannedResponse,
    back_to_bank: Callable[[], Tenant],
    client_name: str,
    status_code: int,
) -> None:
    client: Client = request.getfixturevalue(client_name)
    listing = client.get("/console/canned-responses/")
    change = client.post(f"/console/canned-responses/{canned.pk}/", {"delete": "1"})
    back_to_bank()
    assert (listing.status_code, change.status_code) == (status_code, status_code)
    assert canned.title.encode() not in listing.content
    assert CannedResponse.objects.filter(pk=canned.pk).exists()


# --- Presence -------------------------------------------------------------------------------


def test_second_staff_member_sees_who_else_is_viewing(
    agent_client: Client, manager_client: Client, complaint: Complaint
) -> None:
    url = f"/console/complaints/{complaint.reference}/"
    agent_client.get(url)
    content = manager_client.get(url).content.decode()
    assert "Alex Agent is viewing" in content
    assert "Morgan Manager is" not in content  # never yourself


def test_presence_says_replying_while_the_reply_box_has_text(
    agent_client: Client, manager_client: Client, complaint: Complaint
) -> None:
    presence = f"/console/complaints/{complaint.reference}/presence/"
    agent_client.get(f"/console/complaints/{complaint.reference}/")
    assert agent_client.post(presence, {"body": "Dear Casey"}, **HTMX).status_code == 204
    assert "Alex Agent is replying" in manager_client.get(presence, **HTMX).content.decode()

    agent_client.get(presence, **HTMX)  # the poll keeps the state
    assert "Alex Agent is replying" in manager_client.get(presence, **HTMX).content.decode()

    agent_client.post(presence, {"body": "  "}, **HTMX)
    assert "Alex Agent is viewing" in manager_client.get(presence, **HTMX).content.decode()


def test_presence_region_polls_and_the_reply_box_saves_its_draft_once_typing_pauses(
    agent_client: Client, manager_client: Client, complaint: Complaint
) -> None:
    content = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()
    presence = f"/console/complaints/{complaint.reference}/presence/"
    draft = f"/console/complaints/{complaint.reference}/draft/reply/"
    assert f'hx-get="{presence}" hx-trigger="every 15s"' in content
    # One trigger, debounced: the whole text is saved a second after the last keystroke (two
    # triggers on the same event once let only the first keystroke through).
    assert f'hx-post="{draft}" hx-trigger="input from:closest .reply-card delay:1s"' in content

    assert agent_client.post(draft, {"body": "We are looking"}, **HTMX).status_code == 204
    assert "Alex Agent is replying" in manager_client.get(presence, **HTMX).content.decode()


def test_presence_never_reaches_the_consumer(
    agent_client: Client, consumer_client: Client, complaint: Complaint
) -> None:
    agent_client.get(f"/console/complaints/{complaint.reference}/")
    portal = consumer_client.get(f"/complaints/{complaint.reference}/")
    assert portal.status_code == 200
    assert b"is viewing" not in portal.content
    assert b"Alex Agent" not in portal.content
    presence = f"/console/complaints/{complaint.reference}/presence/"
    assert consumer_client.get(presence, **HTMX).status_code == 403
    assert consumer_client.post(presence, {"body": "x"}, **HTMX).status_code == 403


@pytest.mark.parametrize(
    ("client_name", "status_code"),
    [
        ("other_agent_client", 404),
        ("outsider_manager_at_bank", 302),  # a telco manager's own session, on the bank host
        ("anonymous_client", 302),
    ],
)
def test_presence_is_refused_to_those_not_working_the_complaint(
    request: pytest.FixtureRequest,
    agent_client: Client,
    complaint: Complaint,
    back_to_bank: Callable[[], Tenant],
    client_name: str,
    status_code: int,
) -> None:
    agent_client.get(f"/console/complaints/{complaint.reference}/")
    client: Client = request.getfixturevalue(client_name)
    response = client.get(f"/console/complaints/{complaint.reference}/presence/")
    back_to_bank()
    assert response.status_code == status_code
    assert b"Alex Agent" not in response.content


def test_presence_is_kept_per_tenant(
    complaint: Complaint,
    agent: User,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
    back_to_bank: Callable[[], Tenant],
) -> None:
    back_to_bank()  # requesting the telco fixture switched the connection to telco
    record_presence(complaint, agent)
    activate(telco)
    telco_agent = create_user(Role.AGENT, "tess@example.com", full_name="Tess Telco")
    assert others_present(complaint, telco_agent) == []  # the same id in another schema
    back_to_bank()
    assert [p.name for p in others_present(complaint, telco_agent)] == ["Alex Agent"]


# --- Keyboard shortcuts and the complaint page's cost ----------------------------------------


@pytest.mark.parametrize("page", ["/console/", "/console/complaints/{reference}/"])
def test_console_pages_load_the_shortcuts_and_their_help_dialog(
    agent_client: Client, complaint: Complaint, page: str
) -> None:
    content = agent_client.get(page.format(reference=complaint.reference)).content.decode()
    assert '<script src="/static/js/console.js" defer></script>' in content
    assert (
        '<dialog id="shortcuts-help" class="shortcuts" aria-labelledby="shortcuts-title">'
        in content
    )


def test_shortcut_script_ignores_typing_and_knows_each_key() -> None:
    script = (Path(settings.BASE_DIR) / "static/js/console.js").read_text()
    assert 'tag === "input" || tag === "textarea" || tag === "select"' in script
    for key in ("j:", "k:", "o:", "x:", "r:", "n:", "a:", '"?":', '"Enter"'):
        assert key in script


def test_complaint_page_query_count_does_not_grow_with_canned_responses_or_viewers(
    agent_client: Client,
    manager_client: Client,
    complaint: Complaint,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    url = f"/console/complaints/{complaint.reference}/"
    CannedResponse.objects.create(title="One", body="One")
    agent_client.get(url)
    from tests.complaints.test_console import CONSOLE_PAGE_QUERIES

    for number in range(10):
        CannedResponse.objects.create(title=f"More {number}", body="Text")
    manager_client.get(url)
    with django_assert_num_queries(CONSOLE_PAGE_QUERIES):
        response = agent_client.get(url)
    assert response.content.count(b"<option value=") >= 11
    assert b"Morgan Manager is viewing" in response.content
