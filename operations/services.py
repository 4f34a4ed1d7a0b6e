"""Provisioning and suspension of tenants, from the platform console or the shell."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Role, User
from accounts.services import invite_staff
from audit.models import AuditEvent
from audit.services import record_event
from operations.starters import STARTERS, apply_starter
from organisation.services import SettingsError, validate_profile
from tenancy.models import Domain, Industry, Tenant

SLUG_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")
RESERVED_SLUGS = frozenset(
    {
        "admin",
        "api",
        "app",
        "assets",
        "auth",
        "console",
        "docs",
        "help",
        "localhost",
        "mail",
        "media",
        "operator",
        "platform",
        "public",
        "root",
        "smtp",
        "static",
        "status",
        "support",
        "system",
        "www",
    }
)


class ProvisioningError(Exception):
    """Provisioning input that was refused; ``field`` names the input at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TenantRequest:
    name: str
    slug: str
    regulatory_profile: str
    industry: str
    country: str
    time_zone: str
    admin_email: str
    # An industry starter (``operations.starters.STARTERS``) or "" to start empty.
    starter: str = ""


def validate_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_PATTERN.match(slug) or "--" in slug:
        raise ProvisioningError(
            "Use 3 to 30 lower-case letters, digits and single hyphens, starting with a letter.",
            field="slug",
        )
    if slug in RESERVED_SLUGS:
        raise ProvisioningError(f"“{slug}” is reserved; choose another.", field="slug")
    if (
        Tenant.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain=f"{slug}.{settings.BASE_DOMAIN}").exists()
    ):
        raise ProvisioningError(f"“{slug}” is already taken.", field="slug")
    return slug


def is_email_address(value: str) -> bool:
    """Whether ``value`` is an e-mail address short enough for the e-mail columns (254)."""
    try:
        validate_email(value)
    except ValidationError:
        return False
    return len(value) <= 254


def schema_name_for(slug: str) -> str:
    # A prefix keeps tenant schemas clear of PostgreSQL's own (public, pg_*, information_schema).
    return "t_" + slug.replace("-", "_")


def provision_tenant(request: TenantRequest, *, actor: User | None) -> tuple[Tenant, str]:
    """Create a tenant (schema, domain), apply its industry starter and invite its first
    admin; returns the invitation token. Raises ProvisioningError for refused input, before
    anything is created."""
    slug = validate_slug(request.slug)
    name = request.name.strip()
    if not name:
        raise ProvisioningError("The organisation needs a name.", field="name")
    name_length = Tenant._meta.get_field("name").max_length
    if len(name) > name_length:
        raise ProvisioningError(f"Keep the name to {name_length} characters.", field="name")
    if request.industry not in Industry.values:
        raise ProvisioningError("Choose a known industry.", field="industry")
    if request.starter and request.starter not in STARTERS:
        raise ProvisioningError("Choose a known starter, or none.", field="starter")
    try:
        country = validate_profile(request.regulatory_profile, request.country, request.time_zone)
    except SettingsError as error:
        raise ProvisioningError(str(error), field=error.field) from error
    # Checked before the schema exists: a value the invitation table refuses would otherwise
    # fail after the slow part, halfway through provisioning.
    if not is_email_address(request.admin_email.strip()):
        raise ProvisioningError("Give the first administrator's e-mail.", field="admin_email")

    # Creating the schema runs every tenant migration; if anything after it fails the schema
    # is dropped again so a retry starts clean.
    tenant = Tenant(
        schema_name=schema_name_for(slug),
        name=name,
        slug=slug,
        industry=request.industry,
        regulatory_profile=request.regulatory_profile,
        country=country,
        time_zone=request.time_zone,
    )
    tenant.save(verbosity=0)
    try:
        with transaction.atomic():
            Domain.objects.create(domain=tenant.host, tenant=tenant, is_primary=True)
            record_event(
                AuditEvent.Action.TENANT_PROVISIONED,
                actor=actor,
                target=slug,
                name=name,
                profile=request.regulatory_profile,
                starter=request.starter or None,
            )
        # A step of its own after the schema exists, so it holds however the schema was made.
        start_tenant(tenant, request.starter)
        with tenant_context(tenant):
            _, token = invite_staff(request.admin_email, Role.ADMIN, actor=None)
    except Exception:
        Domain.objects.filter(tenant=tenant).delete()
        tenant.delete(force_drop=True)
        raise
    return tenant, token


def start_tenant(tenant: Tenant, starter: str) -> None:
    """Give ``tenant`` the rows of the industry starter named ``starter`` ("" adds nothing).

    Idempotent: rows the tenant already has are kept as they are. Raises KeyError for a
    starter that does not exist (``provision_tenant`` refuses one before creating anything).
    """
    if not starter:
        return
    with tenant_context(tenant):
        apply_starter(STARTERS[starter], profile=tenant.regulatory_profile)


def set_tenant_status(tenant: Tenant, status: Tenant.Status, *, actor: User | None) -> Tenant:
    """Suspend or resume a tenant. Its data is kept either way."""
    if tenant.is_public:
        raise ProvisioningError("The platform itself cannot be suspended.")
    if tenant.status == status:
        return tenant
    with transaction.atomic():
        tenant.status = status
        tenant.status_changed_at = timezone.now()
        tenant.save(update_fields=["status", "status_changed_at"])
        record_event(
            AuditEvent.Action.TENANT_SUSPENDED
            if status == Tenant.Status.SUSPENDED
            else AuditEvent.Action.TENANT_RESUMED,
            actor=actor,
            target=tenant.slug,
        )
    return tenant
