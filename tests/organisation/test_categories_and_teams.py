"""Categories (products and causes), root causes and teams."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Role, User
from audit.models import AuditEvent
from complaints.models import Category, Complaint, RootCause, Team


def test_admin_adds_a_cause_under_a_product_with_routing_and_audit(
    admin_client: Client,
    product: Category,
    front_line: Team,
    audit_rows: Callable[..., list[AuditEvent]],
) -> None:
    response = admin_client.post(
        "/settings/categories/new/",
        {
            "name": "Card fraud",
            "parent": product.pk,
            "team": front_line.pk,
            "payment_services": "on",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    created = Category.objects.get(name="Card fraud")
    assert created.parent == product and created.team == front_line and created.payment_services
    (event,) = audit_rows(AuditEvent.Action.CATEGORY_SAVED)
    assert event.target == "Current account / Card fraud"
    assert event.detail["created"] is True


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"name": "Fees and charges", "parent": "{product}"}, "already has a cause with this"),
        ({"name": "{product_name}"}, "A product with this name already exists."),
        # Invisible characters make neither a name nor a second name that reads the same.
        ({"name": "\u200b\u2060"}, "Give it a name."),
        ({"name": "{product_name}\u200b"}, "That name is already in use."),
        ({"name": "Deep", "parent": "{cause}"}, "Select a valid choice"),
    ],
)
def test_bad_categories_are_refused_and_nothing_is_saved(
    admin_client: Client, product: Category, cause: Category, data: dict[str, str], message: str
) -> None:
    data = {
        key: value.format(product=product.pk, cause=cause.pk, product_name=product.name)
        for key, value in data.items()
    }
    before = Category.objects.count()

    response = admin_client.post("/settings/categories/new/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Category.objects.count() == before
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CATEGORY_SAVED).exists()


def test_a_product_with_causes_cannot_become_a_cause(
    admin_client: Client, product: Category, cause: Category
) -> None:
    other = Category.objects.create(name="Mortgages")

    response = admin_client.post(
        f"/settings/categories/{product.pk}/", {"name": product.name, "parent": other.pk}
    )

    assert response.status_code == 400
    assert "cannot become a cause" in response.content.decode()
    product.refresh_from_db()
    assert product.parent is None


def test_a_used_category_is_deactivated_not_deleted(
    admin_client: Client, cause: Category, make_complaint: Callable[..., Complaint]
) -> None:
    make_complaint(category=cause)

    refused = admin_client.post(f"/settings/categories/{cause.pk}/delete/", follow=True)
    assert "deactivate it instead" in refused.content.decode()
    assert Category.objects.filter(pk=cause.pk).exists()

    admin_client.post(f"/settings/categories/{cause.pk}/active/", {"active": "0"})
    cause.refresh_from_db()
    assert not cause.is_active
    event = AuditEvent.objects.filter(action=AuditEvent.Action.CATEGORY_SAVED).get()
    assert event.detail["changes"] == {"is_active": [True, False]}


def test_an_unused_category_can_be_deleted(
    admin_client: Client, cause: Category, audit_rows: Callable[..., list[AuditEvent]]
) -> None:
    admin_client.post(f"/settings/categories/{cause.pk}/delete/")

    assert not Category.objects.filter(pk=cause.pk).exists()
    assert (
        audit_rows(AuditEvent.Action.CATEGORY_DELETED)[0].target
        == "Current account / Fees and charges"
    )


def test_root_causes_are_added_renamed_and_deactivated(
    admin_client: Client, root_cause: RootCause
) -> None:
    admin_client.post("/settings/root-causes/new/", {"name": "System fault", "is_active": "on"})
    admin_client.post(f"/settings/root-causes/{root_cause.pk}/", {"name": "Human error"})

    root_cause.refresh_from_db()
    assert root_cause.name == "Human error" and not root_cause.is_active
    assert RootCause.objects.filter(name="System fault", is_active=True).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ROOT_CAUSE_SAVED).count() == 2

    duplicate = admin_client.post("/settings/root-causes/new/", {"name": "System fault"})
    assert duplicate.status_code == 400
    assert RootCause.objects.count() == 2


def test_categories_page_queries_do_not_grow_with_categories(
    admin_client: Client, product: Category, django_assert_max_num_queries: Callable
) -> None:
    for number in range(15):
        parent = Category.objects.create(name=f"Product {number}")
        Category.objects.create(
            name="Cause", parent=parent, team=Team.objects.create(name=f"T{number}")
        )
        RootCause.objects.create(name=f"Root {number}")

    with django_assert_max_num_queries(14):
        assert admin_client.get("/settings/categories/").status_code == 200


def test_admin_creates_a_team_with_members_and_a_manager(
    admin_client: Client,
    agent: User,
    specialist: User,
    manager: User,
    audit_rows: Callable[..., list[AuditEvent]],
) -> None:
    response = admin_client.post(
        "/settings/teams/",
        {"name": "Complex cases", "members": [agent.pk, specialist.pk], "manager": manager.pk},
    )

    assert response.status_code == 302
    team = Team.objects.get(name="Complex cases")
    assert set(team.members.all()) == {agent, specialist}
    assert team.manager == manager
    (event,) = audit_rows(AuditEvent.Action.TEAM_SAVED)
    assert event.detail["added"] == ["alex@example.com", "sam@example.com"]


def test_renaming_a_team_and_changing_members_is_audited(
    admin_client: Client, front_line: Team, agent: User, specialist: User
) -> None:
    admin_client.post(
        f"/settings/teams/{front_line.pk}/", {"name": "First line", "members": [specialist.pk]}
    )

    front_line.refresh_from_db()
    assert front_line.name == "First line"
    assert list(front_line.members.all()) == [specialist]
    event = AuditEvent.objects.get(action=AuditEvent.Action.TEAM_SAVED)
    assert event.detail["added"] == ["sam@example.com"]
    assert event.detail["removed"] == ["alex@example.com"]
    assert event.detail["changes"]["name"] == ["Front line", "First line"]


@pytest.mark.parametrize("bad", ["consumer", "admin_as_member", "agent_as_manager", "no_name"])
def test_bad_team_input_is_refused(
    admin_client: Client,
    front_line: Team,
    consumer: User,
    tenant_admin: User,
    agent: User,
    bad: str,
) -> None:
    data: dict[str, object] = {"name": "Front line", "members": [agent.pk]}
    if bad == "consumer":
        data["members"] = [consumer.pk]
    elif bad == "admin_as_member":
        data["members"] = [tenant_admin.pk]
    elif bad == "agent_as_manager":
        data["manager"] = agent.pk
    else:
        data["name"] = ""

    response = admin_client.post(f"/settings/teams/{front_line.pk}/", data)

    assert response.status_code == 400
    assert list(front_line.members.all()) == [agent]
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TEAM_SAVED).exists()


def test_teams_page_queries_do_not_grow_with_teams(
    admin_client: Client,
    make_user: Callable[..., User],
    django_assert_max_num_queries: Callable,
) -> None:
    for number in range(10):
        team = Team.objects.create(name=f"Team {number}", manager=make_user(Role.MANAGER))
        team.members.add(make_user(Role.AGENT), make_user(Role.SPECIALIST))

    with django_assert_max_num_queries(12):
        assert admin_client.get("/settings/teams/").status_code == 200


# Every settings form that can meet a uniqueness rule: where it posts, what it posts twice,
# the heading of the form on its page, and a word of the refusal.
ADDED_TWICE = [
    (
        "/settings/categories/new/",
        {"name": "Savings", "is_active": "on"},
        "Add a category",
        "already",
    ),
    (
        "/settings/root-causes/new/",
        {"name": "Late post", "is_active": "on"},
        "Add a root cause",
        "already",
    ),
    ("/settings/hours/closures/", {"day": "2027-12-24", "name": "Eve"}, "Add a closure", "already"),
    ("/settings/teams/", {"name": "Disputes"}, "New team", "already"),
    (
        "/console/canned-responses/",
        {"title": "Thanks", "body": "Thank you."},
        "Add a canned response",
        "already",
    ),
]


@pytest.mark.parametrize(("url", "data", "heading", "word"), ADDED_TWICE)
def test_adding_something_twice_shows_the_refusal_focused_in_the_form_on_an_address_that_reloads(
    admin_client: Client, url: str, data: dict[str, str], heading: str, word: str
) -> None:
    first = admin_client.post(url, data)
    twice = admin_client.post(url, data)
    again = admin_client.get(url)

    assert first.status_code == 302, first.content.decode()[:500]
    assert twice.status_code == 400
    page = twice.content.decode()
    after_heading = page[page.index(heading) :]
    form = after_heading[: after_heading.index("</form>")]
    assert '<div class="form-errors" role="alert" tabindex="-1" autofocus>' in form
    assert word in form
    assert page.count("autofocus") == 1
    assert "onstraint" not in page
    assert again.status_code == 200
