"""POST /api/v1/auth/token/ and /api/v1/auth/token/refresh/: who gets tokens, and where they work."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import pytest
from django.test import Client
from rest_framework.throttling import ScopedRateThrottle
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts.models import Role, User
from audit.models import AuditEvent
from configuration.models import TenantSettings
from tenancy.models import Tenant
from tests.api.conftest import (
    COMPLAINTS_URL,
    REFRESH_URL,
    TOKEN_URL,
    bearer_client,
    post_json,
    request_tokens,
)
from tests.conftest import PASSWORD, create_user, current_code

STAFF_FIXTURES = ["agent", "specialist", "manager", "tenant_admin"]


def test_consumer_exchanges_password_for_access_and_refresh_tokens(
    bank: Tenant, consumer: User
) -> None:
    response = request_tokens(bank, consumer.email)

    assert response.status_code == 200
    tokens = response.json()
    assert set(tokens) == {"access", "refresh"}
    access = AccessToken(tokens["access"])
    assert access["user_id"] == str(consumer.pk)
    assert access["tenant"] == bank.schema_name
    assert access["otp"] is False
    assert RefreshToken(tokens["refresh"])["tenant"] == bank.schema_name
    assert bearer_client(bank, tokens["access"]).get(COMPLAINTS_URL).status_code == 200
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.API_TOKEN_ISSUED, actor_id=consumer.pk
    ).exists()


def test_email_is_matched_case_insensitively(bank: Tenant, consumer: User) -> None:
    response = request_tokens(bank, consumer.email.upper())

    assert response.status_code == 200


def test_wrong_password_is_refused_with_401_and_a_detail(bank: Tenant, consumer: User) -> None:
    response = request_tokens(bank, consumer.email, password="not-the-password")

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "E-mail or password is not correct."
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "access" not in response.json()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SIGN_IN_FAILED, actor_email=consumer.email
    ).exists()


def test_unknown_email_gets_the_same_refusal_as_a_wrong_password(bank: Tenant) -> None:
    response = request_tokens(bank, "nobody@example.com")

    assert response.status_code == 401
    assert response.json()["detail"] == "E-mail or password is not correct."


def test_a_telco_password_opens_nothing_on_the_bank(
    bank: Tenant, telco_tenant: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    """Robin's e-mail and password belong to telco; the bank has no such account."""
    activate(telco_tenant)
    create_user(Role.CONSUMER, "robin@example.com")
    activate(bank)

    response = request_tokens(bank, "robin@example.com")

    assert response.status_code == 401


def test_inactive_user_is_refused_a_token(bank: Tenant, consumer: User) -> None:
    consumer.is_active = False
    consumer.save(update_fields=["is_active"])

    response = request_tokens(bank, consumer.email)

    assert response.status_code == 401
    assert "detail" in response.json()


@pytest.mark.parametrize("role_fixture", STAFF_FIXTURES)
def test_staff_without_otp_are_refused_with_a_message_naming_otp(
    bank: Tenant, role_fixture: str, request: pytest.FixtureRequest
) -> None:
    staff: User = request.getfixturevalue(role_fixture)

    response = request_tokens(bank, staff.email)

    assert response.status_code == 401
    assert "otp" in response.json()["detail"]
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.API_TOKEN_REFUSED, actor_id=staff.pk
    ).exists()


def test_staff_with_a_wrong_otp_are_refused(bank: Tenant, agent: User) -> None:
    wrong = f"{(int(current_code()) + 1) % 1_000_000:06d}"

    response = request_tokens(bank, agent.email, otp=wrong)

    assert response.status_code == 401
    assert "otp" in response.json()["detail"]


def test_staff_with_a_blank_otp_are_refused(bank: Tenant, agent: User) -> None:
    response = request_tokens(bank, agent.email, otp="")

    assert response.status_code == 401


@pytest.mark.parametrize("role_fixture", STAFF_FIXTURES)
def test_staff_with_a_valid_otp_get_tokens_carrying_the_second_factor(
    bank: Tenant, role_fixture: str, request: pytest.FixtureRequest
) -> None:
    staff: User = request.getfixturevalue(role_fixture)

    response = request_tokens(bank, staff.email, otp=current_code())

    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["otp"] is True


def test_staff_without_an_authenticator_get_no_token_whatever_code_they_send(
    bank: Tenant,
) -> None:
    newcomer = create_user(Role.AGENT, "newcomer@example.com", second_factor=False)

    response = request_tokens(bank, newcomer.email, otp=current_code())

    assert response.status_code == 401
    assert "otp" in response.json()["detail"]


def test_staff_otp_code_cannot_be_replayed_for_a_second_token_pair(
    bank: Tenant, agent: User
) -> None:
    code = current_code()
    assert request_tokens(bank, agent.email, otp=code).status_code == 200

    replay = request_tokens(bank, agent.email, otp=code)

    assert replay.status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "email"),
        ({"email": "casey@example.com"}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "not-an-address", "password": PASSWORD}, "email"),
        ({"email": "casey@example.com", "password": PASSWORD, "otp": "1" * 17}, "otp"),
    ],
)
def test_incomplete_token_request_is_a_400_naming_the_field(
    anonymous_api: Client, consumer: User, body: dict[str, str], field: str
) -> None:
    response = post_json(anonymous_api, TOKEN_URL, body)

    assert response.status_code == 400
    payload = response.json()
    assert payload["detail"].startswith(f"{field}: ")
    assert field in payload["errors"]


def test_token_request_that_is_not_json_is_a_400_with_a_detail(anonymous_api: Client) -> None:
    response = anonymous_api.post(
        TOKEN_URL, '{"email": "casey@example.com", "password":', content_type="application/json"
    )

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


def test_token_request_that_is_a_json_list_is_a_400_with_a_detail(anonymous_api: Client) -> None:
    response = post_json(anonymous_api, TOKEN_URL, ["casey@example.com", PASSWORD])

    assert response.status_code == 400
    assert response.json()["detail"] == "The JSON body must be an object."


def test_form_encoded_token_request_is_refused_as_unsupported(
    anonymous_api: Client, consumer: User
) -> None:
    response = anonymous_api.post(TOKEN_URL, {"email": consumer.email, "password": PASSWORD})

    assert response.status_code == 415
    assert "detail" in response.json()


def test_token_endpoint_only_accepts_post(anonymous_api: Client) -> None:
    response = anonymous_api.get(TOKEN_URL)

    assert response.status_code == 405
    assert "detail" in response.json()


def test_token_requests_beyond_the_token_rate_are_throttled_with_429(
    bank: Tenant, consumer: User
) -> None:
    throttle = ScopedRateThrottle()
    allowed, _ = throttle.parse_rate(throttle.THROTTLE_RATES["token"])
    for _ in range(allowed):
        assert request_tokens(bank, consumer.email, password="guess").status_code == 401

    throttled = request_tokens(bank, consumer.email)

    assert throttled.status_code == 429
    assert "throttled" in throttled.json()["detail"].lower()
    assert int(throttled["Retry-After"]) > 0


def test_token_throttle_cannot_be_dodged_with_a_made_up_forwarded_for_header(
    bank: Tenant, consumer: User
) -> None:
    throttle = ScopedRateThrottle()
    allowed, _ = throttle.parse_rate(throttle.THROTTLE_RATES["token"])
    body = {"email": consumer.email, "password": "guess"}
    for attempt in range(allowed):
        client = Client(HTTP_HOST=bank.host, HTTP_X_FORWARDED_FOR=f"203.0.113.{attempt}")
        assert post_json(client, TOKEN_URL, body).status_code == 401

    client = Client(HTTP_HOST=bank.host, HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert post_json(client, TOKEN_URL, body).status_code == 429


# --- refresh and tenant binding ----------------------------------------------------------


def test_refresh_token_gives_a_new_access_token_on_the_issuing_tenant(
    bank: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    refresh = tokens_for(consumer)["refresh"]

    response = post_json(Client(HTTP_HOST=bank.host), REFRESH_URL, {"refresh": refresh})

    assert response.status_code == 200
    access = response.json()["access"]
    assert AccessToken(access)["tenant"] == bank.schema_name
    assert bearer_client(bank, access).get(COMPLAINTS_URL).status_code == 200


def test_refreshed_staff_token_keeps_its_second_factor(
    bank: Tenant, agent: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    refresh = tokens_for(agent)["refresh"]

    response = post_json(Client(HTTP_HOST=bank.host), REFRESH_URL, {"refresh": refresh})

    assert response.status_code == 200
    assert AccessToken(response.json()["access"])["otp"] is True


def test_bank_access_token_is_refused_on_telco(
    bank: Tenant, telco_tenant: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    access = tokens_for(consumer, bank)["access"]

    response = bearer_client(telco_tenant, access).get(COMPLAINTS_URL)

    assert response.status_code == 401
    assert response.json()["detail"] == "This token was not issued by this organisation."


def test_bank_refresh_token_is_refused_on_telco(
    bank: Tenant, telco_tenant: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    refresh = tokens_for(consumer, bank)["refresh"]

    response = post_json(Client(HTTP_HOST=telco_tenant.host), REFRESH_URL, {"refresh": refresh})

    assert response.status_code == 401
    assert response.json()["detail"] == "This token was not issued by this organisation."
    assert "access" not in response.json()


def test_telco_token_of_a_user_with_the_same_email_is_refused_on_bank(
    consumer: User, outsider_on_bank: Client
) -> None:
    response = outsider_on_bank.get(COMPLAINTS_URL)

    assert response.status_code == 401


def test_token_with_an_edited_tenant_claim_is_refused(
    bank: Tenant, telco_tenant: Tenant, outsider_tokens: dict[str, str]
) -> None:
    header, payload, signature = outsider_tokens["access"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["tenant"] = bank.schema_name
    forged_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()

    response = bearer_client(bank, f"{header}.{forged_payload}.{signature}").get(COMPLAINTS_URL)

    assert response.status_code == 401


def test_refresh_token_is_not_accepted_as_an_access_token(
    bank: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    response = bearer_client(bank, tokens_for(consumer)["refresh"]).get(COMPLAINTS_URL)

    assert response.status_code == 401


def test_access_token_is_not_accepted_as_a_refresh_token(
    bank: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    access = tokens_for(consumer)["access"]

    response = post_json(Client(HTTP_HOST=bank.host), REFRESH_URL, {"refresh": access})

    assert response.status_code == 401
    assert "access" not in response.json()


def test_blank_refresh_token_is_a_400(anonymous_api: Client) -> None:
    response = post_json(anonymous_api, REFRESH_URL, {"refresh": ""})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("refresh: ")


@pytest.mark.parametrize("refresh", ["not-a-token", "a.b.c"])
def test_garbage_refresh_token_is_a_401(anonymous_api: Client, refresh: str) -> None:
    response = post_json(anonymous_api, REFRESH_URL, {"refresh": refresh})

    assert response.status_code == 401
    assert "detail" in response.json()


def test_outsider_refresh_token_is_refused_on_bank(
    bank: Tenant, outsider_tokens: dict[str, str]
) -> None:
    response = post_json(
        Client(HTTP_HOST=bank.host), REFRESH_URL, {"refresh": outsider_tokens["refresh"]}
    )

    assert response.status_code == 401
    assert "access" not in response.json()


def test_refresh_for_a_deactivated_user_is_refused(
    bank: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    refresh = tokens_for(consumer)["refresh"]
    consumer.is_active = False
    consumer.save(update_fields=["is_active"])

    response = post_json(Client(HTTP_HOST=bank.host), REFRESH_URL, {"refresh": refresh})

    assert response.status_code == 401


def test_access_token_of_a_deactivated_user_is_refused(
    bank: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    access = tokens_for(consumer)["access"]
    consumer.is_active = False
    consumer.save(update_fields=["is_active"])

    response = bearer_client(bank, access).get(COMPLAINTS_URL)

    assert response.status_code == 401


def test_refresh_for_a_deleted_user_is_refused(
    bank: Tenant, make_user: Callable[..., User], tokens_for: Callable[..., dict[str, str]]
) -> None:
    leaver = make_user()
    refresh = tokens_for(leaver)["refresh"]
    leaver.delete()

    response = post_json(Client(HTTP_HOST=bank.host), REFRESH_URL, {"refresh": refresh})

    assert response.status_code == 401
    assert "detail" in response.json()


def test_session_sign_in_is_not_accepted_by_the_api(consumer_client: Client) -> None:
    """The API takes bearer tokens only, so a browser session (and CSRF) never reaches it."""
    response = consumer_client.get(COMPLAINTS_URL)

    assert response.status_code == 401


# --- the second factor at the API's edge ---------------------------------------------------


def test_a_staff_token_without_the_second_factor_stops_working_when_the_policy_requires_it(
    bank: Tenant, make_user: Callable[..., User]
) -> None:
    settings_row = TenantSettings.editable()
    settings_row.frontline_two_factor_required = False
    settings_row.save()
    make_user(Role.AGENT, "nina@example.com", second_factor=False)
    issued = request_tokens(bank, "nina@example.com").json()
    api = bearer_client(bank, issued["access"])
    assert api.get("/api/v1/complaints/").status_code == 200

    settings_row = TenantSettings.editable()
    settings_row.frontline_two_factor_required = True
    settings_row.save()
    refused = api.get("/api/v1/complaints/")

    assert refused.status_code == 401
    assert "second factor" in refused.json()["detail"]


def test_a_consumer_token_needs_no_second_factor(bank: Tenant, consumer: User) -> None:
    issued = request_tokens(bank, consumer.email).json()

    assert bearer_client(bank, issued["access"]).get("/api/v1/complaints/").status_code == 200
