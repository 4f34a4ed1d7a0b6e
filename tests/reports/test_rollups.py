"""The report rollups give the figures the complaint table gives, and stay right under
concurrent changes.

A generated set of complaints goes through the real services at frozen moments (intake on
behalf with a date of receipt, assignment, moves between teams, recategorising, resolution
with and without redress, acceptance, rejection, withdrawal); every figure read from the
rollups is then compared with the same figure computed directly from the complaints.
"""

from __future__ import annotations

import contextlib
import random
import statistics
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db.models import Avg, Count, F, Q, Sum

from accounts.models import User
from complaints.models import (
    ACTIVE_STATUSES,
    Category,
    Complaint,
    Event,
    Outcome,
    RootCause,
    Status,
    Team,
)
from complaints.services import (
    ComplaintError,
    accept_resolution,
    assign_complaint,
    change_category,
    change_status,
    move_to_team,
    rate_complaint,
    reject_resolution,
    reply_to_complaint,
    resolve_complaint,
    submit_complaint,
)
from reports import metrics
from reports.metrics import PRODUCT, Period, Scope
from reports.models import DailyCount
from reports.rollups import CLOSED_MOMENT, Bands, rebuild_counts
from tenancy import current
from tests.complaints.test_concurrency import World, in_bank, race, world  # noqa: F401
from tests.reports.conftest import london

NOW = london(2026, 8, 3, 9, 30)


def _rows() -> dict[tuple[Any, ...], tuple[int, Decimal]]:
    """The rollup's rows that count something, by key."""
    return {
        (
            row.measure,
            row.day,
            row.category_id,
            row.team_id,
            row.outcome,
            row.assignee_id,
            row.band,
            row.redress_currency,
            row.bucket,
            row.slot,
        ): (row.count, row.amount)
        for row in DailyCount.objects.all()
        if row.count or row.amount
    }


@pytest.fixture
def generated(
    bank: Any,
    consumer: User,
    other_consumer: User,
    manager: User,
    agent: User,
    front_line: Team,
    category: Category,
) -> list[Complaint]:
    """Sixty complaints received over seven months and worked through the services."""
    # Start from counts that agree with the rows: tests that commit (the browser's live
    # server, the races) leave none of their complaints but may leave what they counted.
    rebuild_counts()
    second_team = Team.objects.create(name="Second line")
    cards = Category.objects.create(name="Cards")
    fraud = Category.objects.create(name="Fraud", parent=cards)
    cause = RootCause.objects.create(name="Process gap")
    chooser = random.Random(13)
    complaints = []
    for number in range(60):
        received = london(2026, 1, 2, 8) + timedelta(hours=chooser.randrange(0, 24 * 200))
        owner = chooser.choice([consumer, other_consumer])
        with time_machine.travel(received + timedelta(minutes=5), tick=False):
            complaint = submit_complaint(
                consumer=owner,
                actor=manager,
                subject=f"Complaint {number}",
                description="Money taken twice.",
                category=chooser.choice([None, category, fraud]),
                channel="phone",
                received_at=received,
            )
        moment = received + timedelta(hours=1)
        for _ in range(chooser.randrange(0, 5)):
            moment += timedelta(hours=chooser.randrange(1, 24 * 30))
            if moment >= NOW:
                break
            with time_machine.travel(moment, tick=False):
                _work(
                    chooser,
                    complaint,
                    owner,
                    manager,
                    agent,
                    [front_line, second_team],
                    [category, fraud],
                    cause,
                )
        complaints.append(complaint)
    return complaints


def _work(
    chooser: random.Random,
    complaint: Complaint,
    owner: User,
    manager: User,
    agent: User,
    teams: list[Team],
    categories: list[Category],
    cause: RootCause,
) -> None:
    """One random step a person could take on the complaint now; refusals are skipped."""
    complaint.refresh_from_db()
    if complaint.status == Status.RESOLVED:
        steps: list[Callable[[], Any]] = [
            lambda: accept_resolution(complaint, actor=owner),
            lambda: reject_resolution(complaint, "Not enough.", actor=owner),
            lambda: change_status(complaint, Status.REOPENED, actor=manager),
            lambda: rate_complaint(complaint, chooser.randrange(1, 6), "", actor=owner),
        ]
    elif complaint.status == Status.CLOSED:
        steps = [lambda: rate_complaint(complaint, chooser.randrange(1, 6), "", actor=owner)]
    else:
        steps = [
            lambda: assign_complaint(complaint, chooser.choice([agent, None]), actor=manager),
            lambda: move_to_team(complaint, chooser.choice(teams), actor=manager),
            lambda: change_category(complaint, chooser.choice(categories), actor=manager),
            lambda: resolve_complaint(
                complaint,
                outcome=chooser.choice([Outcome.UPHELD, Outcome.PARTLY_UPHELD, Outcome.NOT_UPHELD]),
                summary="We looked into it.",
                root_cause=cause,
                redress_amount=chooser.choice([None, Decimal("25.50")]),
                redress_currency="GBP",
                actor=manager,
            ),
            lambda: change_status(complaint, Status.WITHDRAWN, actor=owner),
            lambda: reply_to_complaint(complaint, "We are looking into it.", actor=manager),
            lambda: reply_to_complaint(complaint, "We are looking into it.", actor=manager),
        ]
    with contextlib.suppress(ComplaintError):
        chooser.choice(steps)()


def _direct_received(period: Period) -> list[tuple[Any, ...]]:
    rows = list(
        Complaint.objects.filter(period.within("received_at"))
        .annotate(product=PRODUCT, cause=metrics.CAUSE)
        .values_list("product", "cause")
        .annotate(received=Count("pk"))
        .order_by("product", "cause")
    )
    return [*rows, ("Total", "", sum(row[2] for row in rows))]


def _direct_open_at_end(period: Period) -> int:
    end = period.end
    return Complaint.objects.filter(
        Q(received_at__lt=end)
        & (
            Q(status__in=ACTIVE_STATUSES)
            | Q(resolved_at__gte=end)
            | Q(resolved_at__isnull=True, closed_at__gte=end)
        )
    ).count()


def _direct_closed(period: Period) -> list[tuple[Any, ...]]:
    """The FCA bands worked out complaint by complaint from the regulator's deadlines."""
    bands = Bands.of_tenant()
    assert bands is not None
    closed = Complaint.objects.alias(moment=CLOSED_MOMENT).filter(period.within("moment"))
    by_product: dict[str, list[int]] = {}
    for complaint in closed.annotate(product=PRODUCT):
        moment = complaint.resolved_at or complaint.closed_at
        summary, final = bands.deadlines(complaint.received_at.astimezone(bands.time_zone).date())
        counts = by_product.setdefault(complaint.product, [0] * 5)
        counts[0] += moment <= summary
        counts[1] += summary < moment <= final
        counts[2] += 1
        counts[3] += complaint.outcome in metrics.RESOLVED_OUTCOMES
        counts[4] += complaint.outcome in metrics.UPHELD_OUTCOMES
    return [
        (
            product,
            three,
            eight,
            total - three - eight,
            total,
            resolved,
            upheld,
            metrics.share(upheld, resolved),
        )
        for product, (three, eight, total, resolved, upheld) in sorted(by_product.items())
    ]


def _direct_redress(period: Period) -> list[tuple[Any, ...]]:
    return list(
        Complaint.objects.alias(moment=CLOSED_MOMENT)
        .filter(period.within("moment"), redress_amount__isnull=False)
        .values_list("redress_currency")
        .annotate(complaints=Count("pk"), total=Sum("redress_amount"))
        .order_by("redress_currency")
    )


def _direct_workload(scope: Scope, group: str) -> list[tuple[Any, ...]]:
    counts = {
        "open": Count("pk"),
        "assigned": Count("pk", filter=Q(assignee__isnull=False)),
        "at_risk": Count("pk", filter=scope.at_risk()),
        "breached": Count("pk", filter=scope.breached()),
    }
    queryset = Complaint.objects.active()
    if group == "assignee":
        del counts["assigned"]
        queryset = queryset.filter(assignee__isnull=False)
    label = "No team" if group == "team" else ""
    return [
        (row["name"] or label, *(row[name] for name in counts))
        for row in queryset.values(group)
        .annotate(name=metrics._group_name(group), **counts)
        .order_by("name", group)
    ]


def _direct_backlog(scope: Scope) -> list[tuple[str, int]]:
    """Complaints being worked, by whole local days from the day of receipt to today."""
    zone = scope.period.time_zone
    today = scope.now.astimezone(zone).date()
    rows = []
    for label, youngest, oldest in metrics.BACKLOG_BUCKETS:
        ages = [
            (today - complaint.received_at.astimezone(zone).date()).days
            for complaint in Complaint.objects.active()
        ]
        rows.append(
            (label, sum(youngest <= age and (oldest is None or age < oldest) for age in ages))
        )
    return rows


def _banded_hours(elapsed: timedelta) -> int:
    """Whole hours up to two days, whole days' first hours beyond; none below zero."""
    hours = max(0, int(elapsed.total_seconds() // 3600))
    return hours if hours < 48 else 24 * (hours // 24)


def _direct_times(complaints: list[Complaint], finish: str) -> tuple[int, Any, Any]:
    elapsed = [getattr(complaint, finish) - complaint.received_at for complaint in complaints]
    if not elapsed:
        return (0, None, None)
    seconds = sum(int(each.total_seconds() // 1) for each in elapsed)
    median = statistics.median(_banded_hours(each) for each in elapsed)
    return (len(elapsed), round(float(median), 1), round(seconds / len(elapsed) / 3600, 1))


def _direct_response_times(period: Period) -> list[tuple[Any, ...]]:
    responded = Complaint.objects.filter(
        period.within("received_at"), first_responded_at__isnull=False
    )
    resolved = Complaint.objects.filter(period.within("resolved_at"))
    return [
        _direct_times(list(responded), "first_responded_at"),
        _direct_times(list(resolved), "resolved_at"),
    ]


def _direct_satisfaction(period: Period) -> list[tuple[Any, ...]]:
    rated = Complaint.objects.filter(period.within("resolved_at"), satisfaction_score__isnull=False)
    figures = rated.aggregate(average=Avg("satisfaction_score"), ratings=Count("pk"))
    rows: list[tuple[Any, ...]] = [
        (
            f"{score} out of 5",
            (count := rated.filter(satisfaction_score=score).count()),
            metrics.share(count, figures["ratings"]),
        )
        for score in range(1, 6)
    ]
    average = figures["average"]
    return [*rows, ("Average rating", None if average is None else round(average, 2), None)]


def test_rollup_figures_equal_the_figures_computed_from_the_complaints(
    generated: list[Complaint],
) -> None:
    statuses = {complaint.status for complaint in Complaint.objects.all()}
    assert {Status.RESOLVED, Status.CLOSED, Status.WITHDRAWN} <= statuses
    assert Event.objects.filter(to_status=Status.REOPENED).exists()
    assert Complaint.objects.filter(redress_amount__isnull=False).exists()
    assert Complaint.objects.filter(first_responded_at__isnull=False).count() > 10
    assert Complaint.objects.filter(satisfaction_score__isnull=False).count() > 3
    zone = current.time_zone()
    periods = [
        Period(date(2026, month, 1), date(2026, month + 1, 1) - timedelta(days=1), zone)
        for month in range(1, 8)
    ]
    periods += [
        Period(date(2026, 1, 1), date(2026, 6, 30), zone),
        Period(date(2025, 12, 1), date(2026, 8, 3), zone),
        Period(date(2026, 3, 29), date(2026, 3, 29), zone),  # the clocks go forward
        Period(date(2026, 4, 15), date(2026, 4, 15), zone),
    ]
    for period in periods:
        assert [tuple(row) for row in metrics.received_by_product(period).rows] == (
            _direct_received(period)
        ), period
        assert metrics.received_in(period) == _direct_received(period)[-1][2], period
        assert metrics.open_at_end(period) == _direct_open_at_end(period), period
        closed = [tuple(row) for row in metrics.closed_by_product(period).rows[:-1]]
        assert closed == _direct_closed(period), period
        assert [tuple(row) for row in metrics.redress_paid(period).rows] == (
            _direct_redress(period)
        ), period
        scope = Scope(period, NOW)
        times = [tuple(row[1:]) for row in metrics.response_times(scope).rows]
        assert times == _direct_response_times(period), period
        assert [tuple(row) for row in metrics.satisfaction(scope).rows] == (
            _direct_satisfaction(period)
        ), period
    for now in (NOW, NOW + timedelta(days=20), london(2026, 5, 1, 12), london(2026, 3, 29, 0, 30)):
        scope = Scope(periods[0], now)
        assert [tuple(row) for row in metrics.workload_by_team(scope).rows] == (
            _direct_workload(scope, "team")
        )
        assert [tuple(row) for row in metrics.workload_by_agent(scope).rows] == (
            _direct_workload(scope, "assignee")
        )
        assert [tuple(row) for row in metrics.backlog_by_age(scope).rows] == _direct_backlog(scope)


def test_rebuilding_the_rollups_gives_the_rows_the_changes_kept(
    generated: list[Complaint],
) -> None:
    kept = _rows()
    assert kept

    rebuild_counts()

    assert _rows() == kept


def test_two_changes_committing_at_once_on_one_count_are_both_counted(
    recounted_afterwards: None,
    world: World,  # noqa: F811
) -> None:
    # Two complaints received the same day in the same team; withdrawn at the same moment,
    # both leave the same received row (outcome blank) for the same withdrawn one.
    first = in_bank(world.complaint)
    second = in_bank(world.complaint)
    in_bank(rebuild_counts)  # the test's team was set on the rows directly
    before = in_bank(_rows)

    def withdraw(pk: int) -> Callable[[], Callable[[], Any]]:
        def prepare() -> Callable[[], Any]:
            page = Complaint.objects.get(pk=pk)
            return lambda: change_status(page, Status.WITHDRAWN, actor=world.consumer)

        return prepare

    outcomes = race(withdraw(first.pk), withdraw(second.pk))

    assert len(outcomes.results) == 2
    kept = in_bank(_rows)
    assert kept != before
    in_bank(rebuild_counts)
    assert in_bank(_rows) == kept
    withdrawn = in_bank(
        lambda: DailyCount.objects.filter(
            measure=DailyCount.Measure.SETTLED, team=world.team, outcome=Outcome.WITHDRAWN
        ).aggregate(total=Sum(F("count")))["total"]
    )
    assert withdrawn == 2


def test_two_first_replies_committing_at_once_on_one_time_band_are_both_counted(
    recounted_afterwards: None,
    world: World,  # noqa: F811
) -> None:
    # Two complaints received the same day in the same team, each answered for the first
    # time at the same moment within the hour: both add to the same band of the same day.
    first = in_bank(world.complaint)
    second = in_bank(world.complaint)
    in_bank(rebuild_counts)  # the test's team was set on the rows directly

    def reply(pk: int) -> Callable[[], Callable[[], Any]]:
        def prepare() -> Callable[[], Any]:
            page = Complaint.objects.get(pk=pk)
            return lambda: reply_to_complaint(page, "We are looking into it.", actor=world.alex)

        return prepare

    outcomes = race(reply(first.pk), reply(second.pk))

    assert len(outcomes.results) == 2, outcomes
    kept = in_bank(_rows)
    in_bank(rebuild_counts)
    assert in_bank(_rows) == kept
    responded = in_bank(
        lambda: DailyCount.objects.filter(
            measure=DailyCount.Measure.RESPONDED, team=world.team, bucket=0
        ).aggregate(total=Sum(F("count")))["total"]
    )
    assert responded == 2
