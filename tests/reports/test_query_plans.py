"""The plans of the dashboard's queries that still read complaints: the at-risk and
breached counts per team and per agent, and the root causes of a period, are index-only
scans (at a million complaints, of ``complaint_due_workload_idx``, seeking the range due by
the end of the at-risk margin, and of ``complaint_resolved_cause_idx``).

The tables here are tiny, so sequential and bitmap scans are switched off for the
transaction (and the complaints analysed, as autovacuum would): the question is whether the query *can* be answered from the index alone,
which PostgreSQL decides from the shape of the SQL and the index, not from the table's size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from complaints.models import Complaint, RootCause, Status, Team
from reports import metrics
from tests.reports.conftest import london, scope

NOW = london(2026, 6, 30, 12)
JUNE = scope(date(2026, 6, 1), date(2026, 6, 30), NOW)


def explain(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("ANALYZE complaints_complaint")
        cursor.execute(f"EXPLAIN {sql}")
        return [line for (line,) in cursor.fetchall()]


@pytest.mark.parametrize("table", [metrics.workload_by_team, metrics.workload_by_agent])
def test_at_risk_and_breached_counts_are_an_index_only_scan_of_the_deadline_index(
    received_at: Callable[..., Complaint],
    front_line: Team,
    agent: User,
    table: Callable[[metrics.Scope], metrics.Table],
) -> None:
    for hours in (-5, 2, 30):
        received_at(
            NOW - timedelta(days=1),
            team=front_line,
            assignee=agent,
            status=Status.OPEN,
            next_due_at=NOW + timedelta(hours=hours),
        )

    with CaptureQueriesContext(connection) as captured:
        table(JUNE)

    [due] = [q["sql"] for q in captured.captured_queries if '"next_due_at" <=' in q["sql"]]
    plan = explain(due)
    assert any("Index Only Scan using complaint_" in line for line in plan), plan
    assert any("Index Cond" in line and "next_due_at <=" in line for line in plan), plan
    assert not any("Seq Scan" in line or "Heap" in line for line in plan), plan


def test_root_causes_of_the_period_are_an_index_only_scan_of_the_resolution_index(
    received_at: Callable[..., Complaint], process_gap: RootCause
) -> None:
    received_at(london(2026, 6, 1), resolved_at=london(2026, 6, 15), root_cause=process_gap)
    received_at(london(2026, 6, 1), resolved_at=london(2026, 6, 16))

    with CaptureQueriesContext(connection) as captured:
        metrics.root_causes(JUNE)

    [causes] = [q["sql"] for q in captured.captured_queries if '"resolved_at" >=' in q["sql"]]
    plan = explain(causes)
    assert any("Index Only Scan using complaint_resolved_cause_idx" in line for line in plan), plan
    assert any("Index Cond" in line and "resolved_at >=" in line for line in plan), plan
