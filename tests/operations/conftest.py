"""Helpers for tests of the platform console, provisioning and the operator's commands.

Provisioning inside a test's transaction is rolled back with it, the new schema included
(PostgreSQL's DDL is transactional), so tests that create tenants need no clean-up. Each
creation copies the template schema (under a second on a quiet machine), so few tests create
one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django_tenants.utils import schema_context

from accounts.models import Role, User
from audit.models import AuditEvent
from tenancy.models import Domain, Tenant
from tests.conftest import create_user, sign_in

LINK = re.compile(r"https?://\S+")


def tenant_schemas() -> set[str]:
    """Every schema PostgreSQL holds for a tenant (their names start with ``t_``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE %s",
            ["t\\_%"],
        )
        return {row[0] for row in cursor.fetchall()}


def public_audit(**filters: Any) -> list[AuditEvent]:
    """Audit rows of the public schema (the platform's own log), newest first."""
    with schema_context("public"):
        return list(AuditEvent.objects.filter(**filters))


def platform_state() -> tuple[object, ...]:
    with schema_context("public"):
        return (
            sorted(Tenant.objects.values_list("slug", flat=True)),
            sorted(Domain.objects.values_list("domain", flat=True)),
            tenant_schemas(),
            AuditEvent.objects.count(),
            len(mail.outbox),
        )


@contextmanager
def creates_nothing() -> Iterator[None]:
    """Assert the block leaves no tenant, domain, schema, audit row or e-mail behind."""
    before = platform_state()
    yield
    assert platform_state() == before


def link_in_last_mail() -> tuple[str, str]:
    """Host and path of the one link in the last e-mail sent."""
    (link,) = LINK.findall(mail.outbox[-1].body)
    parts = urlsplit(link)
    assert parts.hostname is not None
    return parts.hostname, parts.path


def new_tenant_data(**overrides: str) -> dict[str, str]:
    """A valid platform-console form for a new tenant, with some fields replaced."""
    return {
        "name": "Fabrikam Air",
        "slug": "fabrikam",
        "industry": "airline",
        "regulatory_profile": "us_dot_airline",
        "country": "US",
        "time_zone": "America/New_York",
        "admin_email": "ada@fabrikam.example",
    } | overrides


@pytest.fixture
def console_client(public_tenant: Tenant) -> Client:
    """A client on the platform console's host, signed in as nobody."""
    return Client(HTTP_HOST="localhost")


@pytest.fixture
def unverified_operator_client(public_tenant: Tenant, operator: User) -> Client:
    """An operator who passed the password step but not the second factor."""
    return sign_in(Client(HTTP_HOST="localhost"), operator, second_factor=False)


@pytest.fixture
def public_admin_client(public_tenant: Tenant) -> Client:
    """A verified staff member of the public schema whose role is not operator."""
    user = create_user(Role.ADMIN, "adrian@example.com", full_name="Adrian Admin")
    return sign_in(Client(HTTP_HOST="localhost"), user)
