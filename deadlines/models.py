from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import ClassVar

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Least

from configuration.cache import ConfigurationQuerySet, TenantCached


class Closure(models.Model):
    """A day the organisation is closed beyond its country's public holidays."""

    day = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    objects: ClassVar[ConfigurationQuerySet[Closure]] = ConfigurationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}"


def closure_days() -> frozenset[date]:
    """The days the organisation is closed, from the tenant's cache."""
    return CLOSURE_DAYS.get()


CLOSURE_DAYS = TenantCached(
    "closure-days", lambda: frozenset(Closure.objects.values_list("day", flat=True))
)
CLOSURE_DAYS.forget_on_change(Closure)


class SlaPolicy(models.Model):
    """The tenant's own targets for one priority, in business hours."""

    priority = models.CharField(max_length=10, unique=True)
    first_response_hours = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    resolution_hours = models.PositiveIntegerField(validators=[MinValueValidator(1)])

    objects: ClassVar[ConfigurationQuerySet[SlaPolicy]] = ConfigurationQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return f"{self.priority}: {self.first_response_hours}h / {self.resolution_hours}h"

    @property
    def first_response(self) -> timedelta:
        return timedelta(hours=self.first_response_hours)

    @property
    def resolution(self) -> timedelta:
        return timedelta(hours=self.resolution_hours)

    @classmethod
    def for_priority(cls, priority: str) -> SlaPolicy | None:
        """The targets of ``priority``, if the tenant set any (from the tenant's cache)."""
        return SLA_POLICIES.get().get(priority)


SLA_POLICIES = TenantCached(
    "sla-policies", lambda: {policy.priority: policy for policy in SlaPolicy.objects.all()}
)
SLA_POLICIES.forget_on_change(SlaPolicy)


class Clock(models.TextChoices):
    ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement"
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"
    SUMMARY_RESOLUTION = "summary_resolution", "Summary resolution (3 business days)"
    INITIAL_RESPONSE = "initial_response", "Response"
    FINAL_RESPONSE = "final_response", "Final response"
    ADR_LETTER = "adr_letter", "ADR letter"


def at_risk_condition(now: datetime, margin: timedelta, field: str = "due_at") -> Q:
    """A running deadline ``field`` that is at risk: after ``now``, at most ``margin`` away.

    The one definition of "at risk" (the deadline scan, the console queue and the dashboard):
    ``now < due <= now + margin``. The margin end is inclusive, so a deadline exactly
    ``margin`` away is at risk; a deadline due at ``now`` or before is breached instead, never
    both. ``margin`` is the tenant's ``TenantSettings.at_risk_margin`` (set in hours). Times
    are aware datetimes; the comparison is in UTC, so time zones do not matter.
    """
    return Q(**{f"{field}__gt": now, f"{field}__lte": now + margin})


def breached_condition(now: datetime, field: str = "due_at") -> Q:
    """A running deadline ``field`` that is breached: due at ``now`` or earlier."""
    return Q(**{f"{field}__lte": now})


# When a deadline settles: when it is met in time (at ``met_at``) or, if not, when it falls
# due (at ``due_at``: missed, or met late afterwards). SLA compliance counts deadlines by it
# (``reports.metrics.sla_compliance``), through ``deadline_settled_idx``.
SETTLED_AT = Least("due_at", Coalesce("met_at", "due_at"))


class DeadlineQuerySet(models.QuerySet["Deadline"]):
    def open(self) -> DeadlineQuerySet:
        return self.filter(met_at__isnull=True, enforced=True, stopped_at__isnull=True)

    def at_risk(self, now: datetime, margin: timedelta) -> DeadlineQuerySet:
        """Open deadlines due after ``now`` and at most ``margin`` later (see at_risk_condition)."""
        return self.open().filter(at_risk_condition(now, margin))

    def breached(self, now: datetime) -> DeadlineQuerySet:
        """Open deadlines due at ``now`` or earlier."""
        return self.open().filter(breached_condition(now))


class Deadline(models.Model):
    """One clock of one complaint: when it is due and whether (and when) it was met."""

    complaint = models.ForeignKey(
        "complaints.Complaint", on_delete=models.CASCADE, related_name="deadlines"
    )
    clock = models.CharField(max_length=24, choices=Clock.choices)
    due_at = models.DateTimeField()
    met_at = models.DateTimeField(null=True, blank=True)
    # The e-mail of the communication that met the clock: the clock counts as met at its
    # delivery, and is open again if it fails for good.
    met_by_message = models.ForeignKey(
        "outbox.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Regulatory clocks run on; the tenant's own SLA clocks pause while awaiting the consumer.
    regulatory = models.BooleanField(default=False)
    # A clock that records an opportunity (the FCA 3-day summary resolution) rather than a duty.
    enforced = models.BooleanField(default=True)
    at_risk_notified_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    # A clock that stopped with the complaint (withdrawn, merged, closed) before it was met:
    # not applicable any more, and never counted as missed.
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_reason = models.CharField(max_length=200, blank=True)

    objects: ClassVar[DeadlineQuerySet] = DeadlineQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["due_at"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "clock"], name="deadline_one_per_clock")
        ]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(met_at__isnull=True, enforced=True),
                name="deadline_open_due_idx",
            ),
            # Reports: SLA compliance of the deadlines due in a date range, by clock.
            models.Index(
                fields=["due_at"], include=["clock", "met_at", "enforced"], name="deadline_due_idx"
            ),
            # Reports: the binding deadlines that settled in a period, by clock, read from
            # the index alone (an index-only scan of the period's entries).
            models.Index(
                SETTLED_AT,
                condition=Q(enforced=True),
                include=["clock", "due_at", "met_at", "stopped_at"],
                name="deadline_settled_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_clock_display()} due {self.due_at:%Y-%m-%d %H:%M}"
