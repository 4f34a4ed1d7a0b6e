"""Industry starters: what a new tenant begins with, applied once or again without harm."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.test import Client
from django_tenants.utils import tenant_context
from pytest_django import DjangoCaptureOnCommitCallbacks

from audit.models import AuditEvent
from complaints.letters import check_required_content, fill_letter, regulated_letters
from complaints.models import (
    CannedResponse,
    Category,
    LetterKind,
    LetterTemplate,
    Priority,
    RootCause,
    Team,
)
from complaints.placeholders import CANNED_RESPONSE_PLACEHOLDERS
from deadlines.models import SlaPolicy
from operations.forms import TenantForm
from operations.services import ProvisioningError, TenantRequest, provision_tenant, start_tenant
from operations.starters import AIRLINE, BANKING, STARTERS, TELECOMS, Starter, apply_starter
from organisation.services import sample_letter_values
from tenancy.models import Tenant
from tests.operations.conftest import creates_nothing, new_tenant_data, public_audit

ALL_STARTERS = pytest.mark.parametrize(
    "starter", [BANKING, TELECOMS, AIRLINE], ids=lambda s: s.industry.value
)


def tenant_rows() -> dict[str, object]:
    """Everything a starter writes, as comparable values."""
    return {
        "teams": sorted(Team.objects.values_list("name", "is_default")),
        "categories": sorted(
            Category.objects.values_list("parent__name", "name", "team__name", "payment_services"),
            key=str,
        ),
        "root_causes": sorted(RootCause.objects.values_list("name", flat=True)),
        "sla": sorted(
            SlaPolicy.objects.values_list("priority", "first_response_hours", "resolution_hours")
        ),
        "canned": sorted(CannedResponse.objects.values_list("title", "body")),
        "letters": sorted(LetterTemplate.objects.values_list("kind", "subject", "body")),
    }


@ALL_STARTERS
def test_each_starter_gives_products_with_causes_routed_to_its_own_teams(
    bank: Tenant, starter: Starter
) -> None:
    apply_starter(starter, profile=bank.regulatory_profile)

    products = Category.objects.filter(parent=None)
    assert [p.name for p in products] == sorted(p.name for p in starter.products)
    for product in products:
        causes = product.children.all()
        assert len(causes) >= 2
        assert product.team is not None
        assert {cause.team_id for cause in causes} == {product.team_id}
    assert set(Team.objects.values_list("name", flat=True)) == set(starter.teams)
    assert Team.objects.get(is_default=True).name == starter.teams[0]
    assert RootCause.objects.count() == len(starter.root_causes) >= 5


@ALL_STARTERS
def test_each_starter_sets_targets_for_every_priority_longer_than_the_at_risk_margin(
    bank: Tenant, starter: Starter
) -> None:
    apply_starter(starter, profile=bank.regulatory_profile)

    targets = {p.priority: p for p in SlaPolicy.objects.all()}
    assert set(targets) == set(Priority.values)
    for policy in targets.values():
        assert 1 < policy.first_response_hours <= policy.resolution_hours


@ALL_STARTERS
def test_each_starters_canned_responses_use_known_placeholders_and_markdown(
    bank: Tenant, starter: Starter
) -> None:
    apply_starter(starter, profile=bank.regulatory_profile)

    canned = list(CannedResponse.objects.all())
    assert len(canned) >= 4
    for response in canned:
        assert not CANNED_RESPONSE_PLACEHOLDERS.problem(response.body)
        assert "{consumer_name}" in response.body
    assert any("**" in response.body for response in canned)


def test_banking_marks_payment_services_causes_for_the_shorter_fca_clock(bank: Tenant) -> None:
    apply_starter(BANKING, profile=bank.regulatory_profile)

    assert set(Category.objects.filter(payment_services=True).values_list("name", flat=True)) == {
        "Payment not processed",
        "Unauthorised transaction",
    }


@pytest.mark.parametrize("profile", ["uk_fca", "uk_ofcom", "us_dot_airline", "eu_air", "us_cfpb"])
def test_the_starter_copies_the_regulators_wording_of_each_letter_it_requires(
    bank: Tenant, profile: str
) -> None:
    apply_starter(BANKING, profile=profile)

    own = {row.kind: row for row in LetterTemplate.objects.all()}
    assert sorted(own) == sorted(regulated_letters(profile))
    assert own, "every regulator but the generic one requires or words a letter"
    for kind, template in own.items():
        subject, body = fill_letter(
            profile, LetterKind(kind), template.subject, template.body, sample_letter_values(bank)
        )
        check_required_content(profile, LetterKind(kind), f"{subject}\n{body}")


def test_the_fca_starter_letters_include_the_ombudsman_in_the_final_response(
    bank: Tenant,
) -> None:
    apply_starter(BANKING, profile="uk_fca")

    final = LetterTemplate.objects.get(kind=LetterKind.FINAL_RESPONSE)
    assert "Financial Ombudsman" in final.body


def test_a_generic_profile_gets_no_letter_wording_of_its_own(bank: Tenant) -> None:
    apply_starter(TELECOMS, profile="generic")

    assert not LetterTemplate.objects.exists()


@ALL_STARTERS
def test_applying_a_starter_again_changes_nothing(bank: Tenant, starter: Starter) -> None:
    apply_starter(starter, profile=bank.regulatory_profile)
    first = tenant_rows()

    apply_starter(starter, profile=bank.regulatory_profile)

    assert tenant_rows() == first


def test_applying_again_keeps_the_admins_changes(bank: Tenant) -> None:
    apply_starter(BANKING, profile=bank.regulatory_profile)
    canned = CannedResponse.objects.get(title="Refund made")
    canned.body = "Dear {consumer_name}, our own words."
    canned.save()
    SlaPolicy.objects.filter(priority=Priority.URGENT).update(first_response_hours=3)
    Team.objects.update(is_default=False)
    Team.objects.filter(name="Lending").update(is_default=True)

    apply_starter(BANKING, profile=bank.regulatory_profile)

    assert CannedResponse.objects.get(title="Refund made").body.endswith("our own words.")
    assert SlaPolicy.objects.get(priority=Priority.URGENT).first_response_hours == 3
    assert Team.objects.get(is_default=True).name == "Lending"


def test_every_industry_but_other_has_a_starter() -> None:
    assert set(STARTERS) == {"banking", "telecoms", "airline"}


def test_start_tenant_with_no_starter_adds_nothing(bank: Tenant) -> None:
    start_tenant(bank, "")

    assert not Category.objects.exists()
    assert not CannedResponse.objects.exists()


@pytest.mark.usefixtures("public_tenant")
def test_provisioning_with_a_starter_gives_the_new_tenant_its_rows() -> None:
    data = new_tenant_data(starter="airline")
    tenant, _ = provision_tenant(TenantRequest(**data), actor=None)

    with tenant_context(tenant):
        assert Category.objects.filter(parent=None, name="Baggage").exists()
        assert CannedResponse.objects.filter(title="Baggage claim: what we need").exists()
        assert sorted(LetterTemplate.objects.values_list("kind", flat=True)) == sorted(
            regulated_letters("us_dot_airline")
        )
    (event,) = public_audit(action=AuditEvent.Action.TENANT_PROVISIONED, target="fabrikam")
    assert event.detail["starter"] == "airline"


@pytest.mark.usefixtures("public_tenant")
def test_an_unknown_starter_is_refused_before_anything_is_created() -> None:
    request = TenantRequest(**new_tenant_data())
    with creates_nothing(), pytest.raises(ProvisioningError) as error:
        provision_tenant(replace(request, starter="bakery"), actor=None)

    assert error.value.field == "starter"


def test_the_operator_chooses_a_starter_on_the_new_tenant_form(operator_client: Client) -> None:
    page = operator_client.get("/tenants/new/").content.decode()

    assert 'name="starter"' in page
    assert '<option value="industry" selected>' in page
    for starter in STARTERS.values():
        assert starter.label in page
    assert "None: start empty" in page


@pytest.mark.parametrize(
    ("industry", "profile", "choice", "expected"),
    [
        ("telecoms", "uk_ofcom", "industry", "telecoms"),
        ("other", "generic", "industry", ""),
        ("airline", "us_dot_airline", "banking", "banking"),
        ("banking", "uk_fca", "", ""),
    ],
)
def test_the_form_gives_the_industrys_own_starter_unless_another_is_chosen(
    public_tenant: Tenant, industry: str, profile: str, choice: str, expected: str
) -> None:
    form = TenantForm(
        new_tenant_data(industry=industry, regulatory_profile=profile, starter=choice)
    )

    assert form.is_valid(), form.errors
    assert form.cleaned_data["starter"] == expected


def test_creating_a_tenant_on_the_console_applies_the_industrys_starter(
    operator_client: Client,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    # The console queues the provisioning; with no broker it runs once the request commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post("/tenants/new/", new_tenant_data(starter="industry"))

    assert response.status_code == 302
    with tenant_context(Tenant.objects.get(slug="fabrikam")):
        assert Team.objects.filter(name="Baggage").exists()
