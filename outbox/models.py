from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, ClassVar

from django.db import models
from django.db.models import Q
from django.utils import timezone


class DeliveryQuerySet(models.QuerySet[Any]):
    def claimable(self, now: datetime) -> DeliveryQuerySet:
        """Pending rows no live worker holds (never claimed, or their lease ran out)."""
        return self.filter(status=QueuedDelivery.Status.PENDING).filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
        )

    def due(self, now: datetime | None = None) -> DeliveryQuerySet:
        """Claimable rows whose (next) attempt is at or before ``now`` (default: now)."""
        now = now or timezone.now()
        return self.claimable(now).filter(next_attempt_at__lte=now)


class QueuedDelivery(models.Model):
    """What every outbox row shares: a state, attempts, the next attempt's time and a lease.

    Rows are written in the transaction of the change that causes them and delivered at least
    once by workers that claim them (``outbox.services.claim_due``) for a lease, outside any
    transaction while they talk to the other side; a claim whose worker died runs out.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    objects: ClassVar[DeliveryQuerySet] = DeliveryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        abstract = True


class Message(QueuedDelivery):
    """An e-mail written in the same transaction as the change that caused it.

    A worker delivers it at least once; ``key`` makes writing the same e-mail twice a no-op.
    A worker claims a message for ``LEASE`` before talking to the mail server, outside any
    transaction; a claim whose worker died runs out and the message is claimable again.
    """

    MAX_ATTEMPTS = 8
    # Longer than a claimed batch can take: DELIVERY_BATCH messages at EMAIL_TIMEOUT each.
    LEASE = timedelta(minutes=10)

    key = models.CharField(max_length=200, unique=True)
    recipient = models.EmailField()
    from_email = models.CharField(
        max_length=320,
        blank=True,
        help_text="Sender with display name; DEFAULT_FROM_EMAIL if blank.",
    )
    subject = models.CharField(max_length=300)
    body = models.TextField()
    html_body = models.TextField(blank=True)

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
