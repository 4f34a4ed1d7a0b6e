"""Dashboard figures computed on hand-made complaints."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from accounts.models import Role, User
from complaints.models import Complaint, RootCause, Status, Team
from configuration.models import TenantSettings
from deadlines.models import Clock, Deadline
from reports import metrics
from tenancy.models import Tenant
from tests.reports.conftest import london, scope, update

NOW = london(2026, 6, 30, 12)
JUNE = scope(date(2026, 6, 1), date(2026, 6, 30), NOW)


@pytest.fixture(autouse=True)
def margin_of_a_day(bank: Tenant) -> None:
    """These figures are worked out for a tenant that flags deadlines a day ahead."""
    policy = TenantSettings.current()
    policy.at_risk_hours = 24
    policy.save(update_fields=["at_risk_hours"])


def test_workload_counts_open_assigned_at_risk_and_breached_per_team_and_agent(
    received_at: Callable[..., Complaint], front_line: Team, agent: User
) -> None:
    base = {"team": front_line, "status": Status.OPEN}
    received_at(
        NOW - timedelta(days=1), **base, assignee=agent, next_due_at=NOW + timedelta(hours=2)
    )
    received_at(NOW - timedelta(days=2), **base, next_due_at=NOW - timedelta(minutes=1))
    received_at(NOW - timedelta(days=3), **base, next_due_at=NOW + timedelta(days=5))
    received_at(NOW - timedelta(days=3), status=Status.NEW, next_due_at=None, team=None)
    received_at(NOW - timedelta(days=4), **{**base, "status": Status.RESOLVED}, assignee=agent)

    teams = metrics.workload_by_team(JUNE)
    agents = metrics.workload_by_agent(JUNE)

    assert teams.headers == ["Team", "Open", "Assigned", "At risk", "Breached"]
    assert teams.rows == [("Front line", 3, 1, 1, 1), ("No team", 1, 0, 0, 0)]
    assert agents.rows == [("Alex Agent", 1, 1, 0)]


def test_backlog_buckets_count_whole_local_days_from_the_day_of_receipt(
    received_at: Callable[..., Complaint],
) -> None:
    received_at(NOW)  # today: 0 days
    received_at(london(2026, 6, 28, 0, 0))  # 2 days
    received_at(london(2026, 6, 27, 23, 59))  # 3 days, though not 61 hours ago
    received_at(london(2026, 5, 5, 23, 59))  # 56 days
    received_at(london(2026, 5, 4, 23, 59))  # 57 days
    received_at(NOW - timedelta(days=70), status=Status.CLOSED)

    backlog = metrics.backlog_by_age(JUNE)

    assert backlog.rows == [
        ("0-2 days", 2),
        ("3-7 days", 1),
        ("8-14 days", 0),
        ("15-28 days", 0),
        ("29-56 days", 1),
        ("Over 56 days", 1),
    ]


def test_at_risk_and_breached_lists_sort_by_deadline_and_link_to_the_console(
    received_at: Callable[..., Complaint],
) -> None:
    later = received_at(NOW - timedelta(days=1), next_due_at=NOW + timedelta(hours=20))
    sooner = received_at(NOW - timedelta(days=1), next_due_at=NOW + timedelta(hours=1))
    breached = received_at(NOW - timedelta(days=9), next_due_at=NOW - timedelta(days=1))
    received_at(NOW - timedelta(days=1), next_due_at=NOW + timedelta(hours=30))  # not yet at risk
    received_at(
        NOW - timedelta(days=9), next_due_at=NOW - timedelta(days=2), status=Status.RESOLVED
    )

    at_risk = metrics.at_risk_list(JUNE)
    overdue = metrics.breached_list(JUNE)

    assert [str(row[0]) for row in at_risk.rows] == [sooner.reference, later.reference]
    assert at_risk.rows[0][0].url == f"/console/complaints/{sooner.reference}/"
    assert at_risk.rows[0][5] == london(2026, 6, 30, 13)
    assert str(at_risk.rows[0][5].tzinfo) == "Europe/London"
    assert [str(row[0]) for row in overdue.rows] == [breached.reference]


def test_breached_list_stops_at_twenty(received_at: Callable[..., Complaint]) -> None:
    for hours in range(22):
        received_at(NOW - timedelta(days=9), next_due_at=NOW - timedelta(hours=hours + 1))
    assert len(metrics.breached_list(JUNE).rows) == metrics.LIST_LENGTH


def test_response_times_give_median_and_average_in_hours_within_the_period(
    received_at: Callable[..., Complaint],
) -> None:
    start = london(2026, 6, 10, 9)
    for hours in (1, 2, 6):
        received_at(start, first_responded_at=start + timedelta(hours=hours))
    # Received before the period: its first response does not count.
    received_at(london(2026, 5, 31, 9), first_responded_at=london(2026, 6, 2, 9))
    received_at(start, resolved_at=start + timedelta(hours=10), status=Status.RESOLVED)
    received_at(start, resolved_at=start + timedelta(hours=30), status=Status.RESOLVED)
    # Resolved after the period: left out.
    received_at(start, resolved_at=london(2026, 7, 1, 0, 30), status=Status.RESOLVED)

    rows = metrics.response_times(JUNE).rows

    assert rows[0][1:] == (3, 2.0, 3.0)
    assert rows[1][1:] == (2, 20.0, 20.0)


def test_response_times_count_whole_hours_up_to_two_days_then_whole_days(
    received_at: Callable[..., Complaint],
) -> None:
    start = london(2026, 6, 10, 9)
    # 1 h 59 min counts as 1 hour; 50 and 73 hours as 48 and 72 (their whole days).
    for minutes in (119, 50 * 60, 73 * 60):
        received_at(start, first_responded_at=start + timedelta(minutes=minutes))

    rows = metrics.response_times(JUNE).rows

    # The average is of the exact times: (1 h 59 min + 50 h + 73 h) / 3.
    assert rows[0][1:] == (3, 48.0, 41.7)
    assert "whole hours (rounded down) up to 48 hours" in metrics.response_times(JUNE).note


@pytest.mark.parametrize(
    ("counts", "median"),
    [
        ({}, None),
        ({5: 1}, 5.0),
        ({1: 1, 2: 1, 6: 1}, 2.0),
        ({10: 1, 30: 1}, 20.0),
        ({0: 3, 4: 1}, 0.0),
        ({0: 2, 4: 2}, 2.0),
        ({1: 2, 3: 5, 9: 2}, 3.0),
    ],
)
def test_the_median_of_counted_values_is_the_middle_one_or_the_mean_of_the_two(
    counts: dict[int, int], median: float | None
) -> None:
    assert metrics.median_of_bands(counts) == median


def test_sla_compliance_is_the_share_of_deadlines_due_in_the_period_met_in_time(
    received_at: Callable[..., Complaint],
) -> None:
    complaints = [received_at(london(2026, 6, 1, 9)) for _ in range(3)]
    Deadline.objects.all().delete()
    due = london(2026, 6, 10, 17)
    first, second, third = complaints

    def deadline(complaint: Complaint, clock: Clock, due_at: object, **extra: object) -> None:
        Deadline.objects.create(complaint=complaint, clock=clock, due_at=due_at, **extra)

    deadline(first, Clock.FIRST_RESPONSE, due, met_at=due - timedelta(hours=1))
    deadline(second, Clock.FIRST_RESPONSE, due, met_at=due + timedelta(seconds=1))
    deadline(third, Clock.FIRST_RESPONSE, london(2026, 5, 31, 17), met_at=london(2026, 5, 30))
    deadline(first, Clock.RESOLUTION, due)  # unmet and past: missed
    deadline(first, Clock.SUMMARY_RESOLUTION, due, enforced=False)  # an opportunity, not a duty
    deadline(second, Clock.RESOLUTION, NOW + timedelta(hours=1))  # not yet due: not counted

    rows = metrics.sla_compliance(JUNE).rows

    assert rows == [("First response", 2, 1, 1, 50.0), ("Resolution", 1, 0, 1, 0.0)]


def test_sla_compliance_counts_each_deadline_in_the_period_it_settled(
    received_at: Callable[..., Complaint],
) -> None:
    complaints = [received_at(london(2026, 5, 20, 9)) for _ in range(5)]
    Deadline.objects.all().delete()
    early, stopped, stopped_late, before, late_in_may = complaints
    final = Clock.FINAL_RESPONSE

    def deadline(complaint: Complaint, due_at: object, **extra: object) -> None:
        Deadline.objects.create(complaint=complaint, clock=final, due_at=due_at, **extra)

    # Due in July, met on 12 June: met in time, settled in June.
    deadline(early, london(2026, 7, 15, 23, 59), met_at=london(2026, 6, 12, 10))
    # Withdrawn on 5 June, due 20 June: not applicable, never missed.
    deadline(stopped, london(2026, 6, 20), stopped_at=london(2026, 6, 5), stopped_reason="w")
    # Due 3 June, unmet when closed on 8 June: it was missed before it stopped.
    deadline(stopped_late, london(2026, 6, 3), stopped_at=london(2026, 6, 8), stopped_reason="c")
    # Met on 31 May, due 2 June: settled in May, not in June.
    deadline(before, london(2026, 6, 2), met_at=london(2026, 5, 31, 12))
    # Due 29 May, met late on 2 June: settled (missed) on 29 May, in May.
    deadline(late_in_may, london(2026, 5, 29), met_at=london(2026, 6, 2))

    assert metrics.sla_compliance(JUNE).rows == [("Final response", 2, 1, 1, 50.0)]


def test_satisfaction_average_and_distribution_of_complaints_resolved_in_the_period(
    received_at: Callable[..., Complaint],
) -> None:
    resolved = london(2026, 6, 15)
    for score in (5, 5, 4, 1):
        received_at(london(2026, 6, 1), resolved_at=resolved, satisfaction_score=score)
    received_at(london(2026, 5, 1), resolved_at=london(2026, 5, 2), satisfaction_score=1)

    table = metrics.satisfaction(JUNE)

    assert table.rows == [
        ("1 out of 5", 1, 25.0),
        ("2 out of 5", 0, 0.0),
        ("3 out of 5", 0, 0.0),
        ("4 out of 5", 1, 25.0),
        ("5 out of 5", 2, 50.0),
        ("Average rating", 3.75, None),
    ]


def test_root_causes_count_complaints_resolved_in_the_period_most_common_first(
    received_at: Callable[..., Complaint], process_gap: RootCause
) -> None:
    fault = RootCause.objects.create(name="System fault")
    resolved = london(2026, 6, 15)
    received_at(london(2026, 6, 1), resolved_at=resolved, root_cause=fault)
    received_at(london(2026, 6, 1), resolved_at=resolved, root_cause=process_gap)
    received_at(london(2026, 6, 1), resolved_at=resolved, root_cause=process_gap)
    received_at(london(2026, 5, 1), resolved_at=london(2026, 5, 31, 23, 59), root_cause=fault)

    assert metrics.root_causes(JUNE).rows == [("Process gap", 2), ("System fault", 1)]


def test_the_period_runs_over_whole_days_in_the_tenants_time_zone() -> None:
    period = JUNE.period
    # British summer time: midnight in London is 23:00 UTC the day before.
    assert period.start.utctimetuple()[:4] == (2026, 5, 31, 23)
    assert period.end == london(2026, 7, 1, 0)


def test_a_manager_is_counted_as_an_agent_when_complaints_are_assigned_to_them(
    received_at: Callable[..., Complaint], make_user: Callable[..., User]
) -> None:
    boss = make_user(Role.MANAGER, "boss@example.com")
    received_at(NOW - timedelta(days=1), assignee=boss)
    update(received_at(NOW - timedelta(days=1)), assignee=boss, status=Status.AWAITING_CONSUMER)
    assert metrics.workload_by_agent(JUNE).rows == [("boss@example.com", 2, 0, 0)]


def test_every_dashboard_figure_says_what_it_counts(bank: Tenant) -> None:
    settings_row = TenantSettings.editable()
    settings_row.at_risk_hours = 3
    settings_row.save()
    chosen = scope(date(2026, 11, 1), date(2026, 11, 30), now=london(2026, 11, 16, 9))

    notes = {key: table(chosen).note for key, table in metrics.DASHBOARD_TABLES.items()}

    assert all(notes.values()), [key for key, note in notes.items() if not note]
    for key in ("workload-teams", "workload-agents", "at-risk", "breached"):
        assert "at most 3 hours away" in notes[key]
    assert "complaints received in the period" in notes["response-times"]
    assert "resolved in the period" in notes["satisfaction"]


def test_table_rows_render_links_dashes_numbers_and_escape_text() -> None:
    table = metrics.Table(
        key="k",
        title="T",
        headers=["Who <b>", "Share (%)", "Note"],
        rows=[(metrics.Link("C-1", "/c/?a=1&b=2"), 12.5, None), ("<script>", 3, "")],
    )

    assert str(table.body_html) == (
        '<tr><th scope="row" data-label="Who &lt;b&gt;"><a href="/c/?a=1&amp;b=2">C-1</a></th>'
        '<td data-label="Share (%)">12.5</td><td data-label="Note">—</td></tr>\n'
        '<tr><th scope="row" data-label="Who &lt;b&gt;">&lt;script&gt;</th>'
        '<td data-label="Share (%)">3</td><td data-label="Note">—</td></tr>'
    )
