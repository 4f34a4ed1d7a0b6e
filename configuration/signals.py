"""Each request and each background task starts without cached tenant settings (and with no
configuration change pending); a new tenant's settings row starts with its country's holiday
region, and nothing cached for an earlier schema of its name is used."""

from __future__ import annotations

from typing import Any

from celery import Task
from celery.signals import task_prerun
from django.core.signals import request_started
from django.dispatch import receiver
from django_tenants.signals import post_schema_sync
from django_tenants.utils import schema_context

from configuration.cache import forget_all, forget_pending_changes
from configuration.models import (
    DEFAULT_SUBDIVISIONS,
    SINGLE_ROW,
    TenantSettings,
    forget_current_settings,
)
from tenancy.models import Tenant


@receiver(request_started, dispatch_uid="configuration.forget_settings_per_request")
def forget_settings_per_request(**kwargs: Any) -> None:
    forget_current_settings()
    forget_pending_changes()


@task_prerun.connect(dispatch_uid="configuration.forget_settings_per_task")
def forget_settings_per_task(task: Task | None = None, **kwargs: Any) -> None:
    # A task run inline belongs to the request (or task) that queued it, whose read stands.
    if task is not None and task.request.is_eager:
        return
    forget_current_settings()
    forget_pending_changes()


@receiver(post_schema_sync, dispatch_uid="configuration.settle_new_tenant_settings")
def settle_new_tenant_settings(tenant: Tenant, **kwargs: Any) -> None:
    """A schema cloned from the template has the template's settings row, which knows no
    country: give it the holiday region the tenant's country usually keeps (as the migration
    does for a schema it creates)."""
    if tenant.is_public:
        return
    with schema_context(tenant.schema_name):
        TenantSettings.objects.filter(pk=SINGLE_ROW, subdivision="").update(
            subdivision=DEFAULT_SUBDIVISIONS.get(tenant.country, "")
        )
        forget_all()
