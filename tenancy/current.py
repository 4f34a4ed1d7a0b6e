"""Typed access to the tenant the database connection is working in."""

from __future__ import annotations

from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, cast

from django.db import connection

if TYPE_CHECKING:
    from tenancy.models import Tenant

# django-tenants adds these attributes to the connection at run time.
_tenant_connection = cast(Any, connection)

# The schema of the tenant the current request serves ("-" before routing or on the bare
# domain); the tenant middleware sets it and every log line names it.
tenant_var: ContextVar[str] = ContextVar("tenant", default="-")


def schema_name() -> str:
    return str(_tenant_connection.schema_name)


def tenant() -> Tenant:
    return cast("Tenant", _tenant_connection.tenant)


def use_public_schema() -> None:
    _tenant_connection.set_schema_to_public()


def use_tenant(tenant: Tenant) -> None:
    _tenant_connection.set_tenant(tenant)
