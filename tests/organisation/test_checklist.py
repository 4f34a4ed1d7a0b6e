"""The first administrator's checklist on the settings home: each step read from real data."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from accounts.models import Role, User
from accounts.services import invite_staff
from complaints.letters import letter_wording, regulated_letters
from complaints.models import LetterKind, Priority, Team
from configuration.models import TenantSettings
from deadlines.models import SlaPolicy
from operations.starters import BANKING, apply_starter
from organisation import services
from organisation.checklist import ChecklistItem, setup_checklist
from tenancy.models import Tenant


def steps(tenant: Tenant) -> dict[str, ChecklistItem]:
    return {item.title: item for item in setup_checklist(tenant.regulatory_profile)}


def done(tenant: Tenant) -> dict[str, bool]:
    return {title: item.done for title, item in steps(tenant).items()}


def test_a_new_tenant_has_everything_to_do_but_the_default_two_factor_policy(
    bank: Tenant, tenant_admin: User
) -> None:
    assert done(bank) == {
        "Branding": False,
        "Business hours and holidays": False,
        "Categories and root causes reviewed": False,
        "Teams with members": False,
        "Staff invited": False,
        "SLA targets": False,
        "Two-factor policy": True,
        "Letter wording reviewed": False,
    }
    assert steps(bank)["Teams with members"].detail.startswith("No team yet")


def test_rows_the_starter_made_are_not_yet_reviewed(bank: Tenant, tenant_admin: User) -> None:
    apply_starter(BANKING, profile=bank.regulatory_profile)

    state = done(bank)

    assert state["SLA targets"] is True
    assert state["Categories and root causes reviewed"] is False
    assert state["Letter wording reviewed"] is False
    assert state["Teams with members"] is False
    assert steps(bank)["Teams with members"].detail == (
        "Nobody works these queues yet: Front line, Lending, Payments and fraud."
    )


def test_each_step_is_done_once_a_person_does_it(bank: Tenant, tenant_admin: User) -> None:
    apply_starter(BANKING, profile=bank.regulatory_profile)
    agent = User.objects.create_user("alex@example.com", "pw-alex-12345", role=Role.AGENT)

    branding = TenantSettings.editable()
    branding.display_name = "Northwind"
    services.update_branding(branding, actor=tenant_admin)
    # Saving the hours as they stand confirms them.
    services.update_business_hours(TenantSettings.editable(), actor=tenant_admin, country="GB")
    product = BANKING.products[0].name
    category = Team.objects.get(name="Front line").categories.get(name=product)
    services.save_category(category, actor=tenant_admin)
    for team in Team.objects.all():
        services.save_team(team, [agent], actor=tenant_admin)
    for kind in regulated_letters(bank.regulatory_profile):
        template = bank_letter(kind)
        services.save_letter_template(
            bank, kind, actor=tenant_admin, subject=template[0], body=template[1]
        )

    assert all(done(bank).values()), done(bank)
    assert steps(bank)["Staff invited"].detail == "Colleagues have been invited."


def bank_letter(kind: LetterKind) -> tuple[str, str]:
    return letter_wording("uk_fca", kind)


def test_the_starters_own_saves_do_not_count_as_reviews(bank: Tenant) -> None:
    services.update_business_hours(TenantSettings.editable(), actor=None, country="GB")

    assert done(bank)["Business hours and holidays"] is False


def test_letters_stay_to_do_until_every_required_letter_is_saved(
    bank: Tenant, tenant_admin: User
) -> None:
    kinds = regulated_letters(bank.regulatory_profile)
    subject, body = bank_letter(kinds[0])
    services.save_letter_template(bank, kinds[0], actor=tenant_admin, subject=subject, body=body)

    step = steps(bank)["Letter wording reviewed"]

    assert step.done is False
    assert kinds[0].label.lower() not in step.detail
    assert kinds[1].label.lower() in step.detail


def test_a_pending_invitation_counts_as_staff_invited(bank: Tenant, tenant_admin: User) -> None:
    invite_staff("new.agent@example.com", Role.AGENT, actor=tenant_admin)

    assert done(bank)["Staff invited"] is True


def test_only_admins_do_not_count_as_colleagues(bank: Tenant, tenant_admin: User) -> None:
    User.objects.create_user("second.admin@example.com", "pw-admin-12345", role=Role.ADMIN)

    assert done(bank)["Staff invited"] is False


def test_a_missing_priority_target_is_named(bank: Tenant) -> None:
    for priority in (Priority.URGENT, Priority.HIGH, Priority.NORMAL):
        SlaPolicy.objects.create(priority=priority, first_response_hours=4, resolution_hours=40)

    step = steps(bank)["SLA targets"]

    assert step.done is False
    assert step.detail == "No targets for: Low."


@pytest.mark.parametrize(("by_a_person", "expected"), [(True, True), (False, False)])
def test_turning_two_factor_off_is_done_only_as_a_persons_decision(
    bank: Tenant, tenant_admin: User, by_a_person: bool, expected: bool
) -> None:
    policy = TenantSettings.editable()
    policy.frontline_two_factor_required = False
    services.update_security_policy(policy, actor=tenant_admin if by_a_person else None)

    assert done(bank)["Two-factor policy"] is expected
    assert ("as decided" in steps(bank)["Two-factor policy"].detail) is expected


def test_the_settings_home_shows_the_checklist_with_links(
    admin_client: Client, bank: Tenant
) -> None:
    apply_starter(BANKING, profile=bank.regulatory_profile)

    response = admin_client.get("/settings/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Getting started: 6 of 8 still to do" in page
    assert page.count(">To do<") == 6
    assert page.count(">Done<") == 2
    for link in ("/settings/branding/", "/settings/hours/", "/settings/letters/"):
        assert f'href="{link}"' in page


def test_the_checklist_reads_a_fixed_number_of_queries(
    bank: Tenant, tenant_admin: User, django_assert_num_queries: Callable[..., object]
) -> None:
    apply_starter(BANKING, profile=bank.regulatory_profile)
    TenantSettings.current()

    with django_assert_num_queries(5):  # type: ignore[attr-defined]
        setup_checklist(bank.regulatory_profile)


def test_other_roles_do_not_see_the_checklist(manager_client: Client) -> None:
    assert manager_client.get("/settings/").status_code == 403
