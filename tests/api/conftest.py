"""API fixtures: JSON clients per role holding real tokens from the token endpoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client

from accounts.models import User
from tenancy.models import Tenant
from tests.conftest import PASSWORD, current_code

TOKEN_URL = "/api/v1/auth/token/"
REFRESH_URL = "/api/v1/auth/token/refresh/"
COMPLAINTS_URL = "/api/v1/complaints/"


def post_json(client: Client, path: str, data: Any) -> HttpResponse:
    return client.post(path, data, content_type="application/json")


def request_tokens(
    tenant: Tenant, email: str, password: str = PASSWORD, otp: str | None = None
) -> HttpResponse:
    """Ask ``tenant``'s token endpoint for a token pair, as an integration would."""
    body = {"email": email, "password": password}
    if otp is not None:
        body["otp"] = otp
    return post_json(Client(HTTP_HOST=tenant.host), TOKEN_URL, body)


def bearer_client(tenant: Tenant, access_token: str) -> Client:
    return Client(HTTP_HOST=tenant.host, HTTP_AUTHORIZATION=f"Bearer {access_token}")


@pytest.fixture
def tokens_for(bank: Tenant) -> Callable[..., dict[str, str]]:
    """Real token pairs from the endpoint, one per user and tenant (a TOTP code is single-use)."""
    issued: dict[tuple[str, int], dict[str, str]] = {}

    def obtain(user: User, tenant: Tenant | None = None) -> dict[str, str]:
        tenant = tenant or bank
        key = (tenant.schema_name, user.pk)
        if key not in issued:
            otp = current_code() if user.is_staff_member else None
            previous = connection.tenant
            response = request_tokens(tenant, user.email, otp=otp)
            connection.set_tenant(previous)
            assert response.status_code == 200, response.content
            issued[key] = response.json()
        return issued[key]

    return obtain


@pytest.fixture
def api_client_for(
    bank: Tenant, tokens_for: Callable[..., dict[str, str]]
) -> Callable[..., Client]:
    """A bank client authenticated with ``user``'s access token."""

    def make(user: User) -> Client:
        return bearer_client(bank, tokens_for(user)["access"])

    return make


@pytest.fixture
def anonymous_api(bank: Tenant) -> Client:
    return Client(HTTP_HOST=bank.host)


@pytest.fixture
def consumer_api(api_client_for: Callable[..., Client], consumer: User) -> Client:
    return api_client_for(consumer)


@pytest.fixture
def other_consumer_api(api_client_for: Callable[..., Client], other_consumer: User) -> Client:
    return api_client_for(other_consumer)


@pytest.fixture
def agent_api(api_client_for: Callable[..., Client], agent: User) -> Client:
    return api_client_for(agent)


@pytest.fixture
def specialist_api(api_client_for: Callable[..., Client], specialist: User) -> Client:
    return api_client_for(specialist)


@pytest.fixture
def manager_api(api_client_for: Callable[..., Client], manager: User) -> Client:
    return api_client_for(manager)


@pytest.fixture
def admin_api(api_client_for: Callable[..., Client], tenant_admin: User) -> Client:
    return api_client_for(tenant_admin)


@pytest.fixture
def telco_tenant(bank: Tenant) -> Tenant:
    """The tenant next door, without switching the connection away from the bank."""
    return Tenant.objects.get(slug="telco")


@pytest.fixture
def outsider_tokens(
    telco_tenant: Tenant, outsider: User, tokens_for: Callable[..., dict[str, str]]
) -> dict[str, str]:
    """A token pair telco issued to its consumer (same e-mail and password as bank's)."""
    return tokens_for(outsider, telco_tenant)


@pytest.fixture
def outsider_on_bank(bank: Tenant, outsider_tokens: dict[str, str]) -> Client:
    """A bank client presenting the token telco issued to the outsider."""
    return bearer_client(bank, outsider_tokens["access"])
