"""Who reaches the settings pages: verified admins of this tenant only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import User
from complaints.models import Category, RootCause, Team

PAGES = [
    "/settings/",
    "/settings/branding/",
    "/settings/categories/",
    "/settings/categories/{category}/",
    "/settings/root-causes/{root_cause}/",
    "/settings/teams/",
    "/settings/teams/{team}/",
    "/settings/sla/",
    "/settings/sla/urgent/",
    "/settings/hours/",
    "/settings/profile/",
    "/settings/policy/",
    "/settings/security/",
    "/settings/staff/",
    "/settings/staff/{staff}/",
    "/settings/letters/",
    "/settings/letters/final_response/",
    "/settings/audit/",
    "/settings/audit/export.csv",
]


@pytest.fixture
def page_url(
    request: pytest.FixtureRequest,
    cause: Category,
    root_cause: RootCause,
    front_line: Team,
    manager: User,
) -> Callable[[str], str]:
    def url(template: str) -> str:
        return template.format(
            category=cause.pk, root_cause=root_cause.pk, team=front_line.pk, staff=manager.pk
        )

    return url


@pytest.mark.parametrize("page", PAGES)
def test_a_verified_admin_sees_every_settings_page(
    admin_client: Client, page_url: Callable[[str], str], page: str
) -> None:
    assert admin_client.get(page_url(page)).status_code == 200


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("client_name", ["manager_client", "agent_client", "consumer_client"])
def test_other_roles_are_refused_every_settings_page(
    request: pytest.FixtureRequest, page_url: Callable[[str], str], page: str, client_name: str
) -> None:
    client = request.getfixturevalue(client_name)

    assert client.get(page_url(page)).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(
    anonymous_client: Client, page_url: Callable[[str], str], page: str
) -> None:
    response = anonymous_client.get(page_url(page))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", ["/settings/", "/settings/staff/", "/settings/audit/"])
def test_an_admin_without_the_second_factor_is_sent_to_it(
    unverified_admin_client: Client, page: str
) -> None:
    response = unverified_admin_client.get(page)

    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/")


def test_refused_posts_change_nothing(manager_client: Client, cause: Category) -> None:
    response = manager_client.post(
        f"/settings/categories/{cause.pk}/", {"name": "Renamed", "is_active": "on"}
    )

    assert response.status_code == 403
    cause.refresh_from_db()
    assert cause.name == "Fees and charges"


def test_a_telco_admin_signed_in_next_door_is_a_stranger_on_the_bank_host(
    outsider_admin_at_bank: Client, cause: Category
) -> None:
    """The telco admin is the bank admin's twin in id, e-mail, password and authenticator."""
    bank_host = outsider_admin_at_bank.get("/settings/categories/")

    assert bank_host.status_code == 302
    assert bank_host["Location"].startswith("/accounts/login/")
    assert b"Fees and charges" not in bank_host.content


def test_a_telco_admin_cannot_open_or_change_a_bank_category(
    outsider_admin_at_bank: Client, cause: Category
) -> None:
    url = f"/settings/categories/{cause.pk}/"
    page = outsider_admin_at_bank.get(url)
    change = outsider_admin_at_bank.post(url, {"name": "Renamed", "parent": cause.parent_id})

    assert (page.status_code, change.status_code) == (302, 302)
    assert b"Fees and charges" not in page.content
    cause.refresh_from_db()
    assert cause.name == "Fees and charges"


def test_the_settings_link_is_shown_to_admins_only(
    admin_client: Client, manager_client: Client
) -> None:
    assert 'href="/settings/"' in admin_client.get("/settings/").content.decode()
    assert 'href="/settings/"' not in manager_client.get("/console/").content.decode()
