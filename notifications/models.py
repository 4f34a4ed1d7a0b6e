"""In-app notifications for staff: what happened to a complaint that needs them."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class NotificationQuerySet(models.QuerySet["Notification"]):
    def for_user(self, user: object) -> NotificationQuerySet:
        """The notifications addressed to ``user``; nobody reads another person's."""
        return self.filter(recipient_id=getattr(user, "pk", None))

    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One thing a staff member should know about one complaint (never sent to consumers)."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Assigned to you"
        CONSUMER_REPLIED = "consumer_replied", "Consumer replied"
        AT_RISK = "at_risk", "Deadline at risk"
        BREACHED = "breached", "Deadline missed"
        AWAITING_APPROVAL = "awaiting_approval", "Awaiting your approval"
        HANDED_BACK = "handed_back", "Handed back"
        REFERRED = "referred", "Referred to you"
        RETURNED = "returned", "Resolution returned"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.CASCADE, related_name="+"
    )
    event = models.ForeignKey(
        "complaints.Event", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # One line for the list: what happened, in words (no consumer message text).
    text = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[NotificationQuerySet] = NotificationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The list page: a person's newest first.
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_list_idx"),
            # The header's unread count.
            models.Index(
                fields=["recipient"],
                condition=Q(read_at__isnull=True),
                name="notification_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.text
