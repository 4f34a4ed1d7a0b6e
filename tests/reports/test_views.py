"""The dashboard pages: permissions, tenants, the period form, CSV, SVG and query counts."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role, User
from complaints.models import Complaint, RootCause, Status, Team
from complaints.services import submit_complaint
from tenancy.models import RegulatoryProfile, Tenant
from tests.conftest import create_user, sign_in, tenant_client
from tests.reports.conftest import update


def _csv(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


# --- Permissions and tenants ---------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/dashboard/", "/dashboard/return/", "/dashboard/export/backlog.csv"]
)
@pytest.mark.parametrize("client_name", ["manager_client", "admin_client"])
def test_managers_and_admins_see_the_reports(
    request: pytest.FixtureRequest, client_name: str, path: str
) -> None:
    assert request.getfixturevalue(client_name).get(path).status_code == 200


@pytest.mark.parametrize(
    "path", ["/dashboard/", "/dashboard/return/", "/dashboard/export/backlog.csv"]
)
@pytest.mark.parametrize("client_name", ["agent_client", "specialist_client", "consumer_client"])
def test_agents_specialists_and_consumers_are_refused(
    request: pytest.FixtureRequest, client_name: str, path: str
) -> None:
    assert request.getfixturevalue(client_name).get(path).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(anonymous_client: Client) -> None:
    response = anonymous_client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_manager_without_the_second_factor_is_sent_to_it(bank: Tenant, manager: User) -> None:
    client = sign_in(tenant_client(bank), manager, second_factor=False)
    response = client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/")


def test_the_nav_links_to_the_dashboard_only_for_those_allowed(
    manager_client: Client, agent_client: Client
) -> None:
    link = b'<a href="/dashboard/">Dashboard</a>'
    assert link in manager_client.get("/dashboard/").content
    assert link not in agent_client.get("/console/").content


def test_a_telco_manager_sees_only_telco_figures(
    complaint: Complaint,
    outsider_manager_at_bank: Client,
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> None:
    activate(bank)
    update(complaint, next_due_at=timezone.now() - timedelta(hours=1))
    activate(telco)
    telco_manager = create_user(Role.MANAGER, "telco-boss@example.com")
    telco_team = Team.objects.create(name="Telco repairs")
    caller = create_user(Role.CONSUMER, "caller@example.com")
    telco_complaint = submit_complaint(
        consumer=caller, subject="No signal", description="None at all.", actor=caller
    )
    update(telco_complaint, team=telco_team, next_due_at=timezone.now() - timedelta(hours=1))
    client = sign_in(tenant_client(telco), telco_manager)
    activate(bank)

    content = client.get("/dashboard/").content.decode()

    assert "Telco repairs" in content
    assert "Front line" not in content
    # The two schemas number their complaints alike, so the rows are told apart by subject.
    assert complaint.subject != telco_complaint.subject
    assert complaint.subject not in content
    assert telco_complaint.subject in content
    # A telco manager's session (the bank manager's twin) means nothing on the bank's host.
    assert outsider_manager_at_bank.get("/dashboard/").status_code == 302


def test_the_bank_manager_does_not_see_telco_figures(
    manager_client: Client,
    complaint: Complaint,
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> None:
    activate(telco)
    Team.objects.create(name="Telco repairs")
    activate(bank)
    response = manager_client.get("/dashboard/")
    assert response.status_code == 200
    assert b"Front line" in response.content
    assert b"Telco repairs" not in response.content


# --- The period form -----------------------------------------------------------------------


def test_the_default_period_is_the_last_thirty_days(manager_client: Client) -> None:
    response = manager_client.get("/dashboard/")
    period = response.context["period"]
    assert (period.last - period.first).days == 29
    assert period.last == timezone.now().astimezone(period.time_zone).date()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2026-13-01&date_to=2026-06-30", "Enter a valid date."),
        (
            "date_from=2026-06-30&date_to=2026-06-01",
            "The end date must be on or after the start date.",
        ),
        ("date_from=2024-01-01&date_to=2026-01-02", "Choose a period of at most two years."),
        ("date_to=2026-06-30", "This field is required."),
    ],
)
def test_a_bad_period_gives_a_clear_form_error_and_no_figures(
    manager_client: Client, query: str, message: str
) -> None:
    response = manager_client.get(f"/dashboard/?{query}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["tables"] == []
    assert manager_client.get(f"/dashboard/export/backlog.csv?{query}").status_code == 400


def test_a_two_year_period_is_allowed(manager_client: Client) -> None:
    response = manager_client.get("/dashboard/?date_from=2024-07-01&date_to=2026-06-30")
    assert response.context["period"] is not None


def test_an_htmx_request_gets_only_the_report(manager_client: Client) -> None:
    response = manager_client.get("/dashboard/", HTTP_HX_REQUEST="true")
    content = response.content.decode()
    assert content.lstrip().startswith('<div id="report">')
    assert "<html" not in content
    assert "HX-Request" in response["Vary"]


# --- Charts and CSV ------------------------------------------------------------------------


def test_charts_are_accessible_svg_with_escaped_labels(
    manager_client: Client, complaint: Complaint
) -> None:
    cause = RootCause.objects.create(name='<script>alert("x")</script> & co')
    update(complaint, status=Status.RESOLVED, resolved_at=timezone.now(), root_cause=cause)

    content = manager_client.get("/dashboard/").content.decode()

    assert '<svg class="chart" role="img" aria-label="Root causes of complaints resolved' in content
    assert "<title>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co: 1</title>" in content
    assert "<script>alert" not in content


def test_csv_export_streams_the_table_for_the_chosen_period(
    manager_client: Client, complaint: Complaint
) -> None:
    cause = RootCause.objects.create(name="Café closed")
    update(complaint, status=Status.RESOLVED, resolved_at=timezone.now(), root_cause=cause)
    today = timezone.now().date()
    query = f"date_from={today - timedelta(days=1)}&date_to={today + timedelta(days=1)}"

    response = manager_client.get(f"/dashboard/export/root-causes.csv?{query}")

    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="root-causes_{today - timedelta(days=1)}_{today + timedelta(days=1)}.csv"'
    )
    assert _csv(response) == [["Root cause", "Complaints"], ["Café closed", "1"]]
    earlier = "date_from=2020-01-01&date_to=2020-12-31"
    assert _csv(manager_client.get(f"/dashboard/export/root-causes.csv?{earlier}")) == [
        ["Root cause", "Complaints"]
    ]


# 11:00 UTC is noon in London in summer; the default at-risk margin is an hour.
SUMMER_NOON = datetime(2026, 6, 30, 11, 0, tzinfo=UTC)


@time_machine.travel(SUMMER_NOON, tick=False)
def test_the_at_risk_list_writes_deadlines_as_every_page_does_and_csv_as_spreadsheets_read(
    manager_client: Client, make_complaint: Callable[..., Complaint]
) -> None:
    made = make_complaint(subject="Standing order charged twice")
    update(made, next_due_at=SUMMER_NOON + timedelta(minutes=41))

    page = manager_client.get("/dashboard/").content.decode()
    rows = _csv(manager_client.get("/dashboard/export/at-risk.csv"))

    assert '<td data-label="Next deadline">30 Jun 2026, 12:41</td>' in page
    assert "2026-06-30 12:41" not in page
    assert rows[1][0] == made.reference
    assert rows[1][5] == "2026-06-30 12:41"


def test_csv_cells_that_a_spreadsheet_would_run_are_written_as_text(
    manager_client: Client, make_complaint: Callable[..., Complaint]
) -> None:
    made = make_complaint(subject='=HYPERLINK("http://evil.example","click")')
    update(made, next_due_at=timezone.now() - timedelta(hours=1))

    rows = _csv(manager_client.get("/dashboard/export/breached.csv"))

    assert rows[1][0] == made.reference
    assert rows[1][1] == "'" + made.subject


def test_an_unknown_table_is_not_found(manager_client: Client) -> None:
    assert manager_client.get("/dashboard/export/nothing.csv").status_code == 404


def test_the_dashboard_links_each_table_to_its_csv_with_the_period(manager_client: Client) -> None:
    content = manager_client.get("/dashboard/?date_from=2026-01-01&date_to=2026-01-31").content
    assert (
        b'href="/dashboard/export/sla.csv?date_from=2026-01-01&amp;date_to=2026-01-31"' in content
    )


# --- Query counts --------------------------------------------------------------------------


def _queries(client: Client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_dashboard_queries_do_not_grow_with_the_number_of_complaints(
    manager_client: Client,
    make_complaint: Callable[..., Complaint],
    front_line: Team,
    agent: User,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    cause = RootCause.objects.create(name="Process gap")
    now = timezone.now()

    def add() -> None:
        made = make_complaint()
        update(
            made,
            team=front_line,
            assignee=agent,
            next_due_at=now - timedelta(hours=1),
            first_responded_at=now,
            satisfaction_score=4,
        )
        resolved = make_complaint()
        update(resolved, status=Status.RESOLVED, resolved_at=now, root_cause=cause)

    add()
    manager_client.get("/dashboard/")  # the tenant lookup is cached from here on
    few = _queries(manager_client, "/dashboard/")
    for _ in range(15):
        add()
    # Session, user, device, permissions, the policy and one query per figure.
    with django_assert_max_num_queries(20):
        many = _queries(manager_client, "/dashboard/")
    assert many == few


def test_return_queries_do_not_grow_with_the_number_of_complaints(
    manager_client: Client, make_complaint: Callable[..., Complaint]
) -> None:
    path = "/dashboard/return/?period=custom&date_from=2025-06-01&date_to=2027-05-31"
    make_complaint()
    manager_client.get(path)
    few = _queries(manager_client, path)
    for _ in range(10):
        update(make_complaint(), status=Status.RESOLVED, resolved_at=timezone.now())
    assert _queries(manager_client, path) == few <= 20


def test_a_change_of_regulatory_profile_shows_in_the_return_at_once(
    manager_client: Client, bank: Tenant
) -> None:
    path = "/dashboard/return/?period=custom&date_from=2025-01-01&date_to=2025-06-30"
    assert "Complaints closed, by product" in manager_client.get(path).content.decode()

    bank.regulatory_profile = RegulatoryProfile.UK_OFCOM
    bank.save()

    assert "Complaints closed, by product" not in manager_client.get(path).content.decode()
