"""List rows (``Complaint.objects.for_list()``, and the queue's plain rows, ``for_queue()``)
take their category, team and staff from the tenant's configuration cache
(``ListRowIterable``, ``PlainRowIterable``): a change is seen by the next request, a row the
cache lacks is read in one query, a person no longer active is still named, and one tenant's
entries never name another's rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from accounts.models import Role, User
from complaints.models import LIST_COLUMNS, Category, Complaint, ListRow, Team
from configuration.cache import forget_pending_changes
from tenancy.models import Tenant
from tests.conftest import create_user, sign_in, tenant_client


@pytest.fixture
def listed(
    make_complaint: Callable[..., Complaint], category: Category, front_line: Team, agent: User
) -> Complaint:
    """A complaint with a category, a team and an assignee, in the active queue."""
    made = make_complaint(category=category)
    Complaint.objects.filter(pk=made.pk).update(team=front_line, assignee=agent, status="open")
    return made


# Both kinds of list row: model instances, and the queue's plain rows.
ROWS = pytest.mark.parametrize("shape", ["for_list", "for_queue"])


def row_of(complaint: Complaint, shape: str = "for_list") -> Any:
    (row,) = getattr(Complaint.objects.filter(pk=complaint.pk), shape)()
    return row


@pytest.mark.parametrize("full_name", ["Casey Consumer", ""])
def test_a_plain_row_shows_what_the_model_row_shows(
    listed: Complaint, consumer: User, full_name: str
) -> None:
    User.objects.filter(pk=consumer.pk).update(full_name=full_name)
    forget_pending_changes()
    model, plain = row_of(listed), row_of(listed, "for_queue")

    assert isinstance(plain, ListRow) and not isinstance(plain, Complaint)
    assert plain.pk == model.pk == listed.pk
    for column in LIST_COLUMNS:
        if "__" in column:
            continue
        assert getattr(plain, column) == getattr(model, column), column
    for relation in ("category", "team", "assignee"):
        assert getattr(plain, f"{relation}_id") == getattr(model, f"{relation}_id")
    assert plain.consumer.pk == model.consumer.pk == consumer.pk
    assert plain.consumer.display_name == model.consumer.display_name
    assert plain.consumer.display_name == (full_name or consumer.email)


@ROWS
def test_rows_name_their_category_team_and_assignee_without_a_query_each(
    shape: str,
    listed: Complaint,
    make_complaint: Callable[..., Complaint],
    make_user: Callable[..., User],
    django_assert_num_queries: Any,
) -> None:
    for number in range(5):  # more rows, each with a category, team and assignee of its own
        product = Category.objects.create(name=f"Product {number}")
        made = make_complaint(category=Category.objects.create(name="Cause", parent=product))
        Complaint.objects.filter(pk=made.pk).update(
            team=Team.objects.create(name=f"Team {number}"),
            assignee=make_user(Role.AGENT, full_name=f"Agent {number}"),
        )
    forget_pending_changes()  # as a new request would: the changes above are committed
    list(getattr(Complaint.objects, shape)())  # the cache is filled

    with django_assert_num_queries(1):
        rows = list(getattr(Complaint.objects.order_by("pk"), shape)())
        names = [(str(row.category), str(row.team), row.assignee.display_name) for row in rows]

    assert names[0] == ("Current account / Fees and charges", "Front line", "Alex Agent")
    assert names[1:] == [
        (f"Product {number} / Cause", f"Team {number}", f"Agent {number}") for number in range(5)
    ]


def test_a_renamed_category_team_or_person_shows_in_the_next_request(
    listed: Complaint, manager_client: Client, category: Category, front_line: Team, agent: User
) -> None:
    page = manager_client.get("/console/?view=all").content.decode()
    assert "Fees and charges" in page and "Front line" in page and "Alex Agent" in page

    category.name = "Overdraft fees"
    category.save()
    front_line.name = "Complaints desk"
    front_line.save()
    agent.full_name = "Alex Adeyemi"
    agent.save()
    page = manager_client.get("/console/?view=all").content.decode()

    assert "Overdraft fees" in page and "Fees and charges" not in page
    assert "Complaints desk" in page and "Front line" not in page
    assert "Alex Adeyemi" in page


@ROWS
def test_a_row_the_cache_lacks_is_read_in_one_query(
    shape: str, listed: Complaint, django_assert_num_queries: Any
) -> None:
    forget_pending_changes()
    row_of(listed, shape)  # the cache is filled
    with connection.cursor() as cursor:  # rows written around the models' signals
        cursor.execute(
            "INSERT INTO complaints_team (name, is_default)"
            " VALUES ('Written directly', false) RETURNING id"
        )
        (team_id,) = cursor.fetchone()
        cursor.execute(
            "UPDATE complaints_complaint SET team_id = %s WHERE id = %s", [team_id, listed.pk]
        )
    forget_pending_changes()

    with django_assert_num_queries(2):  # the row, then the team the cache lacks
        row = row_of(listed, shape)
        assert str(row.team) == "Written directly"


def test_a_suspended_assignee_and_a_referred_specialist_are_still_named(
    listed: Complaint, agent: User, specialist: User
) -> None:
    Complaint.objects.filter(pk=listed.pk).update(specialist=specialist)
    agent.is_active = False
    agent.save()

    row = Complaint.objects.filter(pk=listed.pk).for_list("specialist").get()

    assert row.assignee.display_name == "Alex Agent"
    assert row.specialist.display_name == "Sam Specialist"


@ROWS
def test_rows_without_a_category_team_or_assignee(
    shape: str, make_complaint: Callable[..., Complaint], django_assert_num_queries: Any
) -> None:
    made = make_complaint()
    with django_assert_num_queries(1):
        row = row_of(made, shape)
        assert (row.category, row.team, row.assignee) == (None, None, None)


def test_one_tenants_cached_rows_never_name_anothers(
    listed: Complaint, manager_client: Client, bank: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    manager_client.get("/console/?view=all")  # the bank's entries are filled
    telco = activate(Tenant.objects.get(slug="telco"))
    team = Team.objects.create(name="Telco line")
    product = Category.objects.create(name="Broadband")
    cause = Category.objects.create(name="Slow speeds", parent=product)
    manager = create_user(Role.MANAGER, "telco.manager@example.com", full_name="Tam Telco")
    consumer = create_user(Role.CONSUMER, "telco.consumer@example.com")
    made = Complaint.objects.create(
        consumer=consumer,
        subject="Line drops every evening",
        description="Since May.",
        category=cause,
        team=team,
        assignee=manager,
        status="open",
    )

    page = sign_in(tenant_client(telco), manager).get("/console/?view=all").content.decode()

    assert made.reference in page
    assert "Broadband / Slow speeds" in page and "Telco line" in page and "Tam Telco" in page
    assert "Fees and charges" not in page and "Front line" not in page
    assert "Alex Agent" not in page
