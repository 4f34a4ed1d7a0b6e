"""operations.services: validation of provisioning input, and suspension."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from django.db import connection

from audit.models import AuditEvent
from complaints.models import Complaint
from operations.services import (
    ProvisioningError,
    TenantRequest,
    provision_tenant,
    set_tenant_status,
    validate_slug,
)
from tenancy.models import Domain, Tenant
from tests.operations.conftest import creates_nothing, public_audit

VALID = TenantRequest(
    name="Fabrikam Air",
    slug="fabrikam",
    regulatory_profile="us_dot_airline",
    industry="airline",
    country="US",
    time_zone="America/New_York",
    admin_email="ada@fabrikam.example",
)
# Valid by Django's e-mail validator, too long for the 254-character e-mail columns.
OVERLONG_EMAIL = "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "com"

pytestmark = pytest.mark.usefixtures("public_tenant")


def refused(**changes: str) -> ProvisioningError:
    """The error provisioning raises for VALID with ``changes``; asserts nothing was created."""
    with creates_nothing(), pytest.raises(ProvisioningError) as error:
        provision_tenant(replace(VALID, **changes), actor=None)
    return error.value


@pytest.mark.parametrize(
    "slug",
    [
        "Fabrikam_Air",  # upper case and an underscore
        "ab",  # too short
        "a" * 31,  # too long
        "1fabrikam",  # leading digit
        "-fabrikam",  # leading hyphen
        "fab_rikam",  # underscore
        "fab--rikam",  # double hyphen
        "fabrikam-",  # trailing hyphen
        "fab.rikam",
        "fab rikam",
        "fabrikäm",
        "",
    ],
)
def test_bad_slug_format_is_refused_on_the_slug_field(slug: str) -> None:
    error = refused(slug=slug)

    assert error.field == "slug"
    assert str(error) == (
        "Use 3 to 30 lower-case letters, digits and single hyphens, starting with a letter."
    )


def test_slug_in_upper_case_is_taken_in_lower_case_as_host_names_ignore_case() -> None:
    assert validate_slug("  FabRikam ") == "fabrikam"


@pytest.mark.parametrize("slug", ["www", "api", "admin", "public", "platform", "static", "WWW"])
def test_reserved_slug_is_refused(slug: str) -> None:
    error = refused(slug=slug)

    assert error.field == "slug"
    assert str(error) == f"“{slug.lower()}” is reserved; choose another."


@pytest.mark.parametrize("slug", ["bank", "Bank", " telco "])
def test_slug_of_an_existing_tenant_is_refused(slug: str) -> None:
    error = refused(slug=slug)

    assert error.field == "slug"
    assert str(error) == f"“{slug.strip().lower()}” is already taken."


def test_slug_whose_host_is_already_a_domain_is_refused() -> None:
    Domain.objects.create(domain="fabrikam.localhost", tenant=Tenant.objects.get(slug="bank"))

    error = refused()

    assert error.field == "slug"
    assert "already taken" in str(error)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "The organisation needs a name."),
        ({"name": "   "}, "name", "The organisation needs a name."),
        ({"name": "N" * 121}, "name", "Keep the name to 120 characters."),
        ({"industry": "mining"}, "industry", "Choose a known industry."),
        (
            {"regulatory_profile": "mars"},
            "regulatory_profile",
            "Choose a known regulatory profile.",
        ),
        (
            {"time_zone": "Mars/Olympus_Mons"},
            "time_zone",
            "“Mars/Olympus_Mons” is not a time zone.",
        ),
        ({"time_zone": ""}, "time_zone", "“” is not a time zone."),
        ({"country": "G1"}, "country", "Use a two-letter ISO country code, e.g. GB."),
        ({"country": "GBR"}, "country", "Use a two-letter ISO country code, e.g. GB."),
        ({"country": ""}, "country", "Use a two-letter ISO country code, e.g. GB."),
        ({"admin_email": ""}, "admin_email", "Give the first administrator's e-mail."),
        ({"admin_email": "ada"}, "admin_email", "Give the first administrator's e-mail."),
        ({"admin_email": "ada@"}, "admin_email", "Give the first administrator's e-mail."),
        ({"admin_email": OVERLONG_EMAIL}, "admin_email", "Give the first administrator's e-mail."),
    ],
)
def test_invalid_input_is_refused_on_its_field_before_anything_is_created(
    changes: dict[str, str], field: str, message: str
) -> None:
    error = refused(**changes)

    assert (error.field, str(error)) == (field, message)


# --- Suspension -----------------------------------------------------------------------


def test_suspending_keeps_the_data_and_writes_one_audit_row_per_change(
    bank: Tenant, make_complaint: Callable[..., Complaint]
) -> None:
    complaint = make_complaint()
    connection.set_schema_to_public()  # where the console and the command work

    set_tenant_status(bank, Tenant.Status.SUSPENDED, actor=None)
    set_tenant_status(bank, Tenant.Status.SUSPENDED, actor=None)  # already suspended: no-op
    assert Tenant.objects.get(slug="bank").is_suspended
    set_tenant_status(bank, Tenant.Status.ACTIVE, actor=None)

    connection.set_tenant(bank)
    assert Complaint.objects.filter(pk=complaint.pk).exists()
    assert [event.action for event in public_audit(target="bank")] == [
        AuditEvent.Action.TENANT_RESUMED,
        AuditEvent.Action.TENANT_SUSPENDED,
    ]
    assert not AuditEvent.objects.filter(target="bank").exists()  # none in the tenant's own log


def test_platform_itself_cannot_be_suspended(public_tenant: Tenant) -> None:
    with pytest.raises(ProvisioningError, match="platform itself cannot be suspended"):
        set_tenant_status(public_tenant, Tenant.Status.SUSPENDED, actor=None)

    assert Tenant.objects.get(schema_name="public").status == Tenant.Status.ACTIVE
    assert public_audit() == []
