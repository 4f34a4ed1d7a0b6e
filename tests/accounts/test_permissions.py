"""Account permissions: staff powers need a passed second factor as well as the role."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from accounts.models import Role, User


def with_second_factor(user: User, *, verified: bool) -> User:
    """The user as OTPMiddleware hands it to views."""
    user.is_verified = lambda: verified  # type: ignore[attr-defined]
    return user


@pytest.mark.parametrize(
    ("role", "verified", "allowed"),
    [
        (Role.ADMIN, True, True),
        (Role.ADMIN, False, False),
        (Role.MANAGER, True, False),
        (Role.AGENT, True, False),
        (Role.CONSUMER, True, False),
    ],
)
def test_only_an_admin_who_passed_two_factor_manages_staff(
    make_user: Callable[..., User], role: Role, verified: bool, allowed: bool
) -> None:
    user = with_second_factor(make_user(role), verified=verified)

    assert user.has_perm("accounts.manage_staff") is allowed


@pytest.mark.parametrize(
    ("role", "verified", "allowed"),
    [(Role.OPERATOR, True, True), (Role.OPERATOR, False, False), (Role.ADMIN, True, False)],
)
def test_only_an_operator_who_passed_two_factor_manages_tenants(
    make_user: Callable[..., User], role: Role, verified: bool, allowed: bool
) -> None:
    user = with_second_factor(make_user(role), verified=verified)

    assert user.has_perm("operations.manage_tenants") is allowed


@pytest.mark.parametrize("role", sorted(set(Role) - {Role.CONSUMER}))
def test_every_role_but_consumer_is_staff(make_user: Callable[..., User], role: Role) -> None:
    assert make_user(role, second_factor=False).is_staff_member


def test_consumer_is_not_staff(consumer: User) -> None:
    assert not consumer.is_staff_member


def test_new_accounts_are_stored_with_a_lower_case_address(bank) -> None:
    user = User.objects.create_user("Mixed.Case@Example.COM", "x")

    assert user.email == "mixed.case@example.com"
