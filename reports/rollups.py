"""The report rollups (``DailyCount``): kept with each change, rebuilt from the complaints.

``count_change`` observes every change at the gate (``complaints.services.gate``), inside
its transaction: it works out the rows the complaint counted in before and after the change
and applies the difference. Increments are ``INSERT … ON CONFLICT DO UPDATE``: two changes
that touch the same row wait for each other's commit instead of losing an update, and
apply their rows in one sorted order, so they never deadlock. Each complaint counts in one
of ``SLOTS`` rows of a key, so changes to different complaints (a burst of intake to one
team on one day) seldom wait at all. ``rebuild_counts`` recounts every row from the
complaint table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.postgres.fields import ArrayField
from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    F,
    Func,
    IntegerField,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Mod, TruncDate

from complaints.models import ACTIVE_STATUSES, Complaint
from complaints.services.gate import Change
from deadlines.models import Clock
from deadlines.regulation import regulator_for
from deadlines.regulation.base import Regulator, RegulatoryDays
from deadlines.services import regulatory_days
from reports.models import SLOTS, DailyCount
from tenancy import current

Measure = DailyCount.Measure
Band = DailyCount.Band
# The moment a complaint was closed for reporting: its resolution (summary resolution or
# final response sent), or its closing when it was closed without one (withdrawn, merged).
CLOSED_MOMENT = Coalesce("resolved_at", "closed_at")
# The complaint columns the counts depend on.
FIELDS = (
    "id",
    "received_at",
    "resolved_at",
    "closed_at",
    "status",
    "category_id",
    "team_id",
    "assignee_id",
    "outcome",
    "redress_amount",
    "redress_currency",
    "first_responded_at",
    "satisfaction_score",
)
# measure, day, category, team, outcome, assignee, band, redress currency, bucket, slot
Key = tuple[str, date | None, int | None, int | None, str, int | None, str, str | None, int, int]
# Durations are counted in whole hours (rounded down) up to this many hours, and in whole
# days (24-hour spans, each band starting at its first hour) from then on.
HOURLY_BANDS_UNTIL = 48


def whole_seconds(elapsed: timedelta) -> int:
    """``elapsed`` in whole seconds, rounded down (as ``WholeSeconds`` in SQL)."""
    return elapsed // timedelta(seconds=1)


def duration_band(elapsed: timedelta) -> int:
    """The band of a duration, as its first hour: the whole hours (rounded down; none for a
    negative duration) up to ``HOURLY_BANDS_UNTIL``, then the whole days' first hour."""
    hours = max(0, whole_seconds(elapsed)) // 3600
    return hours if hours < HOURLY_BANDS_UNTIL else hours - hours % 24


@dataclass
class Bands:
    """The FCA return's bands of a closing moment, from the local day of receipt: by the
    summary resolution deadline (DISP 1.5), by the final response deadline (DISP 1.6), or
    later. Both deadlines depend only on the day of receipt."""

    regulator: Regulator
    days: RegulatoryDays
    time_zone: ZoneInfo
    _known: dict[date, tuple[datetime, datetime]] = field(default_factory=dict)

    @classmethod
    def of_tenant(cls) -> Bands | None:
        """The current tenant's bands; None when its regulator has no such return."""
        regulator = regulator_for(current.tenant().regulatory_profile)
        if not regulator.fca_return:
            return None
        return cls(regulator, regulatory_days(regulator), current.time_zone())

    def deadlines(self, day: date) -> tuple[datetime, datetime]:
        """The summary resolution and final response deadlines of a complaint received on
        local ``day``."""
        if day not in self._known:
            start = datetime.combine(day, time(), tzinfo=self.time_zone)
            summary = self.regulator.rule_for(Clock.SUMMARY_RESOLUTION)
            final = self.regulator.rule_for(Clock.FINAL_RESPONSE)
            assert summary is not None and final is not None, "the FCA return needs both clocks"
            self._known[day] = (
                summary.due_after(self.days, start, summary.length),
                final.due_after(self.days, start, final.length),
            )
        return self._known[day]

    def band(self, received_at: datetime, closed_at: datetime) -> str:
        summary, final = self.deadlines(received_at.astimezone(self.time_zone).date())
        if closed_at <= summary:
            return Band.SUMMARY.value
        return Band.FINAL.value if closed_at <= final else Band.LATER.value


def counted_rows(
    values: Mapping[str, Any], time_zone: ZoneInfo, bands: Bands | None
) -> dict[Key, tuple[int, Decimal]]:
    """The rows one complaint (its column values; none for no complaint) counts in, each
    with what it adds: one complaint and its redress."""
    received_at = values.get("received_at")
    if received_at is None:
        return {}
    slot = values["id"] % SLOTS
    received = received_at.astimezone(time_zone).date()
    category, team, outcome = values["category_id"], values["team_id"], values["outcome"]
    one = (1, Decimal(0))
    rows: dict[Key, tuple[int, Decimal]] = {
        (Measure.RECEIVED.value, received, category, team, outcome, None, "", None, 0, slot): one
    }
    closed_at = values["resolved_at"] or values["closed_at"]
    if values["status"] in ACTIVE_STATUSES:
        assignee = values["assignee_id"]
        rows[(Measure.ACTIVE.value, None, None, team, "", assignee, "", None, 0, slot)] = one
        rows[(Measure.AGEING.value, received, None, team, "", None, "", None, 0, slot)] = one
    else:
        day = (
            received if closed_at is None else max(received, closed_at.astimezone(time_zone).date())
        )
        rows[(Measure.SETTLED.value, day, category, team, outcome, None, "", None, 0, slot)] = one
    if closed_at is not None:
        redress = values["redress_amount"]
        currency = None if redress is None else values["redress_currency"]
        band = bands.band(received_at, closed_at) if bands else ""
        day = closed_at.astimezone(time_zone).date()
        key = (Measure.CLOSED.value, day, category, team, outcome, None, band, currency, 0, slot)
        rows[key] = (1, redress or Decimal(0))
    # The times and ratings: their rows are spread over their bands already, so one slot.
    responded_at = values["first_responded_at"]
    if responded_at is not None:
        elapsed = responded_at - received_at
        times = (Measure.RESPONDED.value, received, category, team, "", None, "", None)
        rows[(*times, duration_band(elapsed), 0)] = (1, Decimal(whole_seconds(elapsed)))
    resolved_at = values["resolved_at"]
    if resolved_at is not None:
        elapsed = resolved_at - received_at
        day = resolved_at.astimezone(time_zone).date()
        times = (Measure.RESOLUTION.value, day, category, team, "", None, "", None)
        rows[(*times, duration_band(elapsed), 0)] = (1, Decimal(whole_seconds(elapsed)))
        score = values["satisfaction_score"]
        if score is not None:
            rows[(Measure.RATED.value, day, category, team, "", None, "", None, score, 0)] = one
    return rows


def _sort_key(key: Key) -> tuple[Any, ...]:
    return tuple(("" if value is None else str(value)) for value in key)


COLUMNS = (
    "measure",
    "day",
    "category_id",
    "team_id",
    "outcome",
    "assignee_id",
    "band",
    "redress_currency",
    "bucket",
    "slot",
)


def apply_differences(differences: Mapping[Key, tuple[int, Decimal]]) -> None:
    """Add each difference to its row, creating the row when missing."""
    keys = sorted((key for key, value in differences.items() if any(value)), key=_sort_key)
    if not keys:
        return
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    values = ", ".join(["(" + ", ".join(["%s"] * (len(COLUMNS) + 2)) + ")"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(
            # Table and column names come from this module; every value is a parameter.
            f"INSERT INTO {table} ({', '.join(COLUMNS)}, count, amount) VALUES {values} "  # noqa: S608
            "ON CONFLICT ON CONSTRAINT daily_count_one_row_per_key DO UPDATE SET "
            f"count = {table}.count + EXCLUDED.count, amount = {table}.amount + EXCLUDED.amount",
            [value for key in keys for value in (*key, *differences[key])],
        )


def count_change(change: Change) -> None:
    """Move the complaint's counts from what it was before ``change`` to what it is now."""
    time_zone = current.time_zone()
    complaint = change.complaint
    after = {name: getattr(complaint, name) for name in FIELDS}
    closing = (after["resolved_at"] or after["closed_at"]) or (
        change.before.get("resolved_at") or change.before.get("closed_at")
    )
    bands = Bands.of_tenant() if closing else None
    differences: dict[Key, tuple[int, Decimal]] = dict(counted_rows(after, time_zone, bands))
    for key, (count, amount) in counted_rows(change.before, time_zone, bands).items():
        added = differences.get(key, (0, Decimal(0)))
        differences[key] = (added[0] - count, added[1] - amount)
    apply_differences(differences)


class DeadlineOfDay(Func):
    """``deadlines[array_position(days, day)]``: a deadline looked up by its receipt day."""

    template = "(%(expressions)s]"
    arg_joiner = ")["

    def __init__(self, days: list[date], deadlines: list[datetime], day: Any) -> None:
        super().__init__(
            Value(deadlines, output_field=ArrayField(DateTimeField())),
            Func(
                Value(days, output_field=ArrayField(DateField())),
                day,
                function="array_position",
                output_field=IntegerField(),
            ),
            output_field=DateTimeField(),
        )


class WholeSeconds(Func):
    """An interval in whole seconds, rounded down (as ``whole_seconds``)."""

    template = "FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
    output_field = IntegerField()


def _times(finish: str) -> dict[str, Any]:
    """The band (``duration_band``) and the whole seconds from receipt to ``finish``, in
    SQL."""
    seconds = WholeSeconds(F(finish) - F("received_at"))
    hours = Func(Value(0), seconds / 3600, function="GREATEST", output_field=IntegerField())
    return {
        "bucket": Case(
            When(Q(**{"hours__lt": HOURLY_BANDS_UNTIL}), then=F("hours")),
            default=F("hours") - Mod(F("hours"), 24),
            output_field=IntegerField(),
        ),
        "seconds": seconds,
        "hours": hours,
    }


def _band_expression(bands: Bands | None, receipt_days: list[date]) -> Any:
    """The band of each closed complaint in SQL, from the deadlines of its receipt day."""
    if bands is None:
        return Value("")
    deadlines = [bands.deadlines(day) for day in receipt_days]
    received_on = TruncDate("received_at", tzinfo=bands.time_zone)
    summary = DeadlineOfDay(receipt_days, [pair[0] for pair in deadlines], received_on)
    final = DeadlineOfDay(receipt_days, [pair[1] for pair in deadlines], received_on)
    return Case(
        When(Q(closed_moment__lte=summary), then=Value(Band.SUMMARY.value)),
        When(Q(closed_moment__lte=final), then=Value(Band.FINAL.value)),
        default=Value(Band.LATER.value),
        output_field=CharField(),
    )


def _recount() -> list[DailyCount]:
    """Every row, aggregated from the complaint table in the current tenant."""
    time_zone = current.time_zone()
    complaints = Complaint.objects.alias(
        received_on=TruncDate("received_at", tzinfo=time_zone),
        closed_moment=CLOSED_MOMENT,
        closed_on=TruncDate(CLOSED_MOMENT, tzinfo=time_zone),
    ).annotate(slot=Mod("id", SLOTS))
    total = {"count": Count("id"), "amount": Value(Decimal(0), output_field=DecimalField())}
    active = Q(status__in=ACTIVE_STATUSES)
    rows: list[dict[str, Any]] = []
    by_category = ("category_id", "team_id", "outcome", "slot")
    rows += [
        {"measure": Measure.RECEIVED, **row}
        for row in complaints.annotate(day=F("received_on"))
        .values("day", *by_category)
        .annotate(**total)
        .order_by()
    ]
    rows += [
        {"measure": Measure.SETTLED, **row}
        for row in complaints.exclude(active)
        .annotate(
            day=Func("received_on", Coalesce("closed_on", "received_on"), function="GREATEST")
        )
        .values("day", *by_category)
        .annotate(**total)
        .order_by()
    ]
    rows += [
        {"measure": Measure.ACTIVE, **row}
        for row in complaints.filter(active)
        .values("team_id", "assignee_id", "slot")
        .annotate(**total)
        .order_by()
    ]
    rows += [
        {"measure": Measure.AGEING, **row}
        for row in complaints.filter(active)
        .annotate(day=F("received_on"))
        .values("day", "team_id", "slot")
        .annotate(**total)
        .order_by()
    ]
    for measure, finish, day in (
        (Measure.RESPONDED, "first_responded_at", F("received_on")),
        (Measure.RESOLUTION, "resolved_at", TruncDate("resolved_at", tzinfo=time_zone)),
    ):
        times = _times(finish)
        rows += [
            {"measure": measure, **row}
            for row in complaints.filter(**{f"{finish}__isnull": False})
            .alias(hours=times["hours"])
            .annotate(day=day, bucket=times["bucket"])
            .values("day", "category_id", "team_id", "bucket")
            .annotate(count=Count("id"), amount=Sum(times["seconds"]))
            .order_by()
        ]
    rows += [
        {"measure": Measure.RATED, **row}
        for row in complaints.filter(resolved_at__isnull=False, satisfaction_score__isnull=False)
        .annotate(day=TruncDate("resolved_at", tzinfo=time_zone), bucket=F("satisfaction_score"))
        .values("day", "category_id", "team_id", "bucket")
        .annotate(**total)
        .order_by()
    ]
    closed = complaints.filter(closed_moment__isnull=False)
    bands = Bands.of_tenant()
    receipt_days = list(
        closed.annotate(receipt_day=F("received_on"))
        .values_list("receipt_day", flat=True)
        .distinct()
        .order_by("receipt_day")
    )
    rows += [
        {"measure": Measure.CLOSED, **row}
        for row in closed.annotate(
            day=F("closed_on"),
            band=_band_expression(bands, receipt_days),
            redress=Case(
                When(redress_amount__isnull=True, then=None), default=F("redress_currency")
            ),
        )
        .values("day", *by_category, "band", "redress")
        .annotate(count=Count("id"), amount=Coalesce(Sum("redress_amount"), Decimal(0)))
        .order_by()
    ]
    return [
        DailyCount(
            **{
                ("redress_currency" if name == "redress" else name): value
                for name, value in row.items()
            }
        )
        for row in rows
    ]


def rebuild_counts() -> int:
    """Recount every ``DailyCount`` of the current tenant from its complaints; rows written.

    The rollup table is locked for the rebuild: a change committing meanwhile waits and
    then applies its difference to the rebuilt counts.
    """
    table = connection.ops.quote_name(DailyCount._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
            # One statement: the ORM's delete would read every row first.
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - the model's own table
        return len(DailyCount.objects.bulk_create(_recount(), batch_size=5000))
