"""Saved queue views: personal and shared, with their filters, order and columns, a capped
count beside each, and the managers' "awaiting my approval" queue."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from accounts.models import Role, User
from complaints import views
from complaints.models import (
    Complaint,
    Outcome,
    Priority,
    ResolutionProposal,
    RootCause,
    SavedView,
    Team,
    saved_views_of,
)
from configuration.cache import forget_pending_changes
from tests.complaints.conftest import references_in


@pytest.fixture
def queue(make_complaint: Callable[..., Complaint], front_line: Team) -> list[Complaint]:
    made = [make_complaint(subject=f"Complaint {n}") for n in range(3)]
    Complaint.objects.filter(pk__in=[c.pk for c in made]).update(team=front_line)
    Complaint.objects.filter(pk=made[2].pk).update(priority=Priority.URGENT)
    return made


def save(client: Client, **fields: Any) -> Any:
    data = {"name": "Urgent", "query": "view=team&priority=urgent&sort=-received"} | fields
    return client.post("/console/views/", data)


def test_an_agent_saves_a_view_and_opens_it_with_its_filters_and_columns(
    agent_client: Client, agent: User, queue: list[Complaint]
) -> None:
    response = save(agent_client, columns=["status", "due"])
    view = SavedView.objects.get(owner=agent)
    assert view.query == "view=team&priority=urgent&sort=-received"
    assert view.columns == ["status", "due"]
    assert not view.shared
    assert response["Location"] == f"/console/?{view.query}&saved={view.pk}"

    opened = agent_client.get(response["Location"])
    content = opened.content.decode()
    assert references_in(opened) == [queue[2].reference]
    assert '<th scope="col">Status</th>' in content
    assert '<th scope="col">Consumer</th>' not in content
    assert ">Received<" not in content
    assert 'aria-current="page">Urgent' in content


def test_each_view_is_listed_with_its_count(
    agent_client: Client, agent: User, queue: list[Complaint]
) -> None:
    SavedView.objects.create(name="Everything", owner=agent, query="view=team")
    content = agent_client.get("/console/").content.decode()
    assert "Everything" in content
    assert '<span class="count">3<span class="visually-hidden"> complaints</span>' in content


def test_a_count_reads_at_most_the_cap_and_says_so(
    agent_client: Client, agent: User, queue: list[Complaint], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "VIEW_COUNT_CAP", 2)
    SavedView.objects.create(name="Everything", owner=agent, query="view=team")
    content = agent_client.get("/console/").content.decode()
    assert '<span class="count">2+<span class="visually-hidden">' in content


def test_counts_are_kept_briefly_so_a_second_page_does_not_count_again(
    agent_client: Client,
    agent: User,
    queue: list[Complaint],
    django_assert_num_queries: Callable[..., Any],
) -> None:
    SavedView.objects.create(name="Everything", owner=agent, query="view=team")
    SavedView.objects.create(name="Urgent", owner=agent, query="priority=urgent")
    agent_client.get("/console/")
    # The queue page's own queries (tests/complaints/test_console.py), the list of views
    # included (from the tenant's cache); no count.
    with django_assert_num_queries(5):
        agent_client.get("/console/")


def test_an_agent_cannot_share_a_view_but_a_manager_can(
    agent_client: Client,
    manager_client: Client,
    agent: User,
    manager: User,
    other_agent_client: Client,
    queue: list[Complaint],
) -> None:
    save(agent_client, shared="on")
    assert not SavedView.objects.get(owner=agent).shared
    save(manager_client, name="Team urgent", shared="on")
    shared = SavedView.objects.get(owner=manager)
    assert shared.shared
    content = other_agent_client.get("/console/").content.decode()
    assert "Team urgent" in content
    assert ">Urgent <span" not in content  # the agent's own view stays theirs


def test_a_shared_view_shows_each_person_only_what_they_may_see(
    manager: User, other_agent_client: Client, queue: list[Complaint]
) -> None:
    shared = SavedView.objects.create(
        name="All urgent", owner=manager, shared=True, query="priority=urgent"
    )
    opened = other_agent_client.get(f"/console/?{shared.query}&saved={shared.pk}")
    assert references_in(opened) == []


def test_views_are_removed_by_their_owner_or_for_shared_ones_a_manager(
    agent_client: Client,
    manager_client: Client,
    other_agent_client: Client,
    agent: User,
    manager: User,
) -> None:
    mine = SavedView.objects.create(name="Mine", owner=agent, query="view=mine")
    shared = SavedView.objects.create(name="Shared", owner=manager, shared=True, query="")
    assert other_agent_client.post(f"/console/views/{mine.pk}/delete/").status_code == 404
    agent_client.post(f"/console/views/{shared.pk}/delete/")
    assert SavedView.objects.filter(pk=shared.pk).exists()
    agent_client.post(f"/console/views/{mine.pk}/delete/")
    assert not SavedView.objects.filter(pk=mine.pk).exists()
    manager_client.post(f"/console/views/{shared.pk}/delete/")
    assert not SavedView.objects.filter(pk=shared.pk).exists()


def rename(client: Client, view: SavedView, name: str) -> Any:
    return client.post(f"/console/views/{view.pk}/rename/", {"name": name})


def test_an_agent_renames_their_own_view_and_stays_on_it(agent_client: Client, agent: User) -> None:
    mine = SavedView.objects.create(name="Mine", owner=agent, query="view=mine")

    response = rename(agent_client, mine, "  My   open work ")

    mine.refresh_from_db()
    assert mine.name == "My open work"
    assert response["Location"] == f"/console/?view=mine&saved={mine.pk}"
    page = agent_client.get(response["Location"]).content.decode()
    assert "View “Mine” renamed to “My open work”." in page
    assert 'aria-current="page">My open work' in page


def test_a_rename_to_a_name_the_owner_already_uses_is_refused_with_a_sentence(
    agent_client: Client, manager_client: Client, agent: User, manager: User
) -> None:
    SavedView.objects.create(name="Urgent", owner=agent, query="view=team")
    mine = SavedView.objects.create(name="Mine", owner=agent, query="view=mine")
    SavedView.objects.create(name="Weekly", owner=manager, query="view=team")
    shared = SavedView.objects.create(name="Team", owner=manager, shared=True, query="view=team")

    refused = rename(agent_client, mine, "Urgent")
    also_refused = rename(manager_client, shared, "Weekly")

    assert SavedView.objects.get(pk=mine.pk).name == "Mine"
    assert (
        "You already have a view named “Urgent”."
        in agent_client.get(refused["Location"]).content.decode()
    )
    assert (
        "You already have a view named “Weekly”."
        in manager_client.get(also_refused["Location"]).content.decode()
    )
    assert "Constraint" not in agent_client.get(refused["Location"]).content.decode()


def test_shared_views_are_renamed_by_managers_only_and_others_views_by_nobody(
    agent_client: Client,
    manager_client: Client,
    other_agent_client: Client,
    agent: User,
    manager: User,
) -> None:
    mine = SavedView.objects.create(name="Mine", owner=agent, query="view=mine")
    shared = SavedView.objects.create(name="Shared", owner=manager, shared=True, query="")

    assert rename(other_agent_client, mine, "Theirs").status_code == 404
    page = agent_client.get(rename(agent_client, shared, "Taken over")["Location"])
    assert "You may not rename this view." in page.content.decode()
    assert SavedView.objects.get(pk=shared.pk).name == "Shared"
    rename(manager_client, shared, "Team backlog")
    assert SavedView.objects.get(pk=shared.pk).name == "Team backlog"
    assert SavedView.objects.get(pk=mine.pk).name == "Mine"


def test_a_rename_without_a_proper_name_is_refused(agent_client: Client, agent: User) -> None:
    mine = SavedView.objects.create(name="Mine", owner=agent, query="view=mine")

    for name, message in (("   ", "Give the view a name."), ("x" * 61, "at most 60 characters")):
        page = agent_client.get(rename(agent_client, mine, name)["Location"]).content.decode()
        assert message in page
    assert SavedView.objects.get(pk=mine.pk).name == "Mine"


def test_the_queue_offers_a_rename_for_the_view_one_may_change(
    agent_client: Client, agent: User, manager: User
) -> None:
    mine = SavedView.objects.create(name="Mine", owner=agent, query="view=mine")
    shared = SavedView.objects.create(name="Shared", owner=manager, shared=True, query="")

    own_page = agent_client.get(f"/console/?view=mine&saved={mine.pk}").content.decode()
    shared_page = agent_client.get(f"/console/?saved={shared.pk}").content.decode()

    assert f'action="/console/views/{mine.pk}/rename/"' in own_page
    assert f'action="/console/views/{shared.pk}/rename/"' not in shared_page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "   "}, "Give the view a name."),
        ({"name": "x" * 61}, "at most 60 characters"),
    ],
)
def test_a_view_without_a_proper_name_is_refused_with_a_sentence(
    agent_client: Client, agent: User, fields: dict[str, str], message: str
) -> None:
    response = save(agent_client, **fields)
    assert not SavedView.objects.filter(owner=agent).exists()
    page = agent_client.get(response["Location"]).content.decode()
    assert message in page


@pytest.mark.parametrize("again", ["Urgent", "URGENT", " urgent ", "Urg\u200bent"])
def test_a_name_used_twice_is_refused_with_a_sentence(
    agent_client: Client, agent: User, again: str
) -> None:
    save(agent_client)
    response = save(agent_client, name=again)
    assert SavedView.objects.filter(owner=agent).count() == 1
    assert "You already have a view named" in agent_client.get(response["Location"]).content.decode(
        "utf-8"
    )


def test_a_name_keeps_no_invisible_characters(agent_client: Client, agent: User) -> None:
    save(agent_client, name="a\u202eb\u200b c")

    assert SavedView.objects.get(owner=agent).name == "ab c"


def test_a_rename_to_another_case_of_a_name_used_is_refused(
    agent_client: Client, agent: User
) -> None:
    SavedView.objects.create(name="Urgent", owner=agent, query="view=team")
    mine = SavedView.objects.create(name="Mine", owner=agent, query="view=mine")

    rename(agent_client, mine, "uRGENT")

    assert SavedView.objects.get(pk=mine.pk).name == "Mine"


def test_only_what_the_queue_reads_is_kept_from_the_query(
    agent_client: Client, agent: User
) -> None:
    save(agent_client, query="view=team&priority=extreme&q=a%00b&evil=1&after=abc&saved=4")
    assert SavedView.objects.get(owner=agent).query == "view=team"


def test_consumers_and_outsiders_cannot_save_views(
    consumer_client: Client, outsider_at_bank: Client
) -> None:
    assert save(consumer_client).status_code == 403
    assert save(outsider_at_bank).status_code in (302, 403)
    assert not SavedView.objects.exists()


@pytest.fixture
def proposal(queue: list[Complaint], agent: User) -> ResolutionProposal:
    cause = RootCause.objects.create(name="Process gap")
    return ResolutionProposal.objects.create(
        complaint=queue[1],
        outcome=Outcome.UPHELD,
        summary="We refund the fee.",
        root_cause=cause,
        proposed_by=agent,
    )


def test_managers_have_a_queue_of_resolutions_awaiting_their_approval(
    manager_client: Client, proposal: ResolutionProposal
) -> None:
    content = manager_client.get("/console/").content.decode()
    assert ">Awaiting my approval</a>" in content
    waiting = manager_client.get("/console/?view=approval")
    assert references_in(waiting) == [proposal.complaint.reference]


def test_agents_have_no_approval_queue(
    agent_client: Client, proposal: ResolutionProposal, queue: list[Complaint]
) -> None:
    assert b"Awaiting my approval" not in agent_client.get("/console/").content
    # Asked for anyway, it is their ordinary queue.
    assert len(references_in(agent_client.get("/console/?view=approval"))) == 3


def test_the_cached_list_of_views_is_the_one_the_database_gives(
    agent: User, manager: User, make_user: Callable[..., User]
) -> None:
    colleague = make_user(Role.AGENT, "cora@example.com", full_name="Cora Colleague")
    for owner, name, shared in [
        (agent, "b mine", False),
        (agent, "A mine", False),
        (agent, "shared by me", True),
        (manager, "Team urgent", True),
        (manager, "manager's own", False),
        (colleague, "cora's own", False),
    ]:
        SavedView.objects.create(owner=owner, name=name, shared=shared, query="view=team")

    for person in (agent, manager, colleague):
        assert saved_views_of(person) == list(SavedView.objects.available_to(person))
    # Shared first (the manager's and the agent's own), then the agent's own.
    assert {view.name for view in saved_views_of(agent)[:2]} == {"Team urgent", "shared by me"}


def seen_by(person: User) -> list[SavedView]:
    """The views ``person`` is offered at the next request (every change before it
    committed: the list is read from the tenant's cache, not the database)."""
    forget_pending_changes()
    return saved_views_of(person)


def test_the_cached_list_follows_every_change_at_once(
    agent: User, make_user: Callable[..., User]
) -> None:
    colleague = make_user(Role.AGENT, "cora@example.com", full_name="Cora Colleague")
    view = SavedView.objects.create(owner=colleague, name="Cora's", query="view=team")
    assert seen_by(agent) == []

    view.shared = True
    view.save()
    assert [v.name for v in seen_by(agent)] == ["Cora's"]

    view.name = "Cards"
    view.save()
    assert [v.name for v in seen_by(agent)] == ["Cards"]

    colleague.delete()  # their views go with them
    assert seen_by(agent) == []

    mine = SavedView.objects.create(owner=agent, name="Mine", query="view=mine")
    assert seen_by(agent) == [mine]
    mine.delete()
    assert seen_by(agent) == []


def test_a_bulk_write_to_saved_views_is_followed_at_once(agent: User, manager: User) -> None:
    view = SavedView.objects.create(owner=manager, name="Team", shared=True, query="view=team")
    assert seen_by(agent) == [view]
    assert seen_by(agent) == [view]  # now from the cache

    SavedView.objects.filter(pk=view.pk).update(shared=False)
    assert seen_by(agent) == []

    SavedView.objects.bulk_create([SavedView(owner=agent, name="Bulk", query="view=mine")])
    assert [v.name for v in seen_by(agent)] == ["Bulk"]
