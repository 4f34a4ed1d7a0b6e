"""SLA targets, business hours, closures, the regulatory profile and the complaint policy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from audit.models import AuditEvent
from complaints.models import Complaint, Team
from configuration.models import AssignmentStrategy, TenantSettings
from deadlines.models import Closure, Deadline, SlaPolicy
from tenancy.models import Industry, Tenant


def test_admin_sets_and_removes_sla_targets_with_audit(admin_client: Client) -> None:
    admin_client.post(
        "/settings/sla/urgent/", {"first_response_hours": "2", "resolution_hours": "16"}
    )
    policy = SlaPolicy.objects.get(priority="urgent")
    assert (policy.first_response_hours, policy.resolution_hours) == (2, 16)

    admin_client.post("/settings/sla/urgent/", {"remove": "1"})

    assert not SlaPolicy.objects.exists()
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions[-2:] == ["sla_policy_saved", "sla_policy_removed"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first_response_hours": "0", "resolution_hours": "8"}, "greater than or equal to 1"),
        ({"first_response_hours": "8", "resolution_hours": "4"}, "cannot be due before"),
        ({"first_response_hours": "x", "resolution_hours": "4"}, "Enter a whole number"),
    ],
)
def test_bad_sla_targets_are_refused(
    admin_client: Client, data: dict[str, str], message: str
) -> None:
    response = admin_client.post("/settings/sla/high/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SlaPolicy.objects.exists()


def test_an_unknown_priority_is_not_found(admin_client: Client) -> None:
    assert admin_client.get("/settings/sla/critical/").status_code == 404


def test_admin_changes_business_hours_and_holiday_region(
    admin_client: Client, audit_rows: Callable[..., list[AuditEvent]]
) -> None:
    response = admin_client.post(
        "/settings/hours/",
        {
            "working_days": ["0", "1", "2", "3", "4", "5"],
            "opens": "08:00",
            "closes": "18:30",
            "subdivision": "SCT",
        },
    )

    assert response.status_code == 302
    hours = TenantSettings.current()
    assert hours.working_days == [0, 1, 2, 3, 4, 5]
    assert (hours.opens, hours.closes, hours.subdivision) == (time(8), time(18, 30), "SCT")
    (event,) = audit_rows(AuditEvent.Action.BUSINESS_HOURS_CHANGED)
    assert event.detail["changes"]["subdivision"] == ["ENG", "SCT"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"working_days": [], "opens": "09:00", "closes": "17:00"}, "This field is required"),
        ({"working_days": ["0"], "opens": "17:00", "closes": "09:00"}, "after opening time"),
        ({"working_days": ["7"], "opens": "09:00", "closes": "17:00"}, "Select a valid choice"),
        (
            {"working_days": ["0"], "opens": "09:00", "closes": "17:00", "subdivision": "NY"},
            "Select a valid choice",
        ),
    ],
)
def test_bad_business_hours_are_refused(
    admin_client: Client, data: dict[str, object], message: str
) -> None:
    before = TenantSettings.current()

    response = admin_client.post("/settings/hours/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    after = TenantSettings.objects.get()
    assert (after.working_days, after.opens, after.closes, after.subdivision) == (
        before.working_days,
        before.opens,
        before.closes,
        before.subdivision,
    )


def test_closures_are_added_refused_twice_and_removed(admin_client: Client) -> None:
    admin_client.post("/settings/hours/closures/", {"day": "2027-12-24", "name": "Christmas Eve"})
    twice = admin_client.post("/settings/hours/closures/", {"day": "2027-12-24", "name": "Again"})
    closure = Closure.objects.get()

    assert closure.day == date(2027, 12, 24)
    assert twice.status_code == 400
    assert "already" in twice.content.decode()

    admin_client.post(f"/settings/hours/closures/{closure.pk}/remove/")

    assert not Closure.objects.exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"closure_added", "closure_removed"} <= actions


def test_admin_changes_the_regulatory_profile_without_rewriting_deadlines(
    admin_client: Client, bank: Tenant, complaint: Complaint
) -> None:
    due_before = list(Deadline.objects.values_list("clock", "due_at"))
    page = admin_client.get("/settings/profile/")
    assert "does not rewrite deadlines" in page.content.decode()

    response = admin_client.post(
        "/settings/profile/",
        {"regulatory_profile": "generic", "country": "ie", "time_zone": "Europe/Dublin"},
    )

    assert response.status_code == 302
    connection.set_schema_to_public()
    bank_row = Tenant.objects.get(slug="bank")
    connection.set_tenant(bank_row)
    try:
        assert (bank_row.regulatory_profile, bank_row.country, bank_row.time_zone) == (
            "generic",
            "IE",
            "Europe/Dublin",
        )
        assert list(Deadline.objects.values_list("clock", "due_at")) == due_before
        event = AuditEvent.objects.get(action=AuditEvent.Action.TENANT_PROFILE_CHANGED)
        assert event.detail["changes"]["regulatory_profile"] == ["uk_fca", "generic"]
        # The host cache is dropped, so the next request already runs under the new profile.
        assert "Generic" in admin_client.get("/settings/letters/").content.decode()
    finally:
        Tenant.objects.filter(pk=bank_row.pk).update(
            regulatory_profile="uk_fca", country="GB", time_zone="Europe/London"
        )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"regulatory_profile": "mars", "country": "GB", "time_zone": "Europe/London"},
            "valid choice",
        ),
        (
            {"regulatory_profile": "uk_fca", "country": "G1", "time_zone": "Europe/London"},
            "two-letter",
        ),
        (
            {"regulatory_profile": "uk_fca", "country": "GB", "time_zone": "Mars/Base"},
            "valid choice",
        ),
    ],
)
def test_bad_profile_input_is_refused(
    admin_client: Client, bank: Tenant, data: dict[str, str], message: str
) -> None:
    response = admin_client.post("/settings/profile/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    connection.set_schema_to_public()
    assert Tenant.objects.get(slug="bank").regulatory_profile == "uk_fca"
    connection.set_tenant(bank)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.TENANT_PROFILE_CHANGED).exists()


POLICY = {
    "assignment_strategy": "round_robin",
    "default_team": "",
    "reopen_window_days": "20",
    "auto_close_days": "25",
    "at_risk_hours": "12",
    "currency": "eur",
    "max_attachment_mb": "5",
}


def test_admin_changes_the_complaint_policy(admin_client: Client, front_line: Team) -> None:
    response = admin_client.post(
        "/settings/policy/", {**POLICY, "default_team": str(front_line.pk)}
    )

    assert response.status_code == 302
    policy = TenantSettings.current()
    assert policy.assignment_strategy == AssignmentStrategy.ROUND_ROBIN
    assert Team.default() == front_line
    assert (policy.reopen_window_days, policy.auto_close_days, policy.at_risk_hours) == (20, 25, 12)
    assert (policy.currency, policy.max_attachment_mb) == ("EUR", 5)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.COMPLAINT_POLICY_CHANGED).exists()


def test_an_auto_close_before_the_consumers_time_to_reject_is_refused(
    admin_client: Client,
) -> None:
    response = admin_client.post("/settings/policy/", {**POLICY, "auto_close_days": "19"})

    assert response.status_code == 400
    assert "Consumers are promised 20 days to reject a resolution" in response.content.decode()
    assert TenantSettings.current().auto_close_days == 30


def test_choosing_another_default_team_moves_the_mark_and_none_clears_it(
    admin_client: Client, front_line: Team
) -> None:
    complex_cases = Team.objects.create(name="Complex cases")
    admin_client.post("/settings/policy/", {**POLICY, "default_team": str(front_line.pk)})

    page = admin_client.get("/settings/policy/").content.decode()
    assert f'<option value="{front_line.pk}" selected>' in page

    admin_client.post("/settings/policy/", {**POLICY, "default_team": str(complex_cases.pk)})
    assert list(Team.objects.filter(is_default=True)) == [complex_cases]

    admin_client.post("/settings/policy/", POLICY)
    assert Team.default() is None
    changes = [
        event.detail["default_team"]
        for event in AuditEvent.objects.filter(
            action=AuditEvent.Action.COMPLAINT_POLICY_CHANGED
        ).order_by("pk")
    ]
    assert changes == [
        [None, "Front line"],
        ["Front line", "Complex cases"],
        ["Complex cases", None],
    ]


def test_the_database_allows_one_default_team_at_most(front_line: Team) -> None:
    front_line.is_default = True
    front_line.save(update_fields=["is_default"])

    with pytest.raises(IntegrityError, match="team_one_default"), transaction.atomic():
        Team.objects.create(name="Complex cases", is_default=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("currency", "E1", "three-letter"),
        ("reopen_window_days", "0", "greater than or equal to 1"),
        ("max_attachment_mb", "500", "less than or equal to 25"),
        ("assignment_strategy", "lottery", "valid choice"),
        ("default_team", "999999", "valid choice"),
    ],
)
def test_bad_policy_input_is_refused(
    admin_client: Client, field: str, value: str, message: str
) -> None:
    before = TenantSettings.current()

    response = admin_client.post("/settings/policy/", {**POLICY, field: value})

    assert response.status_code == 400
    assert message in response.content.decode()
    after = TenantSettings.objects.get()
    assert Team.default() is None
    assert (after.currency, after.reopen_window_days, after.assignment_strategy) == (
        before.currency,
        before.reopen_window_days,
        before.assignment_strategy,
    )


def test_a_new_tenant_flags_nothing_on_arrival_by_default(bank: Tenant) -> None:
    # The default margin is shorter than any first-response target an admin may set.
    assert TenantSettings.current().at_risk_hours == 1


def test_an_at_risk_margin_as_long_as_the_shortest_target_is_refused(
    admin_client: Client,
) -> None:
    SlaPolicy.objects.create(priority="normal", first_response_hours=8, resolution_hours=80)
    SlaPolicy.objects.create(priority="urgent", first_response_hours=4, resolution_hours=16)

    refused = admin_client.post("/settings/policy/", {**POLICY, "at_risk_hours": "4"})
    accepted = admin_client.post("/settings/policy/", {**POLICY, "at_risk_hours": "3"})

    assert refused.status_code == 400
    assert "shorter than the shortest SLA target (4 business hours)" in refused.content.decode()
    assert accepted.status_code == 302
    assert TenantSettings.current().at_risk_hours == 3


def test_a_target_no_longer_than_the_at_risk_margin_is_refused(admin_client: Client) -> None:
    admin_client.post("/settings/policy/", {**POLICY, "at_risk_hours": "6"})

    response = admin_client.post(
        "/settings/sla/urgent/", {"first_response_hours": "6", "resolution_hours": "16"}
    )

    assert response.status_code == 400
    assert "longer than the at-risk margin (6 hours" in response.content.decode()
    assert not SlaPolicy.objects.exists()


def test_a_regulator_of_another_industry_is_refused(admin_client: Client, bank: Tenant) -> None:
    connection.set_schema_to_public()
    Tenant.objects.filter(pk=bank.pk).update(industry=Industry.BANKING)
    connection.set_tenant(bank)

    response = admin_client.post(
        "/settings/profile/",
        {"regulatory_profile": "uk_ofcom", "country": "GB", "time_zone": "Europe/London"},
    )

    assert response.status_code == 400
    assert "is a regulator of telecommunications, not of banking" in response.content.decode()
    connection.set_schema_to_public()
    assert Tenant.objects.get(pk=bank.pk).regulatory_profile == "uk_fca"
    connection.set_tenant(bank)
