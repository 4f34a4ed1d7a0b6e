"""The SLA compliance rollup (``SettledDeadlineCount``), kept by triggers on the deadlines:
every way a deadline is written leaves it equal to a count of the deadlines made here in
Python, two changes of one row at once are both counted, and the report reads it for whole
quarter hours and the deadlines themselves only at the edges."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint
from complaints.services.clocks import mark_met, restart_resolution_clock, stop_clocks
from deadlines.models import Clock, Deadline
from reports import metrics
from reports.metrics import Period, Scope
from reports.models import SLOTS, SettledDeadlineCount
from reports.settled import quarter_ceiling, quarter_floor, rebuild_settled_counts
from tests.complaints.test_concurrency import World, in_bank, race, world  # noqa: F401
from tests.reports.conftest import london, scope
from tests.reports.test_query_plans import explain_with_only

NOW = london(2026, 6, 30, 12, 7)
JUNE = scope(date(2026, 6, 1), date(2026, 6, 30), NOW)


def kept() -> Counter[tuple[Any, ...]]:
    """The rollup's non-zero rows."""
    return Counter(
        {
            (row.bucket, row.clock, row.in_time, row.slot): row.count
            for row in SettledDeadlineCount.objects.exclude(count=0)
        }
    )


def counted_here() -> Counter[tuple[Any, ...]]:
    """The same counts worked out in Python from the deadlines, by the rollup's rule."""
    counts: Counter[tuple[Any, ...]] = Counter()
    for d in Deadline.objects.all():
        stopped_before_due = d.met_at is None and d.stopped_at and d.stopped_at <= d.due_at
        if not d.enforced or stopped_before_due:
            continue
        in_time = d.met_at is not None and d.met_at <= d.due_at
        settled = d.met_at if in_time else d.due_at
        counts[(quarter_floor(settled), d.clock, in_time, d.pk % SLOTS)] += 1
    return counts


def test_quarters_start_on_the_quarter_hour_in_utc() -> None:
    kathmandu = ZoneInfo("Asia/Kathmandu")  # UTC+05:45: its midnight is a quarter hour
    midnight = datetime(2026, 6, 1, tzinfo=kathmandu)
    assert quarter_floor(midnight) == midnight == quarter_ceiling(midnight)
    moment = london(2026, 6, 1, 9, 14)
    assert quarter_floor(moment) == london(2026, 6, 1, 9, 0)
    assert quarter_ceiling(moment) == london(2026, 6, 1, 9, 15)


def test_every_way_a_deadline_is_written_keeps_the_rollup_equal_to_a_recount(
    received_at: Callable[..., Complaint],
) -> None:
    first, second, third = (received_at(london(2026, 6, 1, 9, minute)) for minute in (0, 5, 40))
    assert counted_here() and kept() == counted_here()  # created with their complaints

    mark_met(first, [Clock.FINAL_RESPONSE], at=london(2026, 6, 3, 10, 20))  # in time
    assert kept() == counted_here()
    late = Deadline.objects.get(complaint=second, clock=Clock.FINAL_RESPONSE)
    mark_met(second, [Clock.FINAL_RESPONSE], at=late.due_at + timedelta(minutes=1))
    assert kept() == counted_here()
    moved = Deadline.objects.filter(complaint=third).first()
    assert moved is not None
    moved.due_at += timedelta(days=2, minutes=7)  # an SLA clock pushed back by a pause
    moved.save(update_fields=["due_at"])
    assert kept() == counted_here()
    Deadline.objects.filter(complaint=third).update(at_risk_notified_at=NOW)  # counts nothing
    assert kept() == counted_here()
    third.refresh_from_db()
    Complaint.objects.filter(pk=third.pk).update(status="withdrawn")
    third.status = "withdrawn"
    stop_clocks(third)  # stopped before due: no longer counted
    assert kept() == counted_here()
    restart_resolution_clock(first)  # met again later: counted at its due time for now
    assert kept() == counted_here()
    Deadline.objects.filter(complaint=second).update(enforced=False)
    assert kept() == counted_here()
    Deadline.objects.filter(complaint=first).delete()
    assert kept() == counted_here()

    written = kept()
    rebuild_settled_counts()
    assert kept() == written


def test_a_write_counts_in_the_rollup_of_its_own_schema_whatever_the_search_path(
    received_at: Callable[..., Complaint],
) -> None:
    received_at(london(2026, 6, 1, 9))
    schema = connection.schema_name
    before = kept()
    with connection.cursor() as cursor:
        # A maintenance session that names the tenant's table but sits in another schema.
        cursor.execute("SET LOCAL search_path TO public")
        cursor.execute(
            f"UPDATE \"{schema}\".deadlines_deadline SET met_at = due_at - interval '1 hour'"
        )
        cursor.execute(f'SET LOCAL search_path TO "{schema}", public')
    assert kept() == counted_here() != before


def test_emptying_the_deadline_table_empties_the_rollup(
    received_at: Callable[..., Complaint],
) -> None:
    received_at(london(2026, 6, 1, 9))
    assert kept()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the set-up's deferred key checks
        cursor.execute("TRUNCATE deadlines_deadline CASCADE")
    assert kept() == Counter() == counted_here()
    assert metrics.sla_compliance(JUNE).rows == []


def test_the_report_counts_whole_quarters_from_the_rollup_and_the_rest_from_the_deadlines(
    received_at: Callable[..., Complaint],
) -> None:
    complaints = [received_at(london(2026, 5, 20, 9)) for _ in range(4)]
    Deadline.objects.all().delete()
    final = Clock.FINAL_RESPONSE

    def deadline(complaint: Complaint, due_at: datetime, **extra: Any) -> None:
        Deadline.objects.create(complaint=complaint, clock=final, due_at=due_at, **extra)

    # Met in time on 12 June: from the rollup.
    deadline(complaints[0], london(2026, 7, 15), met_at=london(2026, 6, 12, 10))
    # Missed at 12:03 today, in the quarter hour now is in: from the deadlines.
    deadline(complaints[1], london(2026, 6, 30, 12, 3))
    # Due at 12:10 today, after now: not yet settled, not counted.
    deadline(complaints[2], london(2026, 6, 30, 12, 10))
    # Met in time at 23:59 on 31 May: before the period.
    deadline(complaints[3], london(2026, 6, 2), met_at=london(2026, 5, 31, 23, 59))

    with CaptureQueriesContext(connection) as captured:
        table = metrics.sla_compliance(JUNE)

    assert table.rows == [("Final response", 2, 1, 1, 50.0)]
    sql = [q["sql"] for q in captured.captured_queries]
    assert any(SettledDeadlineCount._meta.db_table in q for q in sql)
    assert any("deadlines_deadline" in q for q in sql)


def test_a_period_in_a_time_zone_three_quarters_off_the_hour_is_counted_exactly(
    received_at: Callable[..., Complaint],
) -> None:
    kathmandu = ZoneInfo("Asia/Kathmandu")
    complaints = [received_at(london(2026, 5, 20, 9)) for _ in range(2)]
    Deadline.objects.all().delete()
    inside = datetime(2026, 6, 1, 0, 5, tzinfo=kathmandu)
    outside = datetime(2026, 5, 31, 23, 55, tzinfo=kathmandu)
    for complaint, due in zip(complaints, (inside, outside), strict=True):
        Deadline.objects.create(complaint=complaint, clock=Clock.RESOLUTION, due_at=due)
    june = Scope(Period(date(2026, 6, 1), date(2026, 6, 30), kathmandu), NOW)

    assert metrics.sla_compliance(june).rows == [("Resolution", 1, 0, 1, 0.0)]


def test_the_rollup_query_is_an_index_only_scan_of_a_range_of_quarters(
    received_at: Callable[..., Complaint],
) -> None:
    received_at(london(2026, 6, 1))

    with CaptureQueriesContext(connection) as captured:
        metrics.sla_compliance(JUNE)

    table = SettledDeadlineCount._meta.db_table
    [rolled] = [q["sql"] for q in captured.captured_queries if table in q["sql"]]
    plan = explain_with_only("settled_count_one_row_per_key", rolled, table)
    assert any("Index Only Scan using settled_count_one_row_per_key" in line for line in plan)
    assert any("Index Cond" in line and "bucket >=" in line for line in plan), plan


def test_two_deadlines_met_at_once_in_one_rollup_row_are_both_counted(
    recounted_afterwards: None,
    world: World,  # noqa: F811
) -> None:
    # Deadlines of one clock whose ids share a slot: met in the same quarter hour, both
    # changes add to the same row at the same moment.
    made = [in_bank(world.complaint) for _ in range(SLOTS + 1)]
    deadlines = in_bank(
        lambda: list(
            Deadline.objects.filter(complaint__in=made, clock=Clock.FINAL_RESPONSE, enforced=True)
        )
    )
    by_slot: dict[int, list[Deadline]] = {}
    for deadline in deadlines:
        by_slot.setdefault(deadline.pk % SLOTS, []).append(deadline)
    one, other = next(pair for pair in by_slot.values() if len(pair) >= 2)[:2]
    at = min(one.due_at, other.due_at) - timedelta(days=1)
    in_bank(rebuild_settled_counts)
    key = {"bucket": quarter_floor(at), "clock": Clock.FINAL_RESPONSE, "slot": one.pk % SLOTS}

    def meet(deadline: Deadline) -> Callable[[], Callable[[], Any]]:
        def prepare() -> Callable[[], Any]:
            complaint = Complaint.objects.get(pk=deadline.complaint_id)
            return lambda: mark_met(complaint, [Clock.FINAL_RESPONSE], at=at)

        return prepare

    outcomes = race(meet(one), meet(other))

    assert len(outcomes.results) == 2, outcomes
    row = in_bank(lambda: SettledDeadlineCount.objects.get(**key, in_time=True))
    assert row.count == 2
    written = in_bank(kept)
    in_bank(rebuild_settled_counts)
    assert in_bank(kept) == written
