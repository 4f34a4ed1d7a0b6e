"""Provisioning and suspension of tenants, from the platform console or the shell."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from accounts.models import Role, User
from accounts.services import invite_staff
from audit.models import AuditEvent
from audit.services import record_event
from operations.models import ProvisioningJob
from operations.starters import STARTERS, apply_starter
from organisation.services import SettingsError, validate_profile
from tenancy.models import Domain, Industry, Tenant, schema_name_for, slug_problem

logger = logging.getLogger(__name__)


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
    if problem := slug_problem(slug):
        raise ProvisioningError(problem, field="slug")
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


def validate_request(request: TenantRequest) -> TenantRequest:
    """``request`` with its slug, name and country normalised; raises ``ProvisioningError``
    naming the field at fault. Checks everything that can be checked before any work."""
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
    admin_email = request.admin_email.strip()
    if not is_email_address(admin_email):
        raise ProvisioningError("Give the first administrator's e-mail.", field="admin_email")
    return replace(request, slug=slug, name=name, country=country, admin_email=admin_email)


def provision_tenant(
    request: TenantRequest,
    *,
    actor: User | None,
    progress: Callable[[ProvisioningJob.Step], None] | None = None,
) -> tuple[Tenant, str]:
    """Create a tenant (schema, domain), apply its industry starter and invite its first admin;
    returns the invitation token.

    ``progress`` is told each step as it starts. Raises ``ProvisioningError`` for refused input.
    """
    request = validate_request(request)
    report = progress or (lambda step: None)
    report(ProvisioningJob.Step.SCHEMA)
    # The schema is a copy of the template schema (tenancy/template.py); if anything after it
    # fails the schema is dropped again so a retry starts clean.
    tenant = Tenant(
        schema_name=schema_name_for(request.slug),
        name=request.name,
        slug=request.slug,
        industry=request.industry,
        regulatory_profile=request.regulatory_profile,
        country=request.country,
        time_zone=request.time_zone,
    )
    tenant.save(verbosity=0)
    try:
        with transaction.atomic():
            Domain.objects.create(domain=tenant.host, tenant=tenant, is_primary=True)
            record_event(
                AuditEvent.Action.TENANT_PROVISIONED,
                actor=actor,
                target=request.slug,
                name=request.name,
                profile=request.regulatory_profile,
                starter=request.starter or None,
            )
        # A step of its own after the schema exists, so it holds however the schema was made.
        start_tenant(tenant, request.starter)
        report(ProvisioningJob.Step.INVITATION)
        with tenant_context(tenant):
            _, token = invite_staff(request.admin_email, Role.ADMIN, actor=None)
    except Exception:
        Domain.objects.filter(tenant=tenant).delete()
        tenant.delete(force_drop=True)
        raise
    return tenant, token


def queue_provisioning(request: TenantRequest, *, actor: User | None) -> ProvisioningJob:
    """Check ``request`` and queue its provisioning for a worker (run inline when there is no
    broker, or when the broker cannot be reached); returns the job whose progress the console
    shows. Raises ``ProvisioningError`` for refused input, before anything is queued."""
    request = validate_request(request)
    job = ProvisioningJob.objects.create(request=asdict(request), actor=actor)
    transaction.on_commit(lambda: _publish(job))
    return job


def _publish(job: ProvisioningJob) -> None:
    from operations.tasks import provision_tenant_job

    try:
        provision_tenant_job.apply_async((str(job.pk),), headers={"_schema_name": "public"})
    except Exception as error:
        logger.warning(
            "could not publish provisioning job %s (%s); running it now",
            job.pk,
            type(error).__name__,
        )
        run_provisioning_job(str(job.pk))


def run_provisioning_job(job_id: str) -> str:
    """Provision the tenant of a queued job, recording each step on the job; returns the step
    it ended on (done or failed). A job that has already started is left alone."""
    with schema_context("public"):
        started = ProvisioningJob.objects.filter(
            pk=job_id, step=ProvisioningJob.Step.QUEUED
        ).update(step=ProvisioningJob.Step.SCHEMA)
        if not started:
            return str(ProvisioningJob.objects.values_list("step", flat=True).get(pk=job_id))
        job = ProvisioningJob.objects.select_related("actor").get(pk=job_id)

        def progress(step: ProvisioningJob.Step) -> None:
            ProvisioningJob.objects.filter(pk=job.pk).update(step=step)

        try:
            tenant, _ = provision_tenant(
                TenantRequest(**job.request), actor=job.actor, progress=progress
            )
        except ProvisioningError as error:
            _finish(job, ProvisioningJob.Step.FAILED, error=str(error))
        except Exception:
            logger.exception("provisioning job %s failed", job.pk)
            _finish(job, ProvisioningJob.Step.FAILED, error="Something went wrong; try again.")
        else:
            _finish(job, ProvisioningJob.Step.DONE, tenant=tenant)
        return str(job.step)


def _finish(
    job: ProvisioningJob,
    step: ProvisioningJob.Step,
    *,
    error: str = "",
    tenant: Tenant | None = None,
) -> None:
    job.step, job.error, job.tenant, job.finished_at = step, error, tenant, timezone.now()
    job.save(update_fields=["step", "error", "tenant", "finished_at"])


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
