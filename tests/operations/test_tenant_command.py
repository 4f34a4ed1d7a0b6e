"""The `tenant` management command: list, create, suspend, resume."""

from __future__ import annotations

import re
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django_tenants.utils import schema_context
from pytest_django import DjangoCaptureOnCommitCallbacks

from audit.models import AuditEvent
from configuration.models import TenantSettings
from tenancy.models import Tenant
from tests.operations.conftest import creates_nothing, public_audit, tenant_schemas

pytestmark = pytest.mark.usefixtures("public_tenant")


def run(*args: str) -> str:
    out = StringIO()
    call_command("tenant", *args, stdout=out)
    return out.getvalue()


def test_list_prints_each_customer_tenant_with_status_profile_and_address() -> None:
    Tenant.objects.filter(slug="telco").update(status=Tenant.Status.SUSPENDED)

    lines = run("list").splitlines()

    assert len(lines) == 2
    telco, bank = lines  # ordered by name: Contoso Telecom, Northwind Bank
    assert telco.split()[:3] == ["telco", "suspended", "uk_ofcom"]
    assert telco.endswith("http://telco.localhost:8000  Contoso Telecom")
    assert bank.split()[:3] == ["bank", "active", "uk_fca"]
    assert "platform" not in run("list")


def test_create_provisions_the_tenant_and_prints_a_working_invitation_link(
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        output = run(
            "create",
            "--name=Woodgrove Energy",
            "--slug=woodgrove",
            "--admin-email=wes@woodgrove.example",
            "--profile=generic",
            "--country=gb",
            "--time-zone=Europe/Dublin",
        )

    assert "Created Woodgrove Energy at http://woodgrove.localhost:8000" in output
    match = re.search(r"Admin invitation: (\S+)", output)
    assert match is not None
    link = urlsplit(match.group(1))
    assert link.netloc == "woodgrove.localhost:8000"
    assert link.path.startswith("/invitations/")
    tenant = Tenant.objects.get(slug="woodgrove")
    assert (tenant.country, tenant.time_zone, tenant.industry) == ("GB", "Europe/Dublin", "other")
    assert "t_woodgrove" in tenant_schemas()
    with schema_context("t_woodgrove"):
        settings = TenantSettings.objects.get()
    # A British tenant's week and England's bank holidays, from the schema's migrations.
    assert (settings.working_days, settings.subdivision) == ([0, 1, 2, 3, 4], "ENG")
    (event,) = public_audit(action=AuditEvent.Action.TENANT_PROVISIONED)
    assert (event.target, event.actor_id, event.actor_email) == ("woodgrove", None, "")
    assert mail.outbox[0].to == ["wes@woodgrove.example"]
    assert match.group(1) in mail.outbox[0].body

    page = Client(HTTP_HOST="woodgrove.localhost").get(link.path)
    assert page.status_code == 200
    assert b"Join Woodgrove Energy" in page.content


def test_suspend_and_resume_change_the_status_and_write_audit_rows() -> None:
    assert run("suspend", "bank").strip() == "Northwind Bank is now suspended."
    assert Tenant.objects.get(slug="bank").is_suspended
    assert Client(HTTP_HOST="bank.localhost").get("/").status_code == 503

    assert run("resume", "bank").strip() == "Northwind Bank is now active."
    assert Tenant.objects.get(slug="bank").status == Tenant.Status.ACTIVE
    assert Client(HTTP_HOST="bank.localhost").get("/").status_code == 200
    assert [event.action for event in public_audit(target="bank")] == [
        AuditEvent.Action.TENANT_RESUMED,
        AuditEvent.Action.TENANT_SUSPENDED,
    ]


@pytest.mark.parametrize("action", ["suspend", "resume"])
@pytest.mark.parametrize("slug", ["nope", "platform"])
def test_unknown_slug_is_a_command_error(action: str, slug: str) -> None:
    with (
        creates_nothing(),
        pytest.raises(CommandError, match=f"No tenant with the address “{slug}”"),
    ):
        run(action, slug)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--slug=Bad_Slug"], "Use 3 to 30 lower-case letters, digits and single hyphens"),
        (["--slug=www"], "“www” is reserved; choose another."),
        (["--slug=bank"], "“bank” is already taken."),
        (["--time-zone=Mars/Olympus_Mons"], "“Mars/Olympus_Mons” is not a time zone."),
        (["--country=G1"], "Use a two-letter ISO country code, e.g. GB."),
        (["--admin-email=wes"], "Give the first administrator's e-mail."),
        ([f"--name={'N' * 121}"], "Keep the name to 120 characters."),
        (["--profile=mars"], "argument --profile: invalid choice: 'mars'"),
        (["--industry=mining"], "argument --industry: invalid choice: 'mining'"),
    ],
)
def test_create_with_invalid_input_is_a_command_error_with_the_reason(
    args: list[str], message: str
) -> None:
    valid = ["--name=Woodgrove Energy", "--slug=woodgrove", "--admin-email=wes@woodgrove.example"]

    with creates_nothing(), pytest.raises(CommandError) as error:
        run("create", *valid, *args)

    assert message in str(error.value)


def test_create_without_required_options_is_a_command_error() -> None:
    with creates_nothing(), pytest.raises(CommandError, match="--admin-email"):
        run("create", "--name=Woodgrove Energy", "--slug=woodgrove")


def test_unknown_action_is_a_command_error() -> None:
    with pytest.raises(CommandError, match="invalid choice: 'delete'"):
        run("delete", "bank")
