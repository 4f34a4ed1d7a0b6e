"""API tokens: staff need a one-time code, and tokens are bound to the issuing tenant."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from rest_framework_simplejwt.tokens import AccessToken

from accounts.models import User
from audit.models import AuditEvent
from tenancy.models import Tenant
from tests.conftest import PASSWORD, current_code, tenant_client

TOKEN = "/api/v1/auth/token/"
REFRESH = "/api/v1/auth/token/refresh/"
COMPLAINTS = "/api/v1/complaints/"


def obtain(client: Client, email: str, password: str = PASSWORD, **extra: str):
    return client.post(
        TOKEN, {"email": email, "password": password, **extra}, content_type="application/json"
    )


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_consumer_obtains_a_token_pair_that_opens_the_api(
    anonymous_client: Client, consumer: User, audit_actions: Callable[..., list[str]]
) -> None:
    response = obtain(anonymous_client, "casey@example.com")

    assert response.status_code == 200
    access = response.json()["access"]
    assert AccessToken(access)["tenant"] == "t_bank"
    assert anonymous_client.get(COMPLAINTS, **bearer(access)).status_code == 200
    assert audit_actions("casey@example.com") == [AuditEvent.Action.API_TOKEN_ISSUED]


def test_wrong_password_gets_no_token(anonymous_client: Client, consumer: User) -> None:
    response = obtain(anonymous_client, "casey@example.com", "wrong-password")

    assert response.status_code == 401
    assert "access" not in response.json()


def test_staff_without_a_one_time_code_get_no_token_and_the_refusal_is_audited(
    anonymous_client: Client, agent: User, audit_actions: Callable[..., list[str]]
) -> None:
    response = obtain(anonymous_client, "alex@example.com")

    assert response.status_code == 401
    assert "otp" in response.json()["detail"]
    assert audit_actions("alex@example.com") == [AuditEvent.Action.API_TOKEN_REFUSED]


def test_staff_with_a_wrong_one_time_code_get_no_token(
    anonymous_client: Client, agent: User
) -> None:
    code = f"{(int(current_code()) + 1) % 1_000_000:06d}"

    response = obtain(anonymous_client, "alex@example.com", otp=code)

    assert response.status_code == 401


def test_staff_with_the_current_code_get_a_token_carrying_the_second_factor(
    anonymous_client: Client, agent: User, audit_actions: Callable[..., list[str]]
) -> None:
    response = obtain(anonymous_client, "alex@example.com", otp=current_code())

    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["otp"] is True
    assert audit_actions("alex@example.com") == [AuditEvent.Action.API_TOKEN_ISSUED]


def test_bank_access_token_is_refused_on_telco(
    anonymous_client: Client, consumer: User, telco_twin: User, telco: Tenant
) -> None:
    access = obtain(anonymous_client, "casey@example.com").json()["access"]

    response = tenant_client(telco).get(COMPLAINTS, **bearer(access))

    assert response.status_code == 401


def test_bank_refresh_token_is_refused_on_telco(
    anonymous_client: Client, consumer: User, telco_twin: User, telco: Tenant
) -> None:
    refresh = obtain(anonymous_client, "casey@example.com").json()["refresh"]

    on_bank = anonymous_client.post(REFRESH, {"refresh": refresh}, content_type="application/json")
    on_telco = tenant_client(telco).post(
        REFRESH, {"refresh": refresh}, content_type="application/json"
    )

    assert on_bank.status_code == 200
    assert on_telco.status_code == 401
    assert "access" not in on_telco.json()
