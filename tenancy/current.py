"""Typed access to the tenant the database connection is working in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, tzinfo
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar, cast
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

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


def time_zone() -> ZoneInfo:
    """The time zone of the tenant the connection works in; UTC on the platform."""
    if schema_name() == get_public_schema_name():
        return ZoneInfo("UTC")
    return ZoneInfo(tenant().time_zone)


# Django's ``M`` date format: the month's three-letter English abbreviation.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def readable_moment(moment: datetime, zone: tzinfo | None = None) -> str:
    """``moment`` as people read it everywhere in the product, ``1 Dec 2026, 07:41`` (what
    Django templates write with ``|date:"j M Y, H:i"``), in ``zone``: by default the active
    time zone, the tenant's in a request or a tenant's task. Written directly: the queue's
    rows call it per row."""
    local = timezone.localtime(moment, zone)
    return (
        f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local.hour:02d}:{local.minute:02d}"
    )


@contextmanager
def local_time() -> Iterator[None]:
    """Work in the tenant's time zone: Django's local dates and times (filters, templates,
    ``timezone.localdate()``) are the tenant's inside, whatever they were before."""
    with timezone.override(time_zone()):
        yield


P = ParamSpec("P")
R = TypeVar("R")


def in_local_time(function: Callable[P, R]) -> Callable[P, R]:
    """Run ``function`` (a task of one tenant) in that tenant's time zone."""

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with local_time():
            return function(*args, **kwargs)

    return run
