"""Every figure of the dashboard opens the console queue listing exactly what it counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from accounts.models import User
from complaints.models import Complaint, RootCause, Status, Team
from reports.charts import bar_chart
from tests.complaints.conftest import references_in
from tests.reports.conftest import update

NOW = datetime(2026, 6, 30, 11, 0, tzinfo=UTC)
PERIOD = {"date_from": "2026-06-01", "date_to": "2026-06-30"}


@pytest.fixture
def other_team(bank: object) -> Team:
    return Team.objects.create(name="Billing")


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def worked(
    frozen: None,
    make_complaint: Callable[..., Complaint],
    front_line: Team,
    other_team: Team,
    agent: User,
    process_gap: RootCause,
) -> list[Complaint]:
    """Open work in two teams, some of it at risk, breached or old; and resolutions."""
    now = timezone.now()

    def made(days_ago: float, **fields: Any) -> Complaint:
        complaint = make_complaint(received_at=now - timedelta(days=days_ago))
        return update(complaint, **{"team": front_line, "next_due_at": None, **fields})

    return [
        made(1),
        made(2, assignee=agent, next_due_at=now + timedelta(minutes=30)),
        made(5, next_due_at=now - timedelta(hours=1)),
        made(20, team=other_team, assignee=agent),
        made(70),
        made(
            10,
            status=Status.RESOLVED,
            first_responded_at=now - timedelta(days=9),
            resolved_at=now - timedelta(days=3),
            root_cause=process_gap,
            satisfaction_score=4,
        ),
        made(
            12,
            status=Status.CLOSED,
            first_responded_at=now - timedelta(days=11),
            resolved_at=now - timedelta(days=4),
            closed_at=now - timedelta(days=2),
            root_cause=process_gap,
            satisfaction_score=2,
        ),
        # Less than 3 and 57 times 24 hours ago, but 3 and 57 local days since the day of
        # receipt: the backlog and the queue's age filter both count the latter.
        made(2.9),
        made(56.9),
    ]


def counted_cells(response: Any) -> list[tuple[str, str, int, str]]:
    """(table, column, count, queue URL) of every figure that links to the queue."""
    found = []
    for table in response.context["tables"]:
        for row in table.rows:
            for header, cell in zip(table.headers, row, strict=True):
                url = getattr(cell, "url", None)
                if url and url.startswith("/console/?"):
                    found.append((table.key, header, int(cell), url))
    return found


def test_each_figure_opens_the_queue_with_exactly_the_complaints_it_counts(
    manager_client: Client, worked: list[Complaint]
) -> None:
    response = manager_client.get("/dashboard/", PERIOD)
    cells = counted_cells(response)
    tables = {key for key, _, _, _ in cells}
    assert tables >= {
        "workload-teams",
        "workload-agents",
        "backlog",
        "response-times",
        "satisfaction",
        "root-causes",
    }, cells
    for key, header, count, url in cells:
        listed = references_in(manager_client.get(url))
        assert len(listed) == count, (key, header, url, listed)


def test_lists_and_tables_open_their_whole_queue(
    manager_client: Client, worked: list[Complaint]
) -> None:
    content = manager_client.get("/dashboard/", PERIOD).content.decode()
    assert 'href="/console/?view=at_risk"' in content
    assert 'href="/console/?view=breached"' in content
    at_risk = references_in(manager_client.get("/console/?view=at_risk"))
    assert at_risk == [worked[1].reference]


def test_the_bars_of_a_chart_link_where_the_table_does() -> None:
    chart = bar_chart("Backlog", [("0-2 days", 3), ("3-7 days", 0)], links=["/console/?a=1", None])
    assert chart.count("data-href") == 1
    assert '<g class="chart-link" data-href="/console/?a=1">' in chart
    assert "<a " not in chart  # nothing interactive inside an image


def test_figures_stay_numbers_in_the_csv_download(
    manager_client: Client, worked: list[Complaint]
) -> None:
    response = manager_client.get("/dashboard/export/backlog.csv", PERIOD)
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "0-2 days,2" in text
    assert "/console/" not in text
