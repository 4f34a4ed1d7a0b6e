"""Categories, root causes, teams, staff, reports and the audit log over the API, by role:
allowed, refused (403), not found (404), and another tenant's token (401); exact query
counts for the lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import time_machine
from django.test import Client

from accounts.models import Invitation, Role, User
from complaints.models import Category, Complaint, RootCause, Team
from outbox.models import Message
from tests.api.conftest import COMPLAINTS_URL, post_json

API = "/api/v1/"


def patch_json(client: Client, path: str, data: object) -> object:
    return client.patch(path, data, content_type="application/json")


@pytest.fixture
def catalogue(category: Category) -> dict[str, Category]:
    retired = Category.objects.create(name="Retired cause", parent=category.parent, is_active=False)
    return {"cause": category, "product": category.parent, "retired": retired}  # type: ignore[dict-item]


# --- categories -------------------------------------------------------------------------------


def test_consumers_read_the_active_product_and_cause_tree(
    consumer_api: Client, catalogue: dict[str, Category]
) -> None:
    response = consumer_api.get(f"{API}categories/")

    assert response.status_code == 200
    (product,) = response.json()
    assert product["id"] == catalogue["product"].pk
    assert product["causes"] == [{"id": catalogue["cause"].pk, "name": "Fees and charges"}]


def test_staff_see_retired_causes_too(agent_api: Client, catalogue: dict[str, Category]) -> None:
    (product,) = agent_api.get(f"{API}categories/").json()

    assert {cause["name"] for cause in product["causes"]} == {"Fees and charges", "Retired cause"}


def test_admin_creates_and_deactivates_a_category_through_the_settings_rules(
    admin_api: Client, catalogue: dict[str, Category]
) -> None:
    created = post_json(
        admin_api, f"{API}categories/", {"name": "Overdraft", "parent": catalogue["product"].pk}
    )
    twice = post_json(
        admin_api, f"{API}categories/", {"name": "Overdraft", "parent": catalogue["product"].pk}
    )

    assert created.status_code == 201, created.content
    assert twice.status_code == 400
    assert "already has a cause with this name" in twice.json()["detail"]
    made = created.json()["id"]
    retired = patch_json(admin_api, f"{API}categories/{made}/", {"is_active": False})
    assert retired.status_code == 200, retired.content  # type: ignore[attr-defined]
    assert Category.objects.get(pk=made).is_active is False
    assert Category.objects.get(pk=made).name == "Overdraft"


@pytest.mark.parametrize("role_api", ["consumer_api", "agent_api", "manager_api"])
def test_only_admins_change_categories(
    role_api: str, request: pytest.FixtureRequest, catalogue: dict[str, Category]
) -> None:
    client: Client = request.getfixturevalue(role_api)

    created = post_json(client, f"{API}categories/", {"name": "Sneaky"})
    changed = patch_json(client, f"{API}categories/{catalogue['cause'].pk}/", {"name": "X"})

    assert created.status_code == 403
    assert changed.status_code == 403  # type: ignore[attr-defined]
    assert not Category.objects.filter(name__in=["Sneaky", "X"]).exists()


def test_an_unknown_category_is_a_404(admin_api: Client, catalogue: dict[str, Category]) -> None:
    for pk in ("999999", "1e999", "0x10"):
        assert admin_api.get(f"{API}categories/{pk}/").status_code == 404


# --- root causes, teams, staff ----------------------------------------------------------------


@pytest.mark.parametrize("resource", ["root-causes", "teams", "staff"])
def test_consumers_may_not_read_staff_resources(consumer_api: Client, resource: str) -> None:
    assert consumer_api.get(f"{API}{resource}/").status_code == 403


def test_staff_read_root_causes_teams_and_staff(
    agent_api: Client, agent: User, consumer: User, front_line: Team
) -> None:
    RootCause.objects.create(name="Processing error")

    causes = agent_api.get(f"{API}root-causes/").json()
    teams = agent_api.get(f"{API}teams/").json()
    staff = agent_api.get(f"{API}staff/").json()

    assert [cause["name"] for cause in causes] == ["Processing error"]
    assert teams == [
        {
            "id": front_line.pk,
            "name": "Front line",
            "manager_id": None,
            "is_default": False,
            "members": [agent.pk],
        }
    ]
    assert consumer.email not in str(staff)
    assert agent.email in str(staff)


def test_admin_creates_a_team_with_members(admin_api: Client, agent: User) -> None:
    response = post_json(admin_api, f"{API}teams/", {"name": "Cards", "members": [agent.pk]})

    assert response.status_code == 201, response.content
    assert response.json()["members"] == [agent.pk]


def test_admin_deactivates_a_staff_member_handing_their_work_back(
    admin_api: Client, agent: User, complaint: Complaint
) -> None:
    complaint.assignee = agent
    complaint.save(update_fields=["assignee"])

    response = patch_json(admin_api, f"{API}staff/{agent.pk}/", {"is_active": False})

    assert response.status_code == 200, response.content  # type: ignore[attr-defined]
    agent.refresh_from_db()
    complaint.refresh_from_db()
    assert agent.is_active is False
    assert complaint.assignee is None


def test_a_manager_may_not_change_staff(manager_api: Client, agent: User) -> None:
    assert (
        patch_json(manager_api, f"{API}staff/{agent.pk}/", {"role": "manager"}).status_code == 403
    )  # type: ignore[attr-defined]
    agent.refresh_from_db()
    assert agent.role == Role.AGENT


def test_a_consumer_is_not_staff_so_not_found_among_staff(
    admin_api: Client, consumer: User
) -> None:
    assert admin_api.get(f"{API}staff/{consumer.pk}/").status_code == 404


# --- staff invitations ------------------------------------------------------------------------

INVITATIONS = f"{API}staff-invitations/"


def test_admin_invites_a_colleague_who_gets_the_link_by_email_only(admin_api: Client) -> None:
    response = post_json(
        admin_api, INVITATIONS, {"email": " New.Agent@Example.com ", "role": "agent"}
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["email"], body["role"]) == ("new.agent@example.com", "agent")
    invitation = Invitation.objects.get(pk=body["id"])
    assert invitation.is_usable
    (message,) = Message.objects.filter(recipient="new.agent@example.com")
    assert "/invitations/" in message.body
    assert "token" not in body and message.body.split("/invitations/")[1][:20] not in str(body)
    assert [row["id"] for row in admin_api.get(INVITATIONS).json()] == [invitation.pk]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "not-an-address", "role": "agent"}, "email"),
        ({"email": "a" * 245 + "@x.example", "role": "agent"}, "email"),
        ({"email": "x@example.com", "role": "consumer"}, "role"),
        ({"email": "x@example.com", "role": "superuser"}, "role"),
        ({"email": "x@example.com"}, "role"),
    ],
)
def test_an_invitation_that_does_not_fit_is_a_400_and_sends_nothing(
    admin_api: Client, data: dict[str, str], field: str
) -> None:
    response = post_json(admin_api, INVITATIONS, data)

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Invitation.objects.exists()
    assert not Message.objects.filter(recipient="x@example.com").exists()


def test_an_address_with_an_account_is_not_invited(admin_api: Client, agent: User) -> None:
    response = post_json(admin_api, INVITATIONS, {"email": agent.email.upper(), "role": "admin"})

    assert response.status_code == 400
    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role_api", ["consumer_api", "agent_api", "manager_api"])
def test_only_admins_invite(role_api: str, request: pytest.FixtureRequest) -> None:
    client: Client = request.getfixturevalue(role_api)

    assert (
        post_json(client, INVITATIONS, {"email": "x@example.com", "role": "admin"}).status_code
        == 403
    )
    assert client.get(INVITATIONS).status_code == 403
    assert not Invitation.objects.exists()


def test_admin_resends_and_revokes_an_invitation(admin_api: Client) -> None:
    first = post_json(admin_api, INVITATIONS, {"email": "x@example.com", "role": "agent"}).json()

    resent = admin_api.post(f"{INVITATIONS}{first['id']}/resend/", content_type="application/json")

    assert resent.status_code == 201
    second = resent.json()["id"]
    assert not Invitation.objects.get(pk=first["id"]).is_usable
    assert admin_api.get(f"{INVITATIONS}{first['id']}/").status_code == 404
    assert admin_api.delete(f"{INVITATIONS}{second}/").status_code == 204
    assert not Invitation.objects.get(pk=second).is_usable
    assert admin_api.delete(f"{INVITATIONS}{second}/").status_code == 404
    assert admin_api.get(INVITATIONS).json() == []
    assert admin_api.get(f"{INVITATIONS}not-a-number/").status_code == 404


def test_a_retried_invitation_with_the_same_key_invites_once(admin_api: Client) -> None:
    def invite() -> object:
        return admin_api.post(
            INVITATIONS,
            {"email": "x@example.com", "role": "agent"},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="invite-1",
        )

    first, again = invite(), invite()

    assert again["Idempotent-Replayed"] == "true"  # type: ignore[index]
    assert again.json() == first.json()  # type: ignore[attr-defined]
    assert Invitation.objects.count() == 1
    assert Message.objects.filter(recipient="x@example.com").count() == 1


# --- reports and the audit log ----------------------------------------------------------------


def test_managers_read_the_dashboard_and_the_return_as_json(
    manager_api: Client, complaint: Complaint
) -> None:
    dashboard = manager_api.get(f"{API}reports/dashboard/")
    regulatory = manager_api.get(f"{API}reports/return/")

    assert dashboard.status_code == regulatory.status_code == 200
    assert dashboard.json()["tables"]
    assert all(table["headers"] for table in regulatory.json()["tables"])


# 11:00 UTC is noon in London in summer; the default at-risk margin is an hour.
@time_machine.travel(datetime(2026, 6, 30, 11, 0, tzinfo=UTC), tick=False)
def test_the_dashboard_as_json_gives_a_deadline_in_iso_8601_with_the_tenants_offset(
    api_client_for: Callable[..., Client], manager: User, complaint: Complaint
) -> None:
    Complaint.objects.filter(pk=complaint.pk).update(
        next_due_at=datetime(2026, 6, 30, 11, 41, tzinfo=UTC)
    )
    manager_api = api_client_for(manager)  # a token of the moment the test runs at

    tables = manager_api.get(f"{API}reports/dashboard/").json()["tables"]

    (at_risk,) = [table for table in tables if table["key"] == "at-risk"]
    assert at_risk["rows"][0][0] == complaint.reference
    assert at_risk["rows"][0][5] == "2026-06-30T12:41:00+01:00"


@pytest.mark.parametrize("role_api", ["consumer_api", "agent_api"])
def test_only_managers_and_admins_read_reports(
    role_api: str, request: pytest.FixtureRequest
) -> None:
    client: Client = request.getfixturevalue(role_api)

    assert client.get(f"{API}reports/dashboard/").status_code == 403


def test_a_report_period_that_does_not_fit_is_a_400(manager_api: Client) -> None:
    response = manager_api.get(
        f"{API}reports/dashboard/", {"date_from": "2026-05-01", "date_to": "2026-01-01"}
    )

    assert response.status_code == 400
    assert "date_to" in response.json()["errors"]


def test_admins_read_and_filter_the_audit_log(admin_api: Client) -> None:
    everything = admin_api.get(f"{API}audit-events/").json()["results"]
    sign_ins = admin_api.get(f"{API}audit-events/", {"action": "api_token_issued"}).json()

    assert everything
    assert {event["action"] for event in sign_ins["results"]} <= {"api_token_issued"}


@pytest.mark.parametrize("role_api", ["consumer_api", "agent_api", "manager_api"])
def test_only_admins_read_the_audit_log(role_api: str, request: pytest.FixtureRequest) -> None:
    client: Client = request.getfixturevalue(role_api)

    assert client.get(f"{API}audit-events/").status_code == 403


# --- another tenant's token -------------------------------------------------------------------

EVERY_LIST = [
    "categories/",
    "root-causes/",
    "teams/",
    "staff/",
    "audit-events/",
    "reports/dashboard/",
    "reports/return/",
    "complaints/",
]


@pytest.mark.parametrize("path", EVERY_LIST)
def test_a_token_from_another_tenant_is_refused_with_401(
    outsider_on_bank: Client, complaint: Complaint, path: str
) -> None:
    response = outsider_on_bank.get(f"{API}{path}")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    "rest", ["", "messages/", "attachments/", "deadlines/", "actions/withdraw/"]
)
def test_a_token_from_another_tenant_gets_nothing_of_a_complaint(
    outsider_on_bank: Client, complaint: Complaint, rest: str
) -> None:
    path = f"{COMPLAINTS_URL}{complaint.reference}/{rest}"
    response = (
        outsider_on_bank.post(path) if rest.startswith("actions") else outsider_on_bank.get(path)
    )

    assert response.status_code == 401
    complaint.refresh_from_db()
    assert complaint.status != "withdrawn"


# --- query counts -----------------------------------------------------------------------------


@pytest.fixture
def many_complaints(
    make_complaint: Callable[..., Complaint], front_line: Team, category: Category
) -> list[Complaint]:
    made = [make_complaint(subject=f"Complaint {n}", category=category) for n in range(6)]
    Complaint.objects.filter(pk__in=[c.pk for c in made]).update(team=front_line)
    return made


def test_the_complaints_list_costs_the_same_queries_for_any_number_of_rows(
    agent_api: Client,
    consumer_api: Client,
    many_complaints: list[Complaint],
    django_assert_num_queries: Callable[..., object],
) -> None:
    agent_api.get(COMPLAINTS_URL)
    consumer_api.get(COMPLAINTS_URL)
    # Authentication and one page of rows, however many rows the page has.
    with django_assert_num_queries(3):  # type: ignore[operator]
        assert len(agent_api.get(COMPLAINTS_URL).json()["results"]) == 6
    with django_assert_num_queries(3):  # type: ignore[operator]
        assert len(consumer_api.get(COMPLAINTS_URL).json()["results"]) == 6


def test_settings_lists_cost_fixed_queries(
    agent_api: Client,
    admin_api: Client,
    catalogue: dict[str, Category],
    front_line: Team,
    django_assert_num_queries: Callable[..., object],
) -> None:
    for path in ("categories/", "teams/", "staff/", "root-causes/"):
        agent_api.get(f"{API}{path}")
    admin_api.get(f"{API}audit-events/")
    with django_assert_num_queries(4):  # type: ignore[operator]
        agent_api.get(f"{API}categories/")
    with django_assert_num_queries(4):  # type: ignore[operator]
        agent_api.get(f"{API}teams/")
    with django_assert_num_queries(3):  # type: ignore[operator]
        agent_api.get(f"{API}staff/")
    with django_assert_num_queries(3):  # type: ignore[operator]
        admin_api.get(f"{API}audit-events/")


def test_the_messages_list_costs_fixed_queries(
    consumer_api: Client,
    complaint: Complaint,
    django_assert_num_queries: Callable[..., object],
) -> None:
    for n in range(3):
        post_json(
            consumer_api, f"{COMPLAINTS_URL}{complaint.reference}/messages/", {"body": f"{n}"}
        )
    url = f"{COMPLAINTS_URL}{complaint.reference}/messages/"
    consumer_api.get(url)
    with django_assert_num_queries(5):  # type: ignore[operator]
        assert len(consumer_api.get(url).json()) == 3


@pytest.mark.parametrize("resource", ["root-causes", "categories"])
def test_a_row_created_without_its_flags_is_in_use(admin_api: Client, resource: str) -> None:
    created = post_json(admin_api, f"{API}{resource}/", {"name": "Card fraud"})

    assert created.status_code == 201, created.content
    assert created.json()["is_active"] is True
    withdrawn = post_json(admin_api, f"{API}{resource}/", {"name": "Old", "is_active": False})
    assert withdrawn.json()["is_active"] is False


def test_the_schema_describes_flags_as_booleans(admin_api: Client) -> None:
    schema = admin_api.get(f"{API}schema/?format=json").json()
    inputs = [
        body
        for name, body in schema["components"]["schemas"].items()
        if name.startswith("RootCauseInput")
    ]

    assert inputs
    assert all(body["properties"]["is_active"]["type"] == "boolean" for body in inputs)
