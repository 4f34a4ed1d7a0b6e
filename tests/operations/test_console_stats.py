"""Size and activity of each tenant on the platform console: correct, cached, bounded."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from accounts.models import Role
from complaints.models import Complaint, Status
from complaints.services import submit_complaint
from operations.stats import TenantStats, stats_cache_key
from tenancy.models import Tenant
from tests.conftest import create_user
from tests.operations.test_console import add_tenant_row


def stats_of(response: object, slug: str) -> TenantStats:
    tenants = response.context["tenants"]  # type: ignore[attr-defined]
    return next(tenant.stats for tenant in tenants if tenant.slug == slug)


@pytest.fixture
def bank_activity(bank: Tenant, activate: Callable[[Tenant], Tenant]) -> dict[str, object]:
    """Three consumers (one closed), two staff, four complaints: two open, one 40 days old."""
    people = [create_user(Role.CONSUMER, f"c{n}@example.com") for n in range(3)]
    people[2].is_active = False
    people[2].save(update_fields=["is_active"])
    create_user(Role.AGENT, "a@example.com")
    create_user(Role.MANAGER, "m@example.com")
    now = timezone.now()

    def complain(at: timezone.datetime, status: Status) -> Complaint:
        made = submit_complaint(
            consumer=people[0], actor=people[0], subject="S", description="D", received_at=at
        )
        Complaint.objects.filter(pk=made.pk).update(status=status)
        return made

    complain(now - timedelta(days=40), Status.CLOSED)
    complain(now - timedelta(days=3), Status.OPEN)
    complain(now - timedelta(days=2), Status.WITHDRAWN)
    latest = complain(now - timedelta(hours=1), Status.NEW)
    connection.set_schema_to_public()
    return {"latest": latest.received_at}


def test_operator_sees_each_tenants_size_and_activity(
    operator_client: Client, bank_activity: dict[str, object]
) -> None:
    response = operator_client.get("/")

    assert response.status_code == 200
    assert stats_of(response, "bank") == TenantStats(
        consumers=2,
        staff=2,
        complaints=4,
        open_complaints=2,
        received_recently=3,
        last_received_at=bank_activity["latest"],  # type: ignore[arg-type]
    )
    assert stats_of(response, "telco") == TenantStats(0, 0, 0, 0, 0, None)
    content = response.content.decode()
    assert "Last 30 days" in content
    assert "None yet" in content  # telco has had no complaint


def test_stats_are_cached_for_a_few_minutes_then_read_again(
    operator_client: Client, bank: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    operator_client.get("/")
    activate(bank)
    person = create_user(Role.CONSUMER, "late@example.com")
    connection.set_schema_to_public()

    cached = operator_client.get("/")
    assert stats_of(cached, "bank").consumers == 0

    with schema_context("public"):
        cache.delete(stats_cache_key(bank))
    fresh = operator_client.get("/")
    assert stats_of(fresh, "bank").consumers == 1
    assert person.pk


def test_list_reads_one_statement_per_uncached_tenant_and_none_when_cached(
    operator_client: Client, public_tenant: Tenant
) -> None:
    operator_client.get("/")  # host lookup and stats cached, as in steady operation
    with CaptureQueriesContext(connection) as warm:
        operator_client.get("/")
    assert not [q for q in warm if "accounts_user" in q["sql"] and '"t_' in q["sql"]]

    cache.clear()
    operator_client.get("/")  # the host lookup again
    for slug in ("bank", "telco"):
        cache.delete(stats_cache_key(Tenant.objects.get(slug=slug)))
    with CaptureQueriesContext(connection) as cold:
        operator_client.get("/")

    # The bound: the warm page, plus one statement per tenant schema not in the cache.
    assert len(cold) == len(warm) + 2
    per_tenant = [q["sql"] for q in cold if "complaints_complaint" in q["sql"]]
    assert len(per_tenant) == 2
    assert any('"t_bank"."complaints_complaint"' in sql for sql in per_tenant)
    assert any('"t_telco"."complaints_complaint"' in sql for sql in per_tenant)


def test_tenant_rows_without_a_schema_add_no_queries_and_show_no_data(
    operator_client: Client, public_tenant: Tenant
) -> None:
    operator_client.get("/")
    with CaptureQueriesContext(connection) as before:
        operator_client.get("/")
    for slug in ("alpha", "bravo", "charlie"):
        add_tenant_row(slug)

    with CaptureQueriesContext(connection) as after:
        response = operator_client.get("/")

    assert len(after) == len(before)
    assert stats_of(response, "alpha") is None
    assert "the tenant's schema is missing" in response.content.decode()


def test_suspended_tenant_still_shows_its_stats(
    operator_client: Client, bank_activity: dict[str, object]
) -> None:
    operator_client.post("/tenants/bank/suspend/")
    response = operator_client.get("/")
    assert stats_of(response, "bank").complaints == 4
    assert "Suspended" in response.content.decode()


def test_non_operator_of_the_public_schema_sees_no_stats(public_admin_client: Client) -> None:
    response = public_admin_client.get("/")
    assert response.status_code == 403
    assert b"Consumers" not in response.content


def test_tenant_consumer_cannot_reach_the_console_from_a_tenant_host(
    consumer_client: Client,
) -> None:
    # The tenant site has no platform console: "/" is the consumer's own list there.
    response = consumer_client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/complaints/"
