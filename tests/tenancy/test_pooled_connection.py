"""One database connection serving tenants in turn reads each request from its own schema.

This is what a pooled connection (Django's psycopg pool, or PgBouncer in *session* mode) does:
consecutive requests of different tenants reach the same PostgreSQL backend, so the schema
must be chosen per request, never left over from the previous one.
"""

from __future__ import annotations

from django.db import connection
from django.test import Client

from configuration.models import TenantSettings, forget_current_settings
from tenancy.models import Tenant


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def name_in_schema(tenant: Tenant, name: str) -> None:
    connection.set_tenant(tenant)
    settings_row = TenantSettings.editable()
    settings_row.display_name = name
    settings_row.save(update_fields=["display_name"])
    forget_current_settings()


def test_alternating_tenants_on_one_connection_read_each_from_its_own_schema(
    bank: Tenant, telco: Tenant
) -> None:
    name_in_schema(bank, "Bank as stored in t_bank")
    name_in_schema(telco, "Telco as stored in t_telco")
    pid = backend_pid()

    for tenant, own, other in [
        (bank, "Bank as stored in t_bank", "Telco as stored in t_telco"),
        (telco, "Telco as stored in t_telco", "Bank as stored in t_bank"),
        (bank, "Bank as stored in t_bank", "Telco as stored in t_telco"),
        (telco, "Telco as stored in t_telco", "Bank as stored in t_bank"),
    ]:
        page = Client(HTTP_HOST=tenant.host).get("/accounts/login/").content.decode()

        assert own in page
        assert other not in page
        assert backend_pid() == pid  # the same PostgreSQL session served every request
