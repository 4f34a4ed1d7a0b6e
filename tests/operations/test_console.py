"""The platform console on the bare base domain: operators list, create, suspend, resume."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context
from pytest_django import DjangoAssertNumQueries, DjangoCaptureOnCommitCallbacks

from accounts.models import Role, User
from audit.models import AuditEvent
from configuration.models import TenantSettings
from operations.models import ProvisioningJob
from tenancy.models import Domain, Tenant
from tests.conftest import PASSWORD, create_user
from tests.operations.conftest import (
    creates_nothing,
    link_in_last_mail,
    new_tenant_data,
    public_audit,
    tenant_schemas,
)


def add_tenant_row(slug: str) -> Tenant:
    """A tenant row and domain without a schema: enough for the list page, and fast."""
    tenant = Tenant(schema_name=f"t_{slug}", slug=slug, name=slug.title())
    tenant.auto_create_schema = False
    tenant.save()
    Domain.objects.create(domain=tenant.host, tenant=tenant, is_primary=True)
    return tenant


# --- Listing ----------------------------------------------------------------------------


def test_operator_sees_every_customer_tenant_but_not_the_platform(operator_client: Client) -> None:
    response = operator_client.get("/")

    assert response.status_code == 200
    listed = [tenant.slug for tenant in response.context["tenants"]]
    assert listed == ["telco", "bank"]  # ordered by name: Contoso, Northwind
    assert b"Northwind Bank" in response.content
    assert b"Contoso Telecom" in response.content
    assert b'href="http://bank.localhost:8000"' in response.content
    assert b"platform.localhost" not in response.content


def test_tenant_list_runs_a_fixed_number_of_queries_however_many_tenants(
    operator_client: Client, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    operator_client.get("/")  # caches the host lookup, as in steady operation
    # search_path, session, user, OTP device, tenants, their domains. The rules backend
    # answers the permission check, so no ModelBackend permission look-ups are made.
    with django_assert_num_queries(6):
        operator_client.get("/")
    for slug in ("alpha", "bravo", "charlie"):
        add_tenant_row(slug)

    with django_assert_num_queries(6):
        response = operator_client.get("/")

    assert len(response.context["tenants"]) == 5


# --- Creating a tenant --------------------------------------------------------------------


def test_operator_sees_the_new_tenant_form(operator_client: Client) -> None:
    response = operator_client.get("/tenants/new/")

    assert response.status_code == 200
    for field in ("name", "slug", "industry", "regulatory_profile", "time_zone", "admin_email"):
        assert f'name="{field}"'.encode() in response.content


def test_operator_creates_a_tenant_with_schema_domain_invitation_and_audit_row(
    operator_client: Client,
    operator: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post("/tenants/new/", new_tenant_data())

    # The work is queued (and run inline here, with no broker); the operator is shown its progress.
    assert response.status_code == 302
    connection.set_schema_to_public()
    job = ProvisioningJob.objects.get()
    assert response["Location"] == f"/tenants/new/{job.pk}/"
    tenant = Tenant.objects.get(slug="fabrikam")
    assert tenant.schema_name == "t_fabrikam"
    assert "t_fabrikam" in tenant_schemas()
    with schema_context("t_fabrikam"):
        settings = TenantSettings.objects.get()
    # An American tenant: Monday to Friday, national holidays only.
    assert (settings.working_days, settings.subdivision) == ([0, 1, 2, 3, 4], "")
    assert (tenant.name, tenant.industry, tenant.regulatory_profile) == (
        "Fabrikam Air",
        "airline",
        "us_dot_airline",
    )
    assert (tenant.country, tenant.time_zone, tenant.status) == (
        "US",
        "America/New_York",
        Tenant.Status.ACTIVE,
    )
    assert list(tenant.domains.values_list("domain", "is_primary")) == [
        ("fabrikam.localhost", True)
    ]

    (event,) = public_audit(action=AuditEvent.Action.TENANT_PROVISIONED)
    assert (event.target, event.actor_id, event.actor_email) == (
        "fabrikam",
        operator.pk,
        operator.email,
    )
    assert event.detail == {"name": "Fabrikam Air", "profile": "us_dot_airline", "starter": None}

    (invitation_mail,) = mail.outbox
    assert invitation_mail.to == ["ada@fabrikam.example"]
    assert "Fabrikam Air" in invitation_mail.subject

    progress = operator_client.get(response["Location"])
    assert b"Fabrikam Air is live at" in progress.content
    assert b'href="http://fabrikam.localhost:8000"' in progress.content
    assert b"hx-trigger" not in progress.content
    assert (job.step, job.tenant, job.actor) == (ProvisioningJob.Step.DONE, tenant, operator)
    listing = operator_client.get("/")
    assert "fabrikam" in [listed.slug for listed in listing.context["tenants"]]


def test_invitation_from_the_console_opens_an_admin_account_on_the_new_host_only(
    operator_client: Client, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        operator_client.post("/tenants/new/", new_tenant_data(slug="contoso-air"))
    host, path = link_in_last_mail()
    assert host == "contoso-air.localhost"

    assert Client(HTTP_HOST="bank.localhost").get(path).status_code == 404
    invited = Client(HTTP_HOST=host)
    page = invited.get(path)
    assert page.status_code == 200
    assert b"Join Fabrikam Air" in page.content
    accepted = invited.post(
        path, {"full_name": "Ada Admin", "password1": PASSWORD, "password2": PASSWORD}
    )

    assert accepted.status_code == 302
    assert accepted["Location"] == "/account/two-factor/setup/"
    with schema_context("t_contoso_air"):
        admin = User.objects.get(email="ada@fabrikam.example")
        assert admin.role == Role.ADMIN
        actions = set(AuditEvent.objects.values_list("action", flat=True))
        assert {AuditEvent.Action.STAFF_INVITED, AuditEvent.Action.INVITATION_ACCEPTED} <= actions
        assert AuditEvent.Action.TENANT_PROVISIONED not in actions
    with schema_context("public"):
        assert not User.objects.filter(email="ada@fabrikam.example").exists()


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"slug": "1fabrikam"}, "slug", "lower-case letters, digits and single hyphens"),
        ({"slug": "fab_rikam"}, "slug", "lower-case letters, digits and single hyphens"),
        ({"slug": "www"}, "slug", "“www” is reserved"),
        ({"slug": "bank"}, "slug", "“bank” is already taken"),
        ({"name": "  "}, "name", "This field is required."),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "Select a valid choice."),
        ({"country": "G1"}, "country", "Use a two-letter ISO country code"),
        ({"country": "GBR"}, "country", "at most 2 characters"),
        ({"regulatory_profile": "martian"}, "regulatory_profile", "Select a valid choice."),
        ({"industry": "mining"}, "industry", "Select a valid choice."),
        ({"admin_email": "ada"}, "admin_email", "Enter a valid email address."),
        ({"admin_email": "a" * 245 + "@x.example"}, "admin_email", "at most 254 characters"),
        (
            {"industry": "telecoms", "regulatory_profile": "uk_fca"},
            "regulatory_profile",
            "is a regulator of banking and financial services, not of telecommunications",
        ),
        ({"industry": "banking"}, "regulatory_profile", "not of banking"),
    ],
)
def test_new_tenant_form_shows_the_error_on_the_field_and_creates_nothing(
    operator_client: Client, overrides: dict[str, str], field: str, message: str
) -> None:
    with creates_nothing():
        response = operator_client.post("/tenants/new/", new_tenant_data(**overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert message.encode() in response.content


# --- Suspending and resuming ----------------------------------------------------------


def test_operator_suspends_and_resumes_a_tenant_with_audit_rows(
    operator_client: Client, operator: User
) -> None:
    suspended = operator_client.post("/tenants/bank/suspend/")

    assert suspended.status_code == 302
    assert suspended["Location"] == "/"
    bank = Tenant.objects.get(slug="bank")
    assert bank.is_suspended
    assert bank.status_changed_at is not None
    assert Client(HTTP_HOST="bank.localhost").get("/").status_code == 503
    listing = operator_client.get("/")
    assert b"Northwind Bank is now suspended." in listing.content
    assert b'action="/tenants/bank/resume/"' in listing.content

    resumed = operator_client.post("/tenants/bank/resume/")

    assert resumed.status_code == 302
    assert Tenant.objects.get(slug="bank").status == Tenant.Status.ACTIVE
    assert Client(HTTP_HOST="bank.localhost").get("/").status_code == 200
    events = public_audit(target="bank")
    assert [event.action for event in events] == [
        AuditEvent.Action.TENANT_RESUMED,
        AuditEvent.Action.TENANT_SUSPENDED,
    ]
    assert {event.actor_email for event in events} == {operator.email}


def test_platform_itself_cannot_be_suspended_from_the_console(operator_client: Client) -> None:
    response = operator_client.post("/tenants/platform/suspend/")

    assert response.status_code == 404
    assert Tenant.objects.get(schema_name="public").status == Tenant.Status.ACTIVE


def test_suspending_an_unknown_tenant_is_404(operator_client: Client) -> None:
    assert operator_client.post("/tenants/nope/suspend/").status_code == 404


def test_suspend_refuses_get(operator_client: Client) -> None:
    response = operator_client.get("/tenants/bank/suspend/")

    assert response.status_code == 405
    assert Tenant.objects.get(slug="bank").status == Tenant.Status.ACTIVE


# --- Who may use the console ---------------------------------------------------------------


CONSOLE_REQUESTS = [
    ("get", "/"),
    ("get", "/tenants/new/"),
    ("post", "/tenants/new/"),
    ("get", "/tenants/new/6f1c1f70-0000-4000-8000-000000000000/"),
    ("post", "/tenants/bank/suspend/"),
]


def sent_to(response: Any, step: str, path: str) -> bool:
    """Redirected to ``step``, with ``next`` naming ``path`` only where ``path`` answers GET:
    a POST-only address (suspending) is never where sign-in sends a person back to."""
    if path.endswith("/suspend/"):
        return bool(response["Location"] == step)
    return bool(response["Location"].startswith(f"{step}?next="))


@pytest.mark.parametrize(("method", "path"), CONSOLE_REQUESTS)
def test_anonymous_visitor_is_sent_to_login(console_client: Client, method: str, path: str) -> None:
    with creates_nothing():
        response = getattr(console_client, method)(path, new_tenant_data())

    assert response.status_code == 302
    assert sent_to(response, "/accounts/login/", path)
    assert Tenant.objects.get(slug="bank").status == Tenant.Status.ACTIVE


@pytest.mark.parametrize(("method", "path"), CONSOLE_REQUESTS)
def test_operator_without_verified_second_factor_is_sent_to_two_factor(
    unverified_operator_client: Client, method: str, path: str
) -> None:
    with creates_nothing():
        response = getattr(unverified_operator_client, method)(path, new_tenant_data())

    assert response.status_code == 302
    assert sent_to(response, "/account/two-factor/", path)
    assert Tenant.objects.get(slug="bank").status == Tenant.Status.ACTIVE


def test_operator_without_any_authenticator_is_sent_to_set_one_up(public_tenant: Tenant) -> None:
    operator = create_user(Role.OPERATOR, "owen@example.com", second_factor=False)
    client = Client(HTTP_HOST="localhost")
    client.force_login(operator, backend="accounts.sessions.AccountBackend")

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/setup/")


@pytest.mark.parametrize(("method", "path"), CONSOLE_REQUESTS)
def test_public_user_who_is_not_an_operator_is_refused(
    public_admin_client: Client, method: str, path: str
) -> None:
    with creates_nothing():
        response = getattr(public_admin_client, method)(path, new_tenant_data())

    assert response.status_code == 403
    assert Tenant.objects.get(slug="bank").status == Tenant.Status.ACTIVE


def test_tenant_admin_session_is_worth_nothing_on_the_platform_console(
    admin_client: Client, tenant_admin: User
) -> None:
    assert admin_client.get("/").wsgi_request.user == tenant_admin
    console = Client(HTTP_HOST="localhost")
    console.cookies = admin_client.cookies

    response = console.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert console.post("/tenants/bank/suspend/").status_code == 302
    assert Tenant.objects.get(slug="bank").status == Tenant.Status.ACTIVE


def test_tenant_admin_cannot_sign_in_to_the_platform_console(
    tenant_admin: User, console_client: Client
) -> None:
    response = console_client.post(
        "/accounts/login/", {"login": tenant_admin.email, "password": PASSWORD}
    )

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    assert response.context["form"].errors
    assert console_client.get("/").status_code == 302


def test_operator_signs_in_to_the_console_with_the_same_form(
    operator: User, console_client: Client
) -> None:
    response = console_client.post(
        "/accounts/login/", {"login": operator.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response.wsgi_request.user == operator
