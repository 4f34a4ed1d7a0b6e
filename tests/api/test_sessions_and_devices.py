"""The "sessions and devices" page and API: list where an account is signed in, revoke one or all;
administrators do the same for staff."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import IssuedRefreshToken, SignedInSession, User
from tenancy.models import Tenant
from tests.api.conftest import COMPLAINTS_URL, REFRESH_URL, bearer_client, post_json
from tests.conftest import PASSWORD, sign_in, tenant_client

PAGE = "/account/sessions/"
API = "/api/v1/auth/credentials/"


def signed_in(client: Client) -> bool:
    return client.get("/complaints/").status_code == 200


def test_the_page_lists_each_session_and_token_with_where_and_when(
    bank: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    tokens_for(consumer)
    laptop = Client(HTTP_HOST=bank.host, HTTP_USER_AGENT="Laptop browser")
    phone = Client(HTTP_HOST=bank.host, HTTP_USER_AGENT="Phone browser")
    for browser in (laptop, phone):
        browser.post("/accounts/login/", {"login": consumer.email, "password": PASSWORD})

    page = laptop.get(PAGE).content.decode()

    assert "Laptop browser" in page and "Phone browser" in page
    assert "(this browser)" in page
    assert page.count('value="refresh"') == 1


def test_revoking_one_session_signs_out_that_browser_only(bank: Tenant, consumer: User) -> None:
    laptop = sign_in(tenant_client(bank), consumer)
    phone = sign_in(tenant_client(bank), consumer)
    phone_session = SignedInSession.objects.get(session_key=phone.session.session_key)

    laptop.post(PAGE, {"action": "session", "id": phone_session.pk})

    assert not signed_in(phone)
    assert signed_in(laptop)


def test_sign_out_everywhere_ends_every_session_and_token(
    bank: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    tokens = tokens_for(consumer)
    laptop = sign_in(tenant_client(bank), consumer)
    phone = sign_in(tenant_client(bank), consumer)

    laptop.post(PAGE, {"action": "everywhere"})

    assert not signed_in(laptop) and not signed_in(phone)
    assert bearer_client(bank, tokens["access"]).get(COMPLAINTS_URL).status_code == 401


def test_nobody_revokes_another_persons_session(
    bank: Tenant, consumer: User, other_consumer: User
) -> None:
    victim = sign_in(tenant_client(bank), other_consumer)
    victim_session = SignedInSession.objects.get(session_key=victim.session.session_key)
    attacker = sign_in(tenant_client(bank), consumer)

    attacker.post(PAGE, {"action": "session", "id": victim_session.pk})

    assert signed_in(victim)


def test_the_api_lists_and_revokes_refresh_tokens(
    bank: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    tokens = tokens_for(consumer)
    api = bearer_client(bank, tokens["access"])

    listed = api.get(API).json()
    (token,) = listed["refresh_tokens"]
    assert token["ip_address"] == "127.0.0.1"

    assert api.delete(f"{API}refresh-tokens/{token['id']}/").status_code == 204
    refused = post_json(Client(HTTP_HOST=bank.host), REFRESH_URL, {"refresh": tokens["refresh"]})
    assert refused.status_code == 401


def test_the_api_refuses_to_revoke_another_persons_token(
    bank: Tenant,
    consumer: User,
    other_consumer: User,
    tokens_for: Callable[..., dict[str, str]],
) -> None:
    victim_tokens = tokens_for(other_consumer)
    connection.set_tenant(bank)
    victim_token = IssuedRefreshToken.objects.get(user=other_consumer)
    api = bearer_client(bank, tokens_for(consumer)["access"])

    assert api.delete(f"{API}refresh-tokens/{victim_token.pk}/").status_code == 404
    still = post_json(
        Client(HTTP_HOST=bank.host), REFRESH_URL, {"refresh": victim_tokens["refresh"]}
    )
    assert still.status_code == 200


def test_the_api_sign_out_everywhere_ends_the_calling_token_too(
    bank: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    api = bearer_client(bank, tokens_for(consumer)["access"])

    assert api.delete(API).status_code == 204
    assert api.get(API).status_code == 401


def test_a_telco_token_lists_nothing_on_the_bank(
    bank: Tenant, outsider_on_bank: Client, consumer: User
) -> None:
    assert outsider_on_bank.get(API).status_code == 401


def test_an_admin_signs_a_staff_member_out_everywhere(
    bank: Tenant,
    agent: User,
    admin_client: Client,
    tokens_for: Callable[..., dict[str, str]],
) -> None:
    tokens = tokens_for(agent)
    agent_browser = sign_in(tenant_client(bank), agent)

    response = admin_client.post(f"/settings/staff/{agent.pk}/security/sign-out/")

    assert response.status_code == 302
    assert agent_browser.get("/console/").status_code == 302
    assert bearer_client(bank, tokens["access"]).get(COMPLAINTS_URL).status_code == 401


def test_an_admin_resets_a_lost_second_factor(
    bank: Tenant, agent: User, admin_client: Client
) -> None:
    agent_browser = sign_in(tenant_client(bank), agent)

    admin_client.post(f"/settings/staff/{agent.pk}/security/reset-second-factor/")

    assert not TOTPDevice.objects.filter(user=agent).exists()
    assert agent_browser.get("/console/").status_code == 302


def test_staff_cannot_revoke_a_colleagues_sessions(
    bank: Tenant, agent: User, manager: User, agent_client: Client
) -> None:
    manager_browser = sign_in(tenant_client(bank), manager)

    response = agent_client.post(f"/settings/staff/{manager.pk}/security/sign-out/")

    assert response.status_code == 403
    assert manager_browser.get("/console/").status_code == 200


def test_changing_the_password_keeps_this_browser_and_ends_the_others(
    bank: Tenant, consumer: User
) -> None:
    laptop = Client(HTTP_HOST=bank.host, HTTP_USER_AGENT="Laptop browser")
    laptop.post("/accounts/login/", {"login": consumer.email, "password": PASSWORD})
    phone = sign_in(tenant_client(bank), consumer)
    new = "a-brand-new-passphrase-42"

    laptop.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new, "password2": new},
    )

    assert signed_in(laptop)
    assert not signed_in(phone)
    page = laptop.get(PAGE).content.decode()
    assert "(this browser)" in page
