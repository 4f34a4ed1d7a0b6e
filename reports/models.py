"""Rollups of the report figures, kept with each change so reports never scan complaints."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from complaints.models import Category, Team

# Each complaint counts in one of this many rows of a key (by its id), so changes to
# different complaints rarely wait on the same row.
SLOTS = 4


def _counted(model: type[models.Model] | str) -> models.ForeignKey:  # type: ignore[type-arg]
    # No database constraint or index: a count is no reason to keep or find a row.
    return models.ForeignKey(
        model,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class DailyCount(models.Model):
    """How many complaints count towards ``measure`` on a local day of the tenant.

    One row per measure, day (in the tenant's time zone, fixed when the tenant is created),
    the complaints' *current* category, team, outcome (and, per measure, assignee, band,
    redress currency and bucket) and slot; ``count`` complaints, ``amount`` the sum of their
    redress (of their durations, in seconds, for the measures of times).
    ``reports.rollups`` keeps the rows with every change, inside its transaction.
    """

    class Measure(models.TextChoices):
        # On the local day of receipt.
        RECEIVED = "received", "Received"
        # No longer being worked (resolved, closed, withdrawn), on the later of the local
        # days of receipt and of the closing moment (resolution, else closing): complaints
        # received and settled by a day's end are the sums up to that day.
        SETTLED = "settled", "Settled"
        # On the local day of the closing moment, whatever the status now; with the band of
        # the regulator's return and the redress.
        CLOSED = "closed", "Closed"
        # Being worked now (no day), by team and assignee.
        ACTIVE = "active", "Active"
        # Being worked now, on the local day of receipt, by team (the backlog by age).
        AGEING = "ageing", "Being worked, by day of receipt"
        # With a first reply from staff, on the local day of receipt; ``bucket`` is the
        # band of the time from receipt to that reply (``reports.rollups.duration_band``),
        # ``amount`` the sum of those times in seconds.
        RESPONDED = "responded", "First response time"
        # Resolved (the latest resolution), on the local day of resolution; ``bucket`` and
        # ``amount`` as for the first response, of the time from receipt to resolution.
        RESOLUTION = "resolution", "Resolution time"
        # Resolved and rated by the consumer, on the local day of resolution; ``bucket`` is
        # the rating (1 to 5).
        RATED = "rated", "Rated"

    class Band(models.TextChoices):
        # The FCA return's bands of the closing moment (DISP 1.10): by the summary
        # resolution deadline, by the final response deadline, or later. Blank under other
        # regulators.
        SUMMARY = "summary", "Within 3 business days"
        FINAL = "final", "After 3 business days, within 8 weeks"
        LATER = "later", "After 8 weeks"

    measure = models.CharField(max_length=12, choices=Measure.choices)
    day = models.DateField(null=True)
    category = _counted(Category)
    team = _counted(Team)
    outcome = models.CharField(max_length=16, blank=True)
    assignee = _counted(settings.AUTH_USER_MODEL)
    band = models.CharField(max_length=8, choices=Band.choices, blank=True)
    # Null for complaints closed without redress.
    redress_currency = models.CharField(max_length=3, null=True)  # noqa: DJ001
    # Per measure: a rating, or the band of a duration (its start in whole hours).
    bucket = models.PositiveIntegerField(default=0)
    slot = models.PositiveSmallIntegerField(default=0)
    count = models.IntegerField(default=0)
    amount = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "measure",
                    "day",
                    "category",
                    "team",
                    "outcome",
                    "assignee",
                    "band",
                    "redress_currency",
                    "bucket",
                    "slot",
                ],
                nulls_distinct=False,
                name="daily_count_one_row_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.measure} {self.day}: {self.count}"


class SettledDeadlineCount(models.Model):
    """How many binding deadlines settled in a quarter of an hour, by clock and whether they
    were met in time: what SLA compliance counts (``reports.metrics.sla_compliance``).

    A deadline settles when it is met, if met by its due time, else at its due time (missed,
    or met late): ``deadlines.models.SETTLED_AT``. ``bucket`` is the start of the quarter
    hour (UTC, quarters from midnight) it settled in, or will settle in if nothing changes:
    a deadline still running counts in the quarter of its due time, which the report reads
    only once that time has passed. Deadlines that are not binding (``enforced`` false), and
    clocks stopped before they fell due, are not counted. Each deadline counts in one of
    ``SLOTS`` rows of a key (by its id), so changes to different deadlines seldom wait.

    Kept by database triggers on the deadline table (``reports.settled``), which see every
    write (a service's save, a bulk update, a delete) in its transaction; ``manage.py
    rebuild_report_counts`` recounts the rows.
    """

    bucket = models.DateTimeField()
    clock = models.CharField(max_length=24)
    in_time = models.BooleanField()
    slot = models.SmallIntegerField()
    count = models.IntegerField()

    class Meta:
        constraints = [
            # Also what a period's figures are read through (a range of ``bucket``), with the
            # count in the index, so it alone answers.
            models.UniqueConstraint(
                fields=["bucket", "clock", "in_time", "slot"],
                include=["count"],
                name="settled_count_one_row_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.clock} {self.bucket:%Y-%m-%d %H:%M}: {self.count}"
