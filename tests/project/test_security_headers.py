"""Every page is sent with the browser security headers."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from tenancy.models import Tenant
from tests.conftest import PASSWORD

PAGES = [
    ("bank.localhost", "/"),  # a tenant's landing page
    ("bank.localhost", "/accounts/login/"),
    ("bank.localhost", "/api/v1/complaints/"),  # 401 JSON
    ("localhost", "/accounts/login/"),  # the platform console's sign-in
]


@pytest.mark.parametrize(("host", "path"), PAGES)
def test_pages_carry_the_security_headers(public_tenant: Tenant, host: str, path: str) -> None:
    response = Client(HTTP_HOST=host).get(path)

    assert response.status_code in {200, 401}
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_signed_in_console_page_carries_the_security_headers(operator_client: Client) -> None:
    response = operator_client.get("/")

    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_session_cookie_from_signing_in_is_http_only_and_same_site(operator: User) -> None:
    response = Client(HTTP_HOST="localhost").post(
        "/accounts/login/", {"login": operator.email, "password": PASSWORD}
    )

    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
