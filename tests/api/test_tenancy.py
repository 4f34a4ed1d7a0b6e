"""How the API answers for suspended tenants, unknown hosts and unknown paths."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from complaints.models import Complaint
from operations.services import set_tenant_status
from tenancy.models import Tenant
from tests.api.conftest import COMPLAINTS_URL, TOKEN_URL, bearer_client
from tests.conftest import PASSWORD


def suspend(tenant: Tenant) -> None:
    """Suspend ``tenant`` as the platform console does, from the public schema."""
    connection.set_schema_to_public()
    set_tenant_status(tenant, Tenant.Status.SUSPENDED, actor=None)


def test_suspended_tenant_answers_503_json_to_a_valid_token(
    bank: Tenant, complaint: Complaint, tokens_for: Callable[..., dict[str, str]], consumer: User
) -> None:
    access = tokens_for(consumer)["access"]
    assert bearer_client(bank, access).get(COMPLAINTS_URL).status_code == 200

    suspend(bank)
    response = bearer_client(bank, access).get(COMPLAINTS_URL)

    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Northwind Bank is suspended; the API is unavailable."
    assert complaint.reference not in response.content.decode()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", TOKEN_URL),
        ("post", "/api/v1/auth/token/refresh/"),
        ("get", "/api/v1/schema/"),
        ("get", "/api/v1/nothing/"),
    ],
)
def test_suspended_tenant_refuses_every_api_path_with_503(
    bank: Tenant, consumer: User, method: str, path: str
) -> None:
    suspend(bank)

    response = getattr(Client(HTTP_HOST=bank.host), method)(
        path, {"email": consumer.email, "password": PASSWORD}, content_type="application/json"
    )

    assert response.status_code == 503
    assert "suspended" in response.json()["detail"]


def test_resumed_tenant_answers_again(
    bank: Tenant, tokens_for: Callable[..., dict[str, str]], consumer: User
) -> None:
    access = tokens_for(consumer)["access"]
    suspend(bank)
    assert bearer_client(bank, access).get(COMPLAINTS_URL).status_code == 503

    set_tenant_status(bank, Tenant.Status.ACTIVE, actor=None)

    assert bearer_client(bank, access).get(COMPLAINTS_URL).status_code == 200


def test_suspending_one_tenant_leaves_the_other_answering(
    bank: Tenant, telco_tenant: Tenant, outsider_tokens: dict[str, str]
) -> None:
    suspend(bank)

    response = bearer_client(telco_tenant, outsider_tokens["access"]).get(COMPLAINTS_URL)

    assert response.status_code == 200


@pytest.mark.parametrize("path", [COMPLAINTS_URL, TOKEN_URL])
def test_unknown_host_answers_404_json(db: None, path: str) -> None:
    response = Client(HTTP_HOST="nope.localhost").get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "No organisation is served at this address."


def test_unknown_host_is_404_even_with_a_valid_token(
    consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    response = Client(
        HTTP_HOST="nope.localhost", HTTP_AUTHORIZATION=f"Bearer {tokens_for(consumer)['access']}"
    ).get(COMPLAINTS_URL)

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v2/complaints/", "/api/"])
def test_unknown_api_path_is_a_404_json(anonymous_api: Client, path: str) -> None:
    response = anonymous_api.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]


def test_unknown_api_path_is_a_404_json_for_a_signed_in_caller(consumer_api: Client) -> None:
    response = consumer_api.get("/api/v1/complaints/C-2024-000001/events/")

    assert response.status_code == 404
    assert response.json()["detail"]
