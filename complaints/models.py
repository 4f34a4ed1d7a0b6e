from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Role

SUBJECT_MAX_LENGTH = 200
TEXT_MAX_LENGTH = 20_000


class Category(models.Model):
    """Two levels: a product (no parent) and the causes filed under it."""

    name = models.CharField(max_length=100)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "categories"
        ordering = ["parent__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["parent", "name"], name="category_unique_name_per_parent"
            ),
            models.UniqueConstraint(
                fields=["name"], condition=Q(parent=None), name="category_unique_product_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name  # type: ignore[union-attr]


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="teams", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    AWAITING_CONSUMER = "awaiting_consumer", "Awaiting consumer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"
    WITHDRAWN = "withdrawn", "Withdrawn"


# Statuses in which the complaint still needs work from the organisation.
ACTIVE_STATUSES = (Status.NEW, Status.OPEN, Status.AWAITING_CONSUMER, Status.REOPENED)


class Priority(models.TextChoices):
    LOW = "low", "Low"
    NORMAL = "normal", "Normal"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


class Channel(models.TextChoices):
    PORTAL = "portal", "Web portal"
    API = "api", "API"
    PHONE = "phone", "Phone"
    LETTER = "letter", "Letter"
    EMAIL = "email", "E-mail"
    SOCIAL = "social", "Social media"
    IN_PERSON = "in_person", "In person"


class ComplaintQuerySet(models.QuerySet["Complaint"]):
    def active(self) -> ComplaintQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def visible_to(self, user: Any) -> ComplaintQuerySet:
        """The complaints a user may see; mirrors the ``view_complaint`` rule for lists."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        role = user.role
        if role == Role.CONSUMER:
            return self.filter(consumer=user)
        is_verified = getattr(user, "is_verified", None)
        if not (is_verified and is_verified()):
            return self.none()
        if role in (Role.MANAGER, Role.ADMIN):
            return self.all()
        if role == Role.AGENT:
            return self.filter(
                Q(team__isnull=True) | Q(team__members=user) | Q(assignee=user)
            ).distinct()
        if role == Role.SPECIALIST:
            return self.filter(specialist=user)
        return self.none()

    def for_list(self) -> ComplaintQuerySet:
        return self.select_related("consumer", "category", "category__parent", "team", "assignee")


class Complaint(models.Model):
    reference = models.CharField(max_length=20, unique=True, editable=False)
    consumer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="complaints"
    )
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH)
    description = models.TextField(max_length=TEXT_MAX_LENGTH)
    desired_outcome = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(max_length=12, choices=Channel.choices, default=Channel.PORTAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="complaints"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_complaints",
    )
    specialist = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="referred_complaints",
    )
    received_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)

    objects: ClassVar[ComplaintQuerySet] = ComplaintQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            # The consumer's own list, newest first.
            models.Index(fields=["consumer", "-received_at", "-id"], name="complaint_consumer_idx"),
            # The work queues: active complaints, oldest first, per team and per assignee.
            models.Index(
                fields=["team", "received_at", "id"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="complaint_team_queue_idx",
            ),
            models.Index(
                fields=["assignee", "received_at", "id"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="complaint_assignee_queue_idx",
            ),
            models.Index(
                fields=["received_at", "id"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="complaint_active_queue_idx",
            ),
            GinIndex(fields=["search_vector"], name="complaint_search_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


def next_reference(received_at: Any) -> str:
    """A human reference, unique in the tenant: year of receipt and the schema's sequence."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('complaint_reference_seq')")
        (number,) = cursor.fetchone()
    return f"C-{received_at:%Y}-{number:06d}"


class Event(models.Model):
    """One entry on a complaint's timeline."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", "Complaint received"
        REPLY = "reply", "Reply"
        NOTE = "note", "Internal note"
        STATUS_CHANGED = "status_changed", "Status changed"

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(max_length=TEXT_MAX_LENGTH, blank=True)
    is_internal = models.BooleanField(default=False)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["complaint", "created_at", "id"], name="event_timeline_idx")
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.kind}"

    @property
    def by_consumer(self) -> bool:
        return self.actor_id is not None and self.actor_id == self.complaint.consumer_id
