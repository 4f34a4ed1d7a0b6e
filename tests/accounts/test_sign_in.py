"""Sign-in and sign-out through allauth, its rate limits and the tenant binding of sessions."""

from __future__ import annotations

from collections.abc import Callable

from allauth.account.models import EmailAddress
from django.test import Client

from accounts.models import Role, User
from audit.models import AuditEvent
from tenancy.models import Tenant
from tests.conftest import PASSWORD, create_user, deliver_outbox, tenant_client

LOGIN = "/accounts/login/"


def signed_in_user_id(client: Client) -> str | None:
    return client.session.get("_auth_user_id")


def test_consumer_signs_in_with_email_and_password(
    anonymous_client: Client, consumer: User
) -> None:
    response = anonymous_client.post(LOGIN, {"login": "casey@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(anonymous_client) == str(consumer.pk)
    assert anonymous_client.get("/complaints/").status_code == 200


def test_sign_in_ignores_the_case_of_the_address(anonymous_client: Client, consumer: User) -> None:
    response = anonymous_client.post(LOGIN, {"login": "Casey@Example.COM", "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in_user_id(anonymous_client) == str(consumer.pk)


def test_successful_sign_in_writes_signed_in_with_the_client_address(
    anonymous_client: Client, consumer: User
) -> None:
    anonymous_client.post(
        LOGIN,
        {"login": "casey@example.com", "password": PASSWORD},
        HTTP_USER_AGENT="pytest-browser/1.0",
    )

    event = AuditEvent.objects.get(action=AuditEvent.Action.SIGNED_IN)
    assert event.actor_id == consumer.pk
    assert event.actor_email == "casey@example.com"
    assert event.ip_address == "127.0.0.1"
    assert event.user_agent == "pytest-browser/1.0"


def test_wrong_password_is_refused_with_an_error_and_audited(
    anonymous_client: Client, consumer: User, audit_actions: Callable[..., list[str]]
) -> None:
    response = anonymous_client.post(
        LOGIN, {"login": "casey@example.com", "password": "not-the-password"}
    )

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert b"not correct" in response.content
    assert signed_in_user_id(anonymous_client) is None
    assert audit_actions() == [AuditEvent.Action.SIGN_IN_FAILED]
    failed = AuditEvent.objects.get()
    assert failed.actor_email == "casey@example.com"
    assert failed.actor_id is None
    assert failed.ip_address == "127.0.0.1"


def test_unknown_address_is_refused_and_audited_with_the_attempted_address(
    anonymous_client: Client, audit_actions: Callable[..., list[str]]
) -> None:
    response = anonymous_client.post(LOGIN, {"login": "nobody@example.com", "password": PASSWORD})

    assert response.status_code == 200
    assert signed_in_user_id(anonymous_client) is None
    assert audit_actions("nobody@example.com") == [AuditEvent.Action.SIGN_IN_FAILED]


def test_consumer_with_unconfirmed_address_is_not_signed_in_until_they_confirm(
    anonymous_client: Client, bank: Tenant
) -> None:
    user = User.objects.create_user("new@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    response = anonymous_client.post(LOGIN, {"login": "new@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/confirm-email/"
    assert signed_in_user_id(anonymous_client) is None
    assert [message.to for message in deliver_outbox(bank)] == [["new@example.com"]]


def test_inactive_account_cannot_sign_in(anonymous_client: Client, consumer: User) -> None:
    consumer.is_active = False
    consumer.save(update_fields=["is_active"])

    anonymous_client.post(LOGIN, {"login": "casey@example.com", "password": PASSWORD})

    assert signed_in_user_id(anonymous_client) is None


def test_deactivating_an_account_ends_its_open_sessions(
    consumer_client: Client, consumer: User
) -> None:
    consumer.is_active = False
    consumer.save(update_fields=["is_active"])

    response = consumer_client.get("/complaints/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_bank_account_cannot_sign_in_on_telco(
    bank: Tenant, telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    activate(bank)
    create_user(Role.CONSUMER, "only-at-the-bank@example.com")
    client = tenant_client(telco)

    response = client.post(LOGIN, {"login": "only-at-the-bank@example.com", "password": PASSWORD})

    assert response.status_code == 200
    assert signed_in_user_id(client) is None
    activate(telco)
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.SIGN_IN_FAILED, actor_email="only-at-the-bank@example.com"
    ).exists()
    activate(bank)
    assert not AuditEvent.objects.exists()


def test_sign_out_ends_the_session_and_is_audited(
    consumer_client: Client, consumer: User, audit_actions: Callable[..., list[str]]
) -> None:
    response = consumer_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert signed_in_user_id(consumer_client) is None
    # The fixture's sign-in is recorded too.
    assert audit_actions("casey@example.com") == [
        AuditEvent.Action.SIGNED_IN,
        AuditEvent.Action.SIGNED_OUT,
    ]


def test_sign_out_by_get_does_not_sign_out(consumer_client: Client, consumer: User) -> None:
    consumer_client.get("/accounts/logout/")

    assert signed_in_user_id(consumer_client) == str(consumer.pk)


def test_bank_session_cookie_does_not_sign_anyone_in_on_telco(
    consumer_client: Client, telco_twin: User, telco: Tenant
) -> None:
    session_key = consumer_client.cookies["sessionid"].value
    assert consumer_client.get("/complaints/").status_code == 200
    telco_client = tenant_client(telco)
    telco_client.cookies["sessionid"] = session_key

    response = telco_client.get("/complaints/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert not response.wsgi_request.user.is_authenticated


def test_anonymous_htmx_request_redirects_the_whole_page_to_sign_in(
    anonymous_client: Client,
) -> None:
    response = anonymous_client.get("/complaints/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{LOGIN}?next=/complaints/"


def test_five_failures_lock_the_address_even_against_the_right_password(
    anonymous_client: Client, consumer: User
) -> None:
    for _ in range(5):
        anonymous_client.post(LOGIN, {"login": "casey@example.com", "password": "guess"})

    response = anonymous_client.post(LOGIN, {"login": "casey@example.com", "password": PASSWORD})

    assert response.status_code == 200
    assert b"Too many failed login attempts" in response.content
    assert signed_in_user_id(anonymous_client) is None


def test_four_failures_do_not_lock_the_address(anonymous_client: Client, consumer: User) -> None:
    for _ in range(4):
        anonymous_client.post(LOGIN, {"login": "casey@example.com", "password": "guess"})

    anonymous_client.post(LOGIN, {"login": "casey@example.com", "password": PASSWORD})

    assert signed_in_user_id(anonymous_client) == str(consumer.pk)


def test_ten_failures_from_one_address_lock_every_account_from_that_ip(
    anonymous_client: Client, consumer: User
) -> None:
    for attempt in range(10):
        anonymous_client.post(LOGIN, {"login": f"guess{attempt}@example.com", "password": "x"})

    response = anonymous_client.post(LOGIN, {"login": "casey@example.com", "password": PASSWORD})

    assert b"Too many failed login attempts" in response.content
    assert signed_in_user_id(anonymous_client) is None


def test_sign_in_posts_beyond_the_ip_limit_get_429(anonymous_client: Client) -> None:
    statuses = [
        anonymous_client.post(LOGIN, {"login": "nobody@example.com", "password": "x"}).status_code
        for _ in range(30)
    ]

    response = anonymous_client.post(LOGIN, {"login": "nobody@example.com", "password": "x"})

    assert set(statuses) == {200}
    assert response.status_code == 429


def test_locked_address_at_the_bank_can_still_sign_in_at_telco(
    anonymous_client: Client, consumer: User, outsider: User, telco: Tenant
) -> None:
    for _ in range(5):
        anonymous_client.post(LOGIN, {"login": "casey@example.com", "password": "guess"})
    telco_client = tenant_client(telco)

    response = telco_client.post(LOGIN, {"login": "casey@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in_user_id(telco_client) == str(outsider.pk)


def test_failures_counted_at_the_bank_do_not_count_against_the_same_ip_at_telco(
    anonymous_client: Client, outsider: User, telco: Tenant
) -> None:
    for attempt in range(10):
        anonymous_client.post(LOGIN, {"login": f"guess{attempt}@example.com", "password": "x"})
    telco_client = tenant_client(telco)

    response = telco_client.post(LOGIN, {"login": "casey@example.com", "password": PASSWORD})

    assert response.status_code == 302
    assert signed_in_user_id(telco_client) == str(outsider.pk)
