"""Periodic work, run per tenant by Celery beat (and by `manage.py run_periodic`)."""

from __future__ import annotations

from celery import shared_task

from complaints import services
from tenancy import current


def _tenant_is_working() -> bool:
    return current.schema_name() != "public" and not current.tenant().is_suspended


@shared_task
@current.in_local_time
def scan_deadlines() -> dict[str, int]:
    if not _tenant_is_working():
        return {}
    return services.scan_deadlines()


@shared_task
@current.in_local_time
def auto_close_resolved() -> int:
    if not _tenant_is_working():
        return 0
    return services.auto_close_resolved()
