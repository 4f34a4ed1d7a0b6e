"""Each request and each background task starts without cached tenant settings."""

from __future__ import annotations

from typing import Any

from celery import Task
from celery.signals import task_prerun
from django.core.signals import request_started
from django.dispatch import receiver

from configuration.models import forget_current_settings


@receiver(request_started, dispatch_uid="configuration.forget_settings_per_request")
def forget_settings_per_request(**kwargs: Any) -> None:
    forget_current_settings()


@task_prerun.connect(dispatch_uid="configuration.forget_settings_per_task")
def forget_settings_per_task(task: Task | None = None, **kwargs: Any) -> None:
    # A task run inline belongs to the request (or task) that queued it, whose read stands.
    if task is not None and task.request.is_eager:
        return
    forget_current_settings()
