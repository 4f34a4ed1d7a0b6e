"""TenantSettings: one row per tenant schema, read once per request or task, never by a write."""

from __future__ import annotations

from collections.abc import Callable
from unittest.mock import patch

import pytest
from celery.app.trace import build_tracer
from django.core.cache import cache
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from complaints.models import Complaint
from configuration.cache import forget_pending_changes, generation_key
from configuration.models import STORED_SETTINGS, TenantSettings, forget_current_settings
from outbox.tasks import deliver_due_messages
from tenancy.models import Tenant
from tests.conftest import tenant_client

TABLE = TenantSettings._meta.db_table


def settings_queries(queries: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if TABLE in query["sql"]]


def rename(display_name: str) -> None:
    """Change the current schema's row the way the settings pages do: by saving it."""
    row = TenantSettings.objects.get()
    row.display_name = display_name
    row.save(update_fields=["display_name"])


# --- one row, read once, never written by a read ------------------------------------------------


def test_reading_twice_queries_once_and_writes_nothing(bank: Tenant) -> None:
    with CaptureQueriesContext(connection) as queries:
        first = TenantSettings.current()
        second = TenantSettings.current()

    assert first is second
    (read,) = settings_queries(queries)
    assert read.startswith("SELECT")
    # Besides that read, at most the connection's schema switch.
    assert all(
        query["sql"] == read or query["sql"].startswith("SET search_path")
        for query in queries.captured_queries
    )


def test_a_missing_row_is_an_error_and_reading_does_not_create_it(bank: Tenant) -> None:
    TenantSettings.objects.all().delete()

    with pytest.raises(TenantSettings.DoesNotExist):
        TenantSettings.current()
    assert not TenantSettings.objects.exists()


def test_the_database_keeps_one_row_per_schema(bank: Tenant) -> None:
    with pytest.raises(IntegrityError, match="tenant_settings_single_row"), transaction.atomic():
        TenantSettings.objects.create(id=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        TenantSettings.objects.create()

    assert list(TenantSettings.objects.values_list("pk", flat=True)) == [1]


def test_saving_the_row_drops_the_cached_copy(bank: Tenant) -> None:
    assert TenantSettings.current().display_name == ""

    rename("Northwind Bank plc")

    assert TenantSettings.current().display_name == "Northwind Bank plc"


def test_an_editable_copy_changes_nothing_until_saved(bank: Tenant) -> None:
    copy = TenantSettings.editable()
    copy.primary_colour = "#ffff00"

    assert TenantSettings.current().primary_colour == "#1e3a8a"


# --- never from one tenant to another -----------------------------------------------------------


@pytest.fixture
def renamed(bank: Tenant, telco: Tenant, activate: Callable[[Tenant], Tenant]) -> None:
    """Each tenant's portal under a name of its own; the connection is left on telco."""
    activate(bank)
    rename("Northwind Bank plc")
    activate(telco)
    rename("Contoso Mobile")


@pytest.mark.usefixtures("renamed")
def test_two_tenants_on_one_connection_each_read_their_own_row(
    bank: Tenant, telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    activate(bank)
    assert TenantSettings.current().display_name == "Northwind Bank plc"
    activate(telco)
    assert TenantSettings.current().display_name == "Contoso Mobile"
    activate(bank)
    assert TenantSettings.current().display_name == "Northwind Bank plc"


@pytest.mark.usefixtures("renamed")
def test_requests_to_two_tenants_in_one_process_show_each_its_own_branding(
    bank: Tenant, telco: Tenant
) -> None:
    bank_client, telco_client = tenant_client(bank), tenant_client(telco)

    for client, mine, theirs in [
        (bank_client, b"Northwind Bank plc", b"Contoso Mobile"),
        (telco_client, b"Contoso Mobile", b"Northwind Bank plc"),
        (bank_client, b"Northwind Bank plc", b"Contoso Mobile"),
    ]:
        page = client.get("/").content
        assert mine in page
        assert theirs not in page


# --- once per request, once per task -------------------------------------------------------------


def saved_elsewhere(**changes: object) -> None:
    """A change another process saved: the row and the shared cache, not this process's read
    (which a write through the model here would drop too)."""
    columns = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in changes)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {TABLE} SET {columns}", list(changes.values()))
    cache.delete(generation_key(connection.schema_name, STORED_SETTINGS.name))


def test_each_request_reads_the_row_afresh(bank: Tenant) -> None:
    TenantSettings.current()
    saved_elsewhere(display_name="Renamed elsewhere")

    assert b"Renamed elsewhere" in tenant_client(bank).get("/").content


def test_a_saved_change_is_seen_by_the_next_request_though_the_row_was_cached(
    bank: Tenant,
) -> None:
    client = tenant_client(bank)
    client.get("/")  # the row is in the tenant's cache now

    rename("Renamed by the admin")

    assert b"Renamed by the admin" in client.get("/").content


def test_the_console_complaint_page_reads_the_settings_once(
    agent_client: Client, complaint: Complaint
) -> None:
    url = f"/console/complaints/{complaint.reference}/"
    agent_client.get(url)

    # Branding, the at-risk margin and the deadline countdowns all come from the one read,
    # which the tenant's cache answers.
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(url)

    assert response.status_code == 200
    assert settings_queries(queries) == []
    STORED_SETTINGS.forget()

    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get(url)

    assert response.status_code == 200
    assert len(settings_queries(queries)) == 1


def test_the_at_risk_queue_of_an_agent_without_second_factor_reads_the_settings_once(
    bank: Tenant, agent_client: Client, complaint: Complaint
) -> None:
    saved_elsewhere(frontline_two_factor_required=False)
    agent_client.get("/console/?view=at_risk")
    STORED_SETTINGS.forget()

    # The second-factor policy (checked for every permission), the margin and the branding.
    with CaptureQueriesContext(connection) as queries:
        response = agent_client.get("/console/?view=at_risk")

    assert response.status_code == 200
    assert len(settings_queries(queries)) == 1


def test_a_refused_policy_change_reads_the_settings_once(admin_client: Client) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post("/settings/policy/", {"currency": "E1"})

    assert response.status_code == 400
    assert len(settings_queries(queries)) == 1


def test_submitting_a_complaint_reads_the_settings_once(consumer_client: Client) -> None:
    # Routing, attachment limit, business hours for the deadlines, and the acknowledgement
    # e-mail delivered by a task run inline: one read.
    with CaptureQueriesContext(connection) as queries:
        response = consumer_client.post(
            "/complaints/new/",
            {"subject": "Card used abroad", "description": "Payments I did not make."},
        )

    assert response.status_code == 302
    assert Complaint.objects.count() == 1
    assert len(settings_queries(queries)) == 1


def test_a_task_run_inline_keeps_the_read_of_the_request_that_queued_it(bank: Tenant) -> None:
    read = TenantSettings.current()

    deliver_due_messages.apply()

    assert TenantSettings.current() is read


def test_a_task_run_by_a_worker_reads_the_row_afresh(bank: Tenant) -> None:
    TenantSettings.current()
    saved_elsewhere(display_name="Renamed elsewhere")
    # How a worker runs a task: Celery's tracer, not eager, for the tenant's schema.
    run = build_tracer(
        deliver_due_messages.name, deliver_due_messages, eager=False, app=deliver_due_messages.app
    )

    run("task-1", (), {}, request={"_schema_name": bank.schema_name})

    assert TenantSettings.current().display_name == "Renamed elsewhere"


def test_forgetting_the_cached_row_reads_it_again(bank: Tenant) -> None:
    read = TenantSettings.current()
    saved_elsewhere(display_name="Renamed elsewhere")
    assert TenantSettings.current() is read  # the request's read stands

    forget_pending_changes()  # the next request
    forget_current_settings()

    assert TenantSettings.current().display_name == "Renamed elsewhere"


def test_an_unchanged_row_is_read_once_per_process(bank: Tenant) -> None:
    read = TenantSettings.current()
    forget_pending_changes()  # the next request
    forget_current_settings()

    with (
        CaptureQueriesContext(connection) as queries,
        patch.object(cache, "get", wraps=cache.get) as get,
        patch.object(cache, "get_many", wraps=cache.get_many) as get_many,
    ):
        again = TenantSettings.current()

    assert again is read  # from the process's memory
    assert len(queries) == 0
    get.assert_not_called()
    assert get_many.call_count == 1  # the generations of the tenant's entries
