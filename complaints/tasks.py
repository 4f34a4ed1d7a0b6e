"""Periodic work, run per tenant by Celery beat (and by `manage.py run_periodic`)."""

from __future__ import annotations

from celery import shared_task
from prometheus_client import Histogram

from complaints import services
from tenancy import current

SCAN_DURATION = Histogram(
    "complaints_deadline_scan_seconds",
    "Time one tenant's deadline scan took.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
)


def _tenant_is_working() -> bool:
    return current.schema_name() != "public" and not current.tenant().is_suspended


@shared_task
@current.in_local_time
def scan_deadlines() -> dict[str, int]:
    if not _tenant_is_working():
        return {}
    with SCAN_DURATION.time():
        return services.scan_deadlines()


@shared_task
@current.in_local_time
def auto_close_resolved() -> int:
    if not _tenant_is_working():
        return 0
    return services.auto_close_resolved()
