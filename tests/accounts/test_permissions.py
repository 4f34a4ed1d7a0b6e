"""Account permissions follow the role; the second factor is enforced at the edges."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import Permission

from accounts.models import Role, User


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ADMIN, True), (Role.MANAGER, False), (Role.AGENT, False), (Role.CONSUMER, False)],
)
def test_only_an_admin_manages_staff(
    make_user: Callable[..., User], role: Role, allowed: bool
) -> None:
    user = make_user(role)

    assert user.has_perm("accounts.manage_staff") is allowed


@pytest.mark.parametrize(
    ("role", "allowed"), [(Role.OPERATOR, True), (Role.ADMIN, False), (Role.CONSUMER, False)]
)
def test_only_an_operator_manages_tenants(
    make_user: Callable[..., User], role: Role, allowed: bool
) -> None:
    user = make_user(role)

    assert user.has_perm("operations.manage_tenants") is allowed


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.CONSUMER, Role.CLIENT}))
def test_every_role_but_consumer_and_api_client_is_staff(
    make_user: Callable[..., User], role: Role
) -> None:
    assert make_user(role, second_factor=False).is_staff_member


@pytest.mark.parametrize("role", [Role.CONSUMER, Role.CLIENT])
def test_consumers_and_api_clients_are_not_staff(
    make_user: Callable[..., User], role: Role
) -> None:
    assert not make_user(role).is_staff_member


def test_new_accounts_are_stored_with_a_lower_case_address(bank) -> None:
    user = User.objects.create_user("Mixed.Case@Example.COM", "x")

    assert user.email == "mixed.case@example.com"


def test_a_refused_permission_is_answered_by_the_rules_without_a_query(
    agent: User, django_assert_num_queries: Callable[..., Any]
) -> None:
    with django_assert_num_queries(0):
        assert not agent.has_perm("reports.view_dashboard")
        assert not agent.has_perms(["complaints.use_console", "reports.view_dashboard"])
        assert not agent.has_module_perms("complaints")


def test_django_model_permissions_grant_nothing(agent: User) -> None:
    agent.is_superuser = True
    agent.save(update_fields=["is_superuser"])
    agent.user_permissions.add(Permission.objects.get(codename="delete_complaint"))
    fresh = User.objects.get(pk=agent.pk)
    assert not fresh.has_perm("reports.view_dashboard")
    assert not fresh.has_perm("complaints.delete_complaint")
    assert fresh.has_perm("complaints.use_console")
