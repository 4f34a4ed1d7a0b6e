"""One definition of "at risk": now < due <= now + margin; due at now or before is breached."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from complaints.models import Complaint, Status, Team
from configuration.models import TenantSettings
from deadlines.models import Clock, Deadline
from reports import metrics
from reports.metrics import Period, Scope
from reports.rollups import rebuild_counts
from tests.complaints.conftest import references_in

NOW = datetime(2026, 6, 30, 12, tzinfo=UTC)
MARGIN_HOURS = 6
MARGIN = timedelta(hours=MARGIN_HOURS)
TICK = timedelta(microseconds=1)
# Where each hand-made deadline falls, around the two boundaries.
DUE = {
    "long past": NOW - timedelta(days=1),
    "exactly now": NOW,
    "just after now": NOW + TICK,
    "inside the margin": NOW + MARGIN / 2,
    "exactly at the margin": NOW + MARGIN,
    "just past the margin": NOW + MARGIN + TICK,
}
AT_RISK = ["just after now", "inside the margin", "exactly at the margin"]
BREACHED = ["long past", "exactly now"]


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def policy(bank: object) -> TenantSettings:
    current = TenantSettings.editable()
    current.at_risk_hours = MARGIN_HOURS
    current.save(update_fields=["at_risk_hours"])
    return TenantSettings.current()


@pytest.fixture
def placed(
    make_complaint: Callable[..., Complaint], front_line: Team, policy: TenantSettings
) -> dict[str, Complaint]:
    """One open complaint in the front line's queue per entry of DUE, its next deadline there."""
    made = {}
    for name, due in DUE.items():
        complaint = make_complaint(subject=name)
        Complaint.objects.filter(pk=complaint.pk).update(
            team=front_line, status=Status.OPEN, next_due_at=due
        )
        made[name] = complaint
    rebuild_counts()  # placed in the queue directly, so the report counts are recounted
    return made


def names(complaints: Any) -> set[str]:
    return {complaint.subject for complaint in complaints}


def test_the_margin_is_the_policy_hours(policy: TenantSettings) -> None:
    assert TenantSettings.current().at_risk_margin == timedelta(hours=MARGIN_HOURS)


def test_complaints_at_risk_and_breached_at_the_boundaries(placed: dict[str, Complaint]) -> None:
    assert names(Complaint.objects.at_risk(NOW, MARGIN)) == set(AT_RISK)
    assert names(Complaint.objects.breached(NOW)) == set(BREACHED)


def test_deadlines_at_risk_and_breached_at_the_boundaries(
    make_complaint: Callable[..., Complaint],
) -> None:
    complaint = make_complaint()
    complaint.deadlines.all().delete()
    clocks = list(Clock)
    made = {
        name: Deadline.objects.create(complaint=complaint, clock=clocks[index], due_at=due)
        for index, (name, due) in enumerate(DUE.items())
    }
    # A met deadline and one that records an opportunity are never at risk nor breached.
    Deadline.objects.create(complaint=complaint, clock=clocks[6], due_at=NOW + TICK, enforced=False)
    Deadline.objects.filter(pk=made["inside the margin"].pk).update(met_at=NOW - TICK)

    at_risk = set(Deadline.objects.at_risk(NOW, MARGIN).values_list("pk", flat=True))
    breached = set(Deadline.objects.breached(NOW).values_list("pk", flat=True))

    assert at_risk == {made["just after now"].pk, made["exactly at the margin"].pk}
    assert breached == {made[name].pk for name in BREACHED}


def test_the_console_queue_uses_the_definition(
    agent_client: Client, placed: dict[str, Complaint]
) -> None:
    at_risk = references_in(agent_client.get("/console/?view=at_risk"))
    breached = references_in(agent_client.get("/console/?view=breached"))

    assert at_risk == [placed[name].reference for name in AT_RISK]
    assert breached == [placed[name].reference for name in BREACHED]


def test_the_dashboard_uses_the_definition(placed: dict[str, Complaint]) -> None:
    scope = Scope(Period(NOW.date(), NOW.date(), UTC), NOW)

    at_risk = metrics.at_risk_list(scope)
    breached = metrics.breached_list(scope)
    teams = metrics.workload_by_team(scope)

    assert [str(row[0]) for row in at_risk.rows] == [placed[name].reference for name in AT_RISK]
    assert [str(row[0]) for row in breached.rows] == [placed[name].reference for name in BREACHED]
    assert teams.rows == [("Front line", len(DUE), 0, len(AT_RISK), len(BREACHED))]
