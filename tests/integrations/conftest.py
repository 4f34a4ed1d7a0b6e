"""API clients as an integration holds them: created by an admin, tokens from the endpoint."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client

from accounts.models import ClientScope, User
from integrations.clients import create_client
from integrations.models import ApiClient
from tenancy.models import Tenant
from tests.api.conftest import (  # noqa: F401 - the API's fixtures, used here too
    admin_api,
    api_client_for,
    bearer_client,
    consumer_api,
    manager_api,
    post_json,
    tokens_for,
)

CLIENT_TOKEN_URL = "/api/v1/auth/client-token/"


@dataclass
class Integration:
    """A client as its integration knows it: the id and the secret it was shown once."""

    client: ApiClient
    secret: str

    @property
    def client_id(self) -> str:
        return self.client.client_id


def request_client_token(tenant: Tenant, client_id: str, secret: str) -> Client:
    return post_json(
        Client(HTTP_HOST=tenant.host),
        CLIENT_TOKEN_URL,
        {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )


@pytest.fixture
def make_integration(bank: Tenant, tenant_admin: User) -> Callable[..., Integration]:
    """A bank API client with ``scopes`` (read complaints by default)."""

    def make(name: str = "CRM", *scopes: ClientScope) -> Integration:
        client, secret = create_client(
            name, scopes or [ClientScope.READ_COMPLAINTS], actor=tenant_admin
        )
        return Integration(client, secret)

    return make


@pytest.fixture
def token_of(bank: Tenant) -> Callable[..., str]:
    """The access token ``integration`` gets from ``tenant``'s client-token endpoint."""

    def obtain(integration: Integration, tenant: Tenant | None = None) -> str:
        previous = connection.tenant
        response = request_client_token(tenant or bank, integration.client_id, integration.secret)
        connection.set_tenant(previous)
        assert response.status_code == 200, response.content
        return str(response.json()["access"])

    return obtain


@pytest.fixture
def client_api(bank: Tenant, token_of: Callable[..., str]) -> Callable[..., Client]:
    """A bank API client authenticated with ``integration``'s token."""

    def make(integration: Integration) -> Client:
        return bearer_client(bank, token_of(integration))

    return make
