"""API clients (machine credentials of one integration) and webhook endpoints."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from accounts.models import ClientScope
from configuration.cache import ConfigurationQuerySet
from outbox.models import DeliveryQuerySet, QueuedDelivery


def hash_secret(secret: str) -> str:
    """The stored form of a client secret: SHA-256 (a secret is 256 random bits, so a slow
    password hash adds nothing)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiClient(models.Model):
    """One integration's machine credentials: an id, a secret shown once, and scopes.

    It acts as ``identity``, a user of the role ``API client`` whose changes and audit
    entries carry the client's name. Revoking it deactivates the identity, so every token it
    holds is refused at its next use.
    """

    name = models.CharField(max_length=100)
    client_id = models.CharField(max_length=40, unique=True)
    secret_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=20, choices=ClientScope.choices))
    identity = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_client"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_client_id() -> str:
        return f"cl_{secrets.token_hex(10)}"

    @staticmethod
    def new_secret() -> str:
        return f"cs_{secrets.token_urlsafe(32)}"

    def secret_matches(self, secret: str) -> bool:
        return hmac.compare_digest(self.secret_hash, hash_secret(secret))

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def scope_labels(self) -> list[str]:
        return [ClientScope(scope).label for scope in self.scopes]


class WebhookEvent(models.TextChoices):
    CREATED = "complaint.created", "Complaint created"
    STATUS_CHANGED = "complaint.status_changed", "Status changed"
    CONSUMER_MESSAGE = "complaint.consumer_message", "Message added by the consumer"
    ASSIGNED = "complaint.assigned", "Assigned"
    DEADLINE_AT_RISK = "complaint.deadline_at_risk", "Deadline at risk"
    DEADLINE_BREACHED = "complaint.deadline_breached", "Deadline breached"
    RESOLVED = "complaint.resolved", "Resolved"
    CLOSED = "complaint.closed", "Closed"


class WebhookEndpoint(models.Model):
    """A URL an admin registered to be told of complaint events, signed with its secret.

    ``internal`` (set by an admin) lets internal notes into its payloads; other endpoints
    never receive them. After ``WEBHOOK_DISABLE_AFTER`` failed attempts in a row it is
    disabled and the tenant's admins are told.
    """

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=100, blank=True)
    events = ArrayField(models.CharField(max_length=40, choices=WebhookEvent.choices))
    internal = models.BooleanField(
        default=False, help_text="Payloads may carry internal notes and staff names."
    )
    # Kept to sign every delivery; shown to the admin once, when the endpoint is created.
    secret = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)

    objects: ClassVar[ConfigurationQuerySet[WebhookEndpoint]] = ConfigurationQuerySet.as_manager()  # type: ignore[assignment]
    # Counted on every delivery; the cached list of endpoints does not show it.
    UNCACHED_FIELDS: ClassVar[frozenset[str]] = frozenset({"consecutive_failures"})

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url

    @staticmethod
    def new_secret() -> str:
        return f"whsec_{secrets.token_hex(24)}"

    @property
    def is_enabled(self) -> bool:
        return self.disabled_at is None

    def event_labels(self) -> list[str]:
        return [WebhookEvent(event).label for event in self.events]


class WebhookDelivery(QueuedDelivery):
    """One event for one endpoint: the outbox row of a webhook, written with the change.

    ``delivery_id`` stays the same over retries and redeliveries, so a receiver can
    deduplicate; ``event_id`` is the same for every endpoint told of the one event.
    """

    MAX_ATTEMPTS = 10
    # Longer than a claimed batch can take: DELIVERY_BATCH requests at the timeout each.
    LEASE = timedelta(minutes=5)

    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=40, choices=WebhookEvent.choices)
    reference = models.CharField(max_length=20)
    payload = models.JSONField()
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)

    objects: ClassVar[DeliveryQuerySet] = DeliveryQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_once_per_event")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=Q(status="pending"),
                name="webhook_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.reference} → {self.endpoint_id} ({self.status})"

    @staticmethod
    def backoff(attempts: int) -> timedelta:
        """Wait before retry ``attempts``: 30 s, 1, 2, 4 … minutes, at most six hours."""
        return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


class WebhookAttempt(models.Model):
    """One POST of a delivery: the delivery log an admin reads per endpoint."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=200, blank=True)
    succeeded = models.BooleanField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.status_code or self.error}"
