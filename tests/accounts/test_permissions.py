"""Account permissions follow the role; the second factor is enforced at the edges."""

from __future__ import annotations

from collections.abc import Callable

import pytest

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


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.CONSUMER}))
def test_every_role_but_consumer_is_staff(make_user: Callable[..., User], role: Role) -> None:
    assert make_user(role, second_factor=False).is_staff_member


def test_consumer_is_not_staff(consumer: User) -> None:
    assert not consumer.is_staff_member


def test_new_accounts_are_stored_with_a_lower_case_address(bank) -> None:
    user = User.objects.create_user("Mixed.Case@Example.COM", "x")

    assert user.email == "mixed.case@example.com"
