"""The Celery app, and the request context that follows a change into the tasks it queued."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Before anything that reads settings at import (the tenant context reads django-tenants'),
# so `celery -A project worker` needs no DJANGO_SETTINGS_MODULE of its own.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

from celery.signals import (
    beat_init,
    before_task_publish,
    task_postrun,
    task_prerun,
)
from tenant_schemas_celery.app import CeleryApp

from project.logging import request_id_var
from tenancy.current import tenant_var

app = CeleryApp("complaints")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

REQUEST_ID_HEADER = "request_id"
TENANT_HEADER = "_schema_name"  # set by tenant-schemas-celery: the schema the task runs in


@before_task_publish.connect
def carry_request_id(headers: dict[str, Any], **kwargs: Any) -> None:
    """Stamp the id of the request (or task) that queues a task onto the task's headers."""
    headers.setdefault(REQUEST_ID_HEADER, request_id_var.get())


@task_prerun.connect
def enter_task_context(task: Any, **kwargs: Any) -> None:
    """Log lines of a task name the request that queued it and the tenant it runs for.

    A task run inline (no broker) is already inside that request's context.
    """
    if task.request.is_eager:
        return
    request_id_var.set(getattr(task.request, REQUEST_ID_HEADER, None) or "-")
    tenant_var.set(getattr(task.request, TENANT_HEADER, None) or "-")


@task_postrun.connect
def leave_task_context(task: Any, **kwargs: Any) -> None:
    if task.request.is_eager:
        return
    request_id_var.set("-")
    tenant_var.set("-")


@beat_init.connect
def make_schedule_folder(sender: Any, **kwargs: Any) -> None:
    """Beat keeps its schedule in a file; a missing folder would stop it silently."""
    Path(app.conf.beat_schedule_filename).parent.mkdir(parents=True, exist_ok=True)
