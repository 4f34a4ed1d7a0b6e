"""Provisioning runs in the background; its progress is a row the platform console polls."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class ProvisioningJob(models.Model):
    """One request to create a tenant, from the console, and how far it has got.

    Lives in the public schema. ``request`` holds the validated ``TenantRequest`` fields.
    """

    class Step(models.TextChoices):
        QUEUED = "queued", "Waiting for a worker"
        SCHEMA = "schema", "Creating the database schema"
        INVITATION = "invitation", "Inviting the first administrator"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    # A job still unfinished after this long lost its worker (a task is not run twice).
    STALLED_MINUTES = 10
    STALLED_AFTER = timedelta(minutes=STALLED_MINUTES)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    request = models.JSONField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    step = models.CharField(max_length=12, choices=Step.choices, default=Step.QUEUED)
    error = models.TextField(blank=True)
    tenant = models.ForeignKey(
        "tenancy.Tenant", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.request.get('slug', '?')}: {self.step}"

    @property
    def is_finished(self) -> bool:
        return self.step in {self.Step.DONE, self.Step.FAILED}

    @property
    def is_stalled(self) -> bool:
        """Unfinished ``STALLED_AFTER`` after it was queued: the console stops waiting."""
        return not self.is_finished and self.created_at < timezone.now() - self.STALLED_AFTER

    def progress(self) -> list[tuple[str, str]]:
        """Each step of the work with its state: ``done``, ``current`` or ``waiting`` (none
        once the job has failed; its ``error`` says why)."""
        if self.step == self.Step.FAILED:
            return []
        order = [self.Step.QUEUED, self.Step.SCHEMA, self.Step.INVITATION, self.Step.DONE]
        position = order.index(self.Step(self.step))
        states = []
        for step in (self.Step.SCHEMA, self.Step.INVITATION):
            index = order.index(step)
            state = "done" if index < position else "current" if index == position else "waiting"
            states.append((str(step.label), state))
        return states
