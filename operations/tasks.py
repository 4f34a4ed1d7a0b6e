"""Provisioning from the console, run by a worker (inline when there is no broker)."""

from __future__ import annotations

from celery import shared_task


@shared_task
def provision_tenant_job(job_id: str) -> str:
    """Run the provisioning job ``job_id`` (a UUID string); returns the step it ended on."""
    from operations.services import run_provisioning_job

    return run_provisioning_job(job_id)
