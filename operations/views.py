"""The platform console, served on the bare base domain to platform operators."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.decorators import AuthenticatedRequest, permission_required
from operations.forms import TenantForm
from operations.models import ProvisioningJob
from operations.services import (
    ProvisioningError,
    TenantRequest,
    queue_provisioning,
    set_tenant_status,
)
from operations.stats import RECENT_DAYS, STATS_CACHE_SECONDS, tenant_stats
from tenancy.models import Tenant


@require_GET
@permission_required("operations.manage_tenants")
def tenant_list(request: AuthenticatedRequest) -> HttpResponse:
    tenants = list(Tenant.objects.customers().with_schema_flag().prefetch_related("domains"))
    stats = tenant_stats(tenants)
    for tenant in tenants:
        tenant.stats = stats.get(tenant.pk)  # type: ignore[attr-defined]
    return render(
        request,
        "operations/tenant_list.html",
        {
            "tenants": tenants,
            "recent_days": RECENT_DAYS,
            "stats_minutes": STATS_CACHE_SECONDS // 60,
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required("operations.manage_tenants")
def tenant_create(request: AuthenticatedRequest) -> HttpResponse:
    form = TenantForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = queue_provisioning(TenantRequest(**form.cleaned_data), actor=request.user)
        except ProvisioningError as error:
            form.add_error(error.field, str(error))
        else:
            return redirect("provisioning_job", job_id=job.pk)
    return render(request, "operations/tenant_form.html", {"form": form})


@require_GET
@permission_required("operations.manage_tenants")
@vary_on_headers("HX-Request")
def provisioning_job(request: AuthenticatedRequest, job_id: UUID) -> HttpResponse:
    """How far a tenant's provisioning has got; the page polls itself until it is finished."""
    job = get_object_or_404(ProvisioningJob.objects.select_related("tenant"), pk=job_id)
    template = "operations/provisioning_job.html"
    if request.htmx:  # type: ignore[attr-defined]
        template += "#progress"
    return render(request, template, {"job": job})


@require_POST
@permission_required("operations.manage_tenants")
def tenant_set_status(request: AuthenticatedRequest, slug: str, status: str) -> HttpResponse:
    tenant = get_object_or_404(Tenant.objects.customers(), slug=slug)
    set_tenant_status(tenant, Tenant.Status(status), actor=request.user)
    messages.success(request, f"{tenant.name} is now {tenant.get_status_display().lower()}.")
    return redirect("tenant_list")
