"""Host routing: suspended tenants, unknown and disallowed hosts, the cached host lookup."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from accounts.models import Role
from accounts.services import invite_staff
from operations.services import set_tenant_status
from tenancy import current
from tenancy.middleware import host_cache_key
from tenancy.models import Domain, Tenant
from tests.tenancy.conftest import cached_host

# --- Suspended tenants ------------------------------------------------------------------


def suspend(tenant: Tenant) -> None:
    connection.set_schema_to_public()
    set_tenant_status(tenant, Tenant.Status.SUSPENDED, actor=None)


@pytest.mark.parametrize("path", ["/", "/complaints/", "/accounts/login/", "/console/"])
def test_suspended_tenant_pages_answer_503_naming_the_tenant(
    bank: Tenant, anonymous_client: Client, path: str
) -> None:
    suspend(bank)

    response = anonymous_client.get(path)

    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    assert b"Northwind Bank is temporarily unavailable" in response.content
    assert b"suspended" in response.content


@pytest.mark.parametrize("client_name", ["consumer_client", "agent_client", "admin_client"])
def test_signed_in_users_of_a_suspended_tenant_get_the_503_page(
    bank: Tenant, client_name: str, request: pytest.FixtureRequest
) -> None:
    client: Client = request.getfixturevalue(client_name)
    suspend(bank)

    response = client.get("/")

    assert response.status_code == 503
    assert b"Northwind Bank" in response.content


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/v1/complaints/"), ("post", "/api/v1/auth/token/"), ("get", "/api/v1/nope/")],
)
def test_suspended_tenant_api_answers_503_json(
    bank: Tenant, anonymous_client: Client, method: str, path: str
) -> None:
    suspend(bank)

    response = getattr(anonymous_client, method)(path)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Northwind Bank is suspended; the API is unavailable."
    assert response.json()["status"] == 503


def test_suspending_one_tenant_leaves_the_others_running(
    bank: Tenant, telco: Tenant, anonymous_client: Client
) -> None:
    suspend(bank)

    assert Client(HTTP_HOST="telco.localhost").get("/").status_code == 200
    assert Client(HTTP_HOST="localhost").get("/accounts/login/").status_code == 200


def test_suspend_and_resume_take_effect_at_once_despite_the_host_cache(
    bank: Tenant, anonymous_client: Client
) -> None:
    assert anonymous_client.get("/").status_code == 200
    assert cached_host("bank.localhost") == bank

    suspend(bank)
    assert cached_host("bank.localhost") is None
    assert anonymous_client.get("/").status_code == 503
    cached = cached_host("bank.localhost")
    assert cached is not None
    assert cached.is_suspended

    set_tenant_status(bank, Tenant.Status.ACTIVE, actor=None)
    assert cached_host("bank.localhost") is None
    assert anonymous_client.get("/").status_code == 200
    assert anonymous_client.get("/api/v1/complaints/").status_code == 401


def test_a_request_between_the_suspension_and_its_commit_does_not_keep_the_tenant_active(
    bank: Tenant,
    anonymous_client: Client,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    assert anonymous_client.get("/").status_code == 200
    as_it_stood = Tenant.objects.get(pk=bank.pk)

    with django_capture_on_commit_callbacks(execute=True):
        suspend(bank)
        # Another request, reading the row as it stood before the commit, caches it again.
        with schema_context("public"):
            cache.set(host_cache_key("bank.localhost"), as_it_stood, 60)

    assert cached_host("bank.localhost") is None
    assert anonymous_client.get("/").status_code == 503


def test_host_lookup_is_cached_between_requests(bank: Tenant, anonymous_client: Client) -> None:
    with CaptureQueriesContext(connection) as first:
        anonymous_client.get("/")
    with CaptureQueriesContext(connection) as second:
        anonymous_client.get("/")

    assert any("tenancy_domain" in query["sql"] for query in first.captured_queries)
    assert not any("tenancy_domain" in query["sql"] for query in second.captured_queries)


def test_removing_a_domain_stops_serving_it_at_once(bank: Tenant) -> None:
    connection.set_schema_to_public()
    alias = Domain.objects.create(domain="northwind.localhost", tenant=bank)
    client = Client(HTTP_HOST="northwind.localhost")
    assert client.get("/").status_code == 200

    connection.set_schema_to_public()
    alias.delete()

    assert client.get("/").status_code == 404


def test_saving_the_tenant_inside_its_schema_keeps_the_connection_on_that_tenant(
    bank: Tenant, mailoutbox: list, django_capture_on_commit_callbacks: Callable
) -> None:
    # e.g. a tenant admin changing their organisation's settings, then inviting someone
    bank.name = "Northwind Bank plc"
    bank.save()

    assert connection.schema_name == "t_bank"
    assert current.tenant() == bank
    with django_capture_on_commit_callbacks(execute=True):
        invite_staff("nia@example.com", Role.AGENT, actor=None)
    assert "http://bank.localhost:8000/invitations/" in mailoutbox[0].body
    assert "Northwind Bank plc" in mailoutbox[0].subject


# --- Hosts that serve nothing -------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/complaints/C-1/"])
def test_unknown_subdomain_gets_a_plain_404_page(public_tenant: Tenant, path: str) -> None:
    response = Client(HTTP_HOST="nope.localhost").get(path)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"No organisation is served at this address." in response.content


def test_unknown_subdomain_api_gets_a_json_404(public_tenant: Tenant) -> None:
    response = Client(HTTP_HOST="nope.localhost").get("/api/v1/complaints/")

    assert response.status_code == 404
    assert response.json()["detail"] == "No organisation is served at this address."


@pytest.mark.parametrize(
    "host", ["evil.example.com", "localhost.evil.example", "bank.localhost.evil.example"]
)
@pytest.mark.parametrize("path", ["/", "/api/v1/complaints/", "/accounts/login/"])
def test_host_outside_allowed_hosts_is_a_400_and_a_security_log_entry(
    host: str, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="django.security.DisallowedHost"):
        response = Client(HTTP_HOST=host).get(path)

    assert response.status_code == 400
    assert [record.name for record in caplog.records] == ["django.security.DisallowedHost"]
    assert host in caplog.records[0].getMessage()
