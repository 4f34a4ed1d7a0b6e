"""The plans of the dashboard's queries that still read complaints: the at-risk and
breached counts per team and per agent, the root causes of a period and its SLA compliance,
are index-only scans of indexes made for them (``complaint_due_queue_idx``, seeking the range
due by the end of the at-risk margin, ``complaint_resolved_cause_idx``, and
``deadline_settled_idx`` over when each deadline settled).

The tables here are tiny and their statistics whatever earlier tests left, so which index
the planner picks is a matter of chance: each plan is asked with the table's other indexes
dropped and sequential and bitmap scans switched off, inside a savepoint rolled back
afterwards. The question is whether the index alone *can* answer the query (an
``Index Only Scan`` with an ``Index Cond``), which PostgreSQL decides from the shape of the
SQL and the index, not from the table's size.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from complaints.models import Complaint, RootCause, Status, Team
from reports import metrics
from tests.reports.conftest import london, scope

NOW = london(2026, 6, 30, 12)
JUNE = scope(date(2026, 6, 1), date(2026, 6, 30), NOW)


def explain_with_only(index: str, sql: str, table: str = "complaints_complaint") -> list[str]:
    """The plan of ``sql`` when ``index`` is ``table``'s only index apart from those of its
    constraints."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = %s::regclass AND i.relname <> %s "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
            [table, index],
        )
        for (other,) in cursor.fetchall():
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(other)}")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN {sql}")
        plan = [line for (line,) in cursor.fetchall()]
        transaction.set_rollback(True)
    return plan


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
    plan = explain_with_only("complaint_due_queue_idx", due)
    assert any("Index Only Scan using complaint_due_queue_idx" in line for line in plan), plan
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
    plan = explain_with_only("complaint_resolved_cause_idx", causes)
    assert any("Index Only Scan using complaint_resolved_cause_idx" in line for line in plan), plan
    assert any("Index Cond" in line and "resolved_at >=" in line for line in plan), plan


def test_sla_compliance_of_the_period_is_an_index_only_scan_of_the_settled_index(
    received_at: Callable[..., Complaint],
) -> None:
    received_at(london(2026, 6, 1))

    with CaptureQueriesContext(connection) as captured:
        metrics.sla_compliance(JUNE)

    [settled] = [q["sql"] for q in captured.captured_queries if "deadlines_deadline" in q["sql"]]
    plan = explain_with_only("deadline_settled_idx", settled, "deadlines_deadline")
    assert any("Index Only Scan using deadline_settled_idx" in line for line in plan), plan
    assert any("Index Cond" in line and "LEAST(due_at" in line for line in plan), plan
    assert not any("Seq Scan" in line or "Heap" in line for line in plan), plan
