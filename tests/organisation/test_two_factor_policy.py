"""The two-factor policy: agents and specialists by the tenant's choice, admins and managers always."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Role, User
from accounts.predicates import second_factor_required
from audit.models import AuditEvent
from complaints.models import Complaint
from configuration.models import TenantSettings
from tenancy.models import Tenant
from tests.conftest import PASSWORD, current_code, sign_in, tenant_client


@pytest.fixture
def two_factor_optional(bank: Tenant) -> TenantSettings:
    return waive_two_factor()


def waive_two_factor() -> TenantSettings:
    settings = TenantSettings.current()
    settings.frontline_two_factor_required = False
    settings.save(update_fields=["frontline_two_factor_required"])
    return settings


def test_the_policy_defaults_to_requiring_two_factor_for_everyone(
    make_user: Callable[..., User],
) -> None:
    agent = make_user(Role.AGENT, second_factor=False)

    assert TenantSettings.current().frontline_two_factor_required
    assert second_factor_required(agent)


def test_admin_turns_the_requirement_off_and_it_is_audited(admin_client: Client) -> None:
    response = admin_client.post("/settings/security/", {"frontline_two_factor_required": "no"})

    assert response.status_code == 302
    assert not TenantSettings.current().frontline_two_factor_required
    event = AuditEvent.objects.get(action=AuditEvent.Action.SECURITY_POLICY_CHANGED)
    assert event.detail["changes"] == {"frontline_two_factor_required": [True, False]}


def test_a_bad_policy_value_is_refused(admin_client: Client) -> None:
    response = admin_client.post("/settings/security/", {"frontline_two_factor_required": "maybe"})

    assert response.status_code == 400
    assert TenantSettings.objects.get().frontline_two_factor_required


@pytest.mark.parametrize("role", [Role.AGENT, Role.SPECIALIST])
def test_with_the_policy_on_an_agent_without_a_device_must_enrol(
    bank: Tenant, make_user: Callable[..., User], role: Role
) -> None:
    user = make_user(role, second_factor=False)
    client = sign_in(tenant_client(bank), user, second_factor=False)

    response = client.get("/console/")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/setup/")


@pytest.mark.parametrize("role", [Role.AGENT, Role.SPECIALIST])
def test_with_the_policy_off_an_agent_without_a_device_works_without_enrolling(
    bank: Tenant, two_factor_optional: TenantSettings, make_user: Callable[..., User], role: Role
) -> None:
    user = make_user(role, second_factor=False)
    client = sign_in(tenant_client(bank), user, second_factor=False)

    assert client.get("/console/").status_code == 200
    assert User.objects.get(pk=user.pk).has_perm("complaints.use_console")


def test_with_the_policy_off_an_unrouted_complaint_is_in_the_agents_queue(
    bank: Tenant,
    two_factor_optional: TenantSettings,
    make_user: Callable[..., User],
    make_complaint: Callable[..., Complaint],
) -> None:
    complaint = make_complaint()
    user = make_user(Role.AGENT, second_factor=False)

    assert list(Complaint.objects.visible_to(user)) == [complaint]


def test_with_the_policy_off_an_agent_who_enrolled_still_uses_the_code(
    bank: Tenant, two_factor_optional: TenantSettings, agent: User
) -> None:
    client = sign_in(tenant_client(bank), agent, second_factor=False)

    response = client.get("/console/")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/")


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_admins_and_managers_always_need_two_factor(
    bank: Tenant, two_factor_optional: TenantSettings, make_user: Callable[..., User], role: Role
) -> None:
    user = make_user(role, second_factor=False)
    client = sign_in(tenant_client(bank), user, second_factor=False)

    response = client.get("/console/")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/setup/")


def test_api_tokens_follow_the_policy(
    bank: Tenant, make_user: Callable[..., User], agent: User
) -> None:
    make_user(Role.AGENT, "nina@example.com", second_factor=False)
    client = tenant_client(bank)

    def token(email: str, otp: str = "") -> int:
        body = {"email": email, "password": PASSWORD, "otp": otp}
        return client.post("/api/v1/auth/token/", body, content_type="application/json").status_code

    assert token("nina@example.com") == 401
    waive_two_factor()
    assert token("nina@example.com") == 200
    # Someone who enrolled an authenticator still proves it.
    assert token(agent.email) == 401
    assert token(agent.email, current_code()) == 200
