"""Consumer sign-up with e-mail verification; staff never sign themselves up."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode, urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.models import Role, User
from audit.models import AuditEvent
from complaints.models import Complaint
from tenancy.models import Tenant, canonical_url
from tests.accounts.conftest import mailed_host, mailed_path
from tests.conftest import PASSWORD, deliver_outbox, tenant_client

SIGNUP = "/accounts/signup/"
NEW_ACCOUNT = {
    "full_name": "Nova Person",
    "email": "new.person@example.com",
    "password1": PASSWORD,
    "password2": PASSWORD,
}


def test_sign_up_creates_an_unconfirmed_consumer_and_mails_a_confirmation_link(
    anonymous_client: Client, bank: Tenant, audit_actions: Callable[..., list[str]]
) -> None:
    response = anonymous_client.post(SIGNUP, NEW_ACCOUNT)
    mailoutbox = deliver_outbox(bank)

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    user = User.objects.get(email="new.person@example.com")
    assert user.role == Role.CONSUMER
    assert not user.is_staff_member
    assert user.check_password(PASSWORD)
    assert not EmailAddress.objects.get(user=user).verified
    assert "_auth_user_id" not in anonymous_client.session
    assert [message.to for message in mailoutbox] == [["new.person@example.com"]]
    assert mailed_host(mailoutbox[0], "/accounts/confirm-email/") == "bank.localhost"
    assert mailoutbox[0].from_email == f"Northwind Bank <{settings.DEFAULT_FROM_EMAIL}>"
    assert mailoutbox[0].body.startswith("Hello from Northwind Bank!")
    assert audit_actions("new.person@example.com") == [AuditEvent.Action.SIGNED_UP]


def test_following_the_confirmation_link_verifies_the_address_and_signs_in(
    anonymous_client: Client, bank: Tenant
) -> None:
    anonymous_client.post(SIGNUP, NEW_ACCOUNT)
    link = mailed_path(deliver_outbox(bank)[0], "/accounts/confirm-email/")

    page = anonymous_client.get(link)
    response = anonymous_client.post(link)

    assert page.status_code == 200
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.com")
    assert EmailAddress.objects.get(user=user).verified
    assert anonymous_client.session["_auth_user_id"] == str(user.pk)
    assert anonymous_client.get("/complaints/").status_code == 200


def test_confirmed_consumer_signs_in_from_another_browser(
    anonymous_client: Client, bank: Tenant
) -> None:
    anonymous_client.post(SIGNUP, NEW_ACCOUNT)
    anonymous_client.post(mailed_path(deliver_outbox(bank)[0], "/accounts/confirm-email/"))
    other_browser = tenant_client(bank)

    response = other_browser.post(
        "/accounts/login/", {"login": "new.person@example.com", "password": PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_confirming_in_another_browser_sends_sign_in_home_not_back_to_the_used_link(
    anonymous_client: Client, bank: Tenant
) -> None:
    anonymous_client.post(SIGNUP, NEW_ACCOUNT)
    link = mailed_path(deliver_outbox(bank)[0], "/accounts/confirm-email/")
    other_browser = tenant_client(bank)
    other_browser.get(link)

    confirmed = other_browser.post(link, HTTP_REFERER=f"http://{bank.host}{link}")
    sign_in_page = other_browser.get(confirmed["Location"])
    signed_in = other_browser.post(
        confirmed["Location"], {"login": "new.person@example.com", "password": PASSWORD}
    )

    assert confirmed.status_code == 302
    assert confirmed["Location"] == "/accounts/login/"
    assert "confirm-email" not in sign_in_page.content.decode()
    assert signed_in["Location"] == "/"
    assert other_browser.get("/")["Location"] == "/complaints/"


def test_sign_in_ignores_a_next_that_names_a_one_time_link_or_a_post_only_action(
    anonymous_client: Client, bank: Tenant, consumer: User, complaint: Complaint
) -> None:
    refused = [
        "/accounts/confirm-email/abc123/",
        "/accounts/password/reset/key/1-set-password/",
        "/invitations/some-token/",
        f"/complaints/{complaint.reference}/reply/",
        "/accounts/logout/",
    ]
    for page in refused:
        client = tenant_client(bank)
        response = client.post(
            f"/accounts/login/?{urlencode({'next': page})}",
            {"login": consumer.email, "password": PASSWORD, "next": page},
        )
        assert response.status_code == 302, page
        assert response["Location"] == "/", page

    kept = anonymous_client.post(
        "/accounts/login/",
        {
            "login": consumer.email,
            "password": PASSWORD,
            "next": f"/complaints/{complaint.reference}/",
        },
    )
    assert kept["Location"] == f"/complaints/{complaint.reference}/"


def test_bank_confirmation_link_confirms_nothing_on_telco(
    anonymous_client: Client,
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> None:
    anonymous_client.post(SIGNUP, NEW_ACCOUNT)
    link = mailed_path(deliver_outbox(bank)[0], "/accounts/confirm-email/")
    telco_client = tenant_client(telco)

    response = telco_client.post(link)

    assert response.status_code == 404
    assert "_auth_user_id" not in telco_client.session
    activate(bank)
    assert not EmailAddress.objects.get(email="new.person@example.com").verified


def test_sign_up_cannot_choose_a_staff_role(anonymous_client: Client) -> None:
    anonymous_client.post(SIGNUP, {**NEW_ACCOUNT, "role": Role.ADMIN})

    user = User.objects.get(email="new.person@example.com")
    assert user.role == Role.CONSUMER
    assert not user.is_staff_member


def test_sign_up_with_an_address_already_registered_creates_no_second_account(
    anonymous_client: Client, consumer: User
) -> None:
    anonymous_client.post(SIGNUP, {**NEW_ACCOUNT, "email": "casey@example.com"})

    assert User.objects.filter(email="casey@example.com").count() == 1
    assert User.objects.get(email="casey@example.com").check_password(PASSWORD)


def test_same_address_can_sign_up_at_two_tenants_as_two_accounts(
    anonymous_client: Client,
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> None:
    anonymous_client.post(SIGNUP, NEW_ACCOUNT)
    telco_client = tenant_client(telco)

    response = telco_client.post(SIGNUP, NEW_ACCOUNT)

    assert response.status_code == 302
    [telco_mail] = deliver_outbox(telco)
    assert mailed_host(telco_mail, "/accounts/confirm-email/") == "telco.localhost"
    assert telco_mail.from_email.startswith("Contoso Telecom <")
    activate(telco)
    assert User.objects.filter(email="new.person@example.com", role=Role.CONSUMER).exists()
    activate(bank)
    assert User.objects.filter(email="new.person@example.com").count() == 1


def test_mismatched_passwords_create_no_account(anonymous_client: Client) -> None:
    response = anonymous_client.post(SIGNUP, {**NEW_ACCOUNT, "password2": "something-else-1"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.filter(email="new.person@example.com").exists()


def test_weak_password_creates_no_account(anonymous_client: Client) -> None:
    response = anonymous_client.post(
        SIGNUP,
        {"email": "new.person@example.com", "password1": "password", "password2": "password"},
    )

    assert response.status_code == 200
    assert "password1" in response.context["form"].errors
    assert not User.objects.filter(email="new.person@example.com").exists()


def test_sign_up_is_closed_on_the_platform_host(public_tenant: Tenant, mailoutbox: list) -> None:
    client = Client(HTTP_HOST="localhost")

    page = client.get(SIGNUP)
    response = client.post(SIGNUP, NEW_ACCOUNT)

    assert b"closed" in page.content.lower()
    assert b"closed" in response.content.lower()
    assert b'name="password1"' not in page.content
    connection.set_schema_to_public()
    assert not User.objects.filter(email="new.person@example.com").exists()
    assert mailoutbox == []


def test_links_are_rooted_at_the_current_tenant_whatever_host_they_were_built_on(
    bank: Tenant, telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    activate(bank)
    at_bank = canonical_url("/accounts/login/")
    activate(telco)
    at_telco = canonical_url("http://bank.localhost:9999/accounts/login/")

    assert urlsplit(at_bank).hostname == "bank.localhost"
    assert urlsplit(at_telco).hostname == "telco.localhost"
    assert at_telco == f"{telco.base_url}/accounts/login/"
