"""Finding a complaint in the console: by reference, by the consumer, by its words with or
without accents, in any status, closed ones included; and sorting by a column header."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Role, User
from complaints.models import Complaint, Status, Team
from tests.complaints.conftest import put_in_status, references_in


@pytest.fixture
def unaccent(bank: object) -> None:
    """Skip where the PostgreSQL server has no ``unaccent`` (the embedded one has none)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
        if cursor.fetchone() is None:
            pytest.skip("this PostgreSQL server has no unaccent extension")


@pytest.fixture
def mueller(make_user: Callable[..., User]) -> User:
    return make_user(Role.CONSUMER, "h.mueller@example.org", full_name="Hanna Müller")


@pytest.fixture
def theirs(make_complaint: Callable[..., Complaint], mueller: User, front_line: Team) -> Complaint:
    made = make_complaint(
        mueller, subject="Café card declined", description="My card was refused at the café."
    )
    Complaint.objects.filter(pk=made.pk).update(team=front_line)
    return made


@pytest.fixture
def bystander(make_complaint: Callable[..., Complaint], front_line: Team) -> Complaint:
    made = make_complaint(subject="Branch closed early", description="The doors were locked.")
    Complaint.objects.filter(pk=made.pk).update(team=front_line)
    return made


@pytest.mark.parametrize("how", ["exact", "lower", "without prefix", "padded"])
def test_a_reference_finds_its_complaint_alone(
    agent_client: Client, theirs: Complaint, bystander: Complaint, how: str
) -> None:
    reference = theirs.reference
    typed = {
        "exact": reference,
        "lower": reference.lower(),
        "without prefix": reference.removeprefix("C-"),
        "padded": f"  {reference.lower()} ",
    }[how]
    assert references_in(agent_client.get("/console/", {"q": typed})) == [reference]


def test_a_reference_the_agent_may_not_see_finds_nothing(
    agent_client: Client, theirs: Complaint, other_team: Team
) -> None:
    Complaint.objects.filter(pk=theirs.pk).update(team=other_team)
    assert references_in(agent_client.get("/console/", {"q": theirs.reference})) == []


@pytest.mark.parametrize("typed", ["h.mueller@example.org", "H.Mueller@Example.org", "Hanna"])
def test_the_consumers_name_or_e_mail_finds_their_complaints(
    agent_client: Client, theirs: Complaint, bystander: Complaint, typed: str
) -> None:
    assert references_in(agent_client.get("/console/", {"q": typed})) == [theirs.reference]


@pytest.mark.parametrize("typed", ["muller", "Muller", "MÜLLER", "cafe", "Café"])
def test_search_ignores_accents(
    unaccent: None, agent_client: Client, theirs: Complaint, bystander: Complaint, typed: str
) -> None:
    assert references_in(agent_client.get("/console/", {"q": typed})) == [theirs.reference]


def test_a_new_name_is_searchable_and_the_old_one_forgotten(
    agent_client: Client, theirs: Complaint, mueller: User
) -> None:
    mueller.full_name = "Hanna Schmidt"
    mueller.save()
    assert references_in(agent_client.get("/console/", {"q": "Schmidt"})) == [theirs.reference]
    assert references_in(agent_client.get("/console/", {"q": "Hanna Müller"})) == []


def test_a_sign_in_does_not_index_the_consumers_complaints_again(
    theirs: Complaint, mueller: User, django_assert_num_queries: Callable[..., object]
) -> None:
    user = User.objects.get(pk=mueller.pk)
    with django_assert_num_queries(1):
        user.save(update_fields=["last_login"])


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN])
def test_complaints_in_every_status_can_be_found(
    manager_client: Client, theirs: Complaint, bystander: Complaint, status: Status
) -> None:
    put_in_status(theirs, status)
    assert references_in(manager_client.get("/console/")) == [bystander.reference]
    by_status = manager_client.get("/console/", {"status": status.value})
    assert references_in(by_status) == [theirs.reference]
    every = references_in(manager_client.get("/console/", {"status": "all"}))
    assert sorted(every) == sorted([theirs.reference, bystander.reference])
    found = manager_client.get("/console/", {"status": "all", "q": "declined"})
    assert references_in(found) == [theirs.reference]
    by_reference = manager_client.get("/console/", {"status": "all", "q": theirs.reference})
    assert references_in(by_reference) == [theirs.reference]


def test_the_status_filter_offers_every_status_and_all(manager_client: Client) -> None:
    content = manager_client.get("/console/").content.decode()
    for value in [*Status.values, "all"]:
        assert f'<option value="{value}"' in content


def test_a_column_header_sorts_the_queue_and_a_second_click_reverses_it(
    manager_client: Client, theirs: Complaint, bystander: Complaint
) -> None:
    oldest_first = manager_client.get("/console/", {"priority": "normal"})
    content = oldest_first.content.decode()
    assert references_in(oldest_first) == [theirs.reference, bystander.reference]
    assert 'aria-sort="ascending"' in content
    assert 'href="?view=team&amp;priority=normal&amp;sort=-received"' in content
    newest_first = manager_client.get("/console/", {"priority": "normal", "sort": "-received"})
    content = newest_first.content.decode()
    assert references_in(newest_first) == [bystander.reference, theirs.reference]
    assert 'aria-sort="descending"' in content
    assert 'href="?view=team&amp;priority=normal&amp;sort=received"' in content
    assert 'href="?view=team&amp;priority=normal&amp;sort=due"' in content
