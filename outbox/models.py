from __future__ import annotations

from datetime import timedelta
from typing import ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone


class MessageQuerySet(models.QuerySet["Message"]):
    def due(self) -> MessageQuerySet:
        return self.filter(status=Message.Status.PENDING, next_attempt_at__lte=timezone.now())


class Message(models.Model):
    """A side effect written in the same transaction as the change that caused it.

    A worker delivers it at least once; ``key`` makes writing the same effect twice a no-op.
    """

    MAX_ATTEMPTS = 8

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    key = models.CharField(max_length=200, unique=True)
    recipient = models.EmailField()
    subject = models.CharField(max_length=300)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    objects: ClassVar[MessageQuerySet] = MessageQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="outbox_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.status})"

    @staticmethod
    def backoff(attempts: int) -> timedelta:
        """Wait before retry ``attempts``: 1, 2, 4 … minutes, at most an hour."""
        return timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))
