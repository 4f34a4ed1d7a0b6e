"""Password reset by e-mailed link; the link is bound to the tenant that sent it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.test import Client

from accounts.models import User
from accounts.tokens import TenantPasswordResetTokenGenerator
from audit.models import AuditEvent
from tenancy.models import Tenant
from tests.accounts.conftest import mailed_host, mailed_path
from tests.conftest import PASSWORD, deliver_outbox, tenant_client

NEW_PASSWORD = "a-brand-new-passphrase-42"
RESET_KEY = "/accounts/password/reset/key/"


@pytest.fixture
def reset_link(anonymous_client: Client, bank: Tenant, consumer: User) -> str:
    """The path of the reset link the bank mailed to its consumer."""
    response = anonymous_client.post("/accounts/password/reset/", {"email": "casey@example.com"})
    assert response.status_code == 302
    mailoutbox = deliver_outbox(bank)
    assert [message.to for message in mailoutbox] == [["casey@example.com"]]
    assert mailed_host(mailoutbox[0], RESET_KEY) == "bank.localhost"
    return mailed_path(mailoutbox[0], RESET_KEY)


def set_new_password(client: Client, link: str) -> None:
    """Follow a reset link like a browser and submit a new password on the page it leads to."""
    response = client.get(link, follow=True)
    client.post(
        response.redirect_chain[-1][0] if response.redirect_chain else link,
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


def test_reset_link_from_the_bank_sets_a_new_password(
    anonymous_client: Client,
    consumer: User,
    reset_link: str,
    audit_actions: Callable[..., list[str]],
) -> None:
    page = anonymous_client.get(reset_link, follow=True)
    response = anonymous_client.post(
        page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert page.status_code == 200
    assert not page.context.get("token_fail")
    assert response.status_code == 302
    consumer.refresh_from_db()
    assert consumer.check_password(NEW_PASSWORD)
    assert AuditEvent.Action.PASSWORD_RESET in audit_actions("casey@example.com")


def test_resetting_the_password_signs_out_other_sessions(
    consumer_client: Client, anonymous_client: Client, consumer: User, reset_link: str
) -> None:
    # consumer_client signed in before the reset was requested (signing in voids reset links).
    assert consumer_client.get("/complaints/").status_code == 200

    set_new_password(anonymous_client, reset_link)

    consumer.refresh_from_db()
    assert consumer.check_password(NEW_PASSWORD)
    response = consumer_client.get("/complaints/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_reset_link_works_only_once(
    anonymous_client: Client, bank: Tenant, consumer: User, reset_link: str
) -> None:
    set_new_password(anonymous_client, reset_link)
    consumer.refresh_from_db()
    assert consumer.check_password(NEW_PASSWORD)

    second_visit = tenant_client(bank).get(reset_link, follow=True)

    assert second_visit.context["token_fail"]


def test_reset_link_path_gives_nothing_on_telco_even_for_an_identical_account(
    reset_link: str,
    consumer: User,
    telco_twin: User,
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> None:
    telco_client = tenant_client(telco)

    page = telco_client.get(reset_link, follow=True)
    set_new_password(telco_client, reset_link)

    assert page.status_code == 200
    assert page.context["token_fail"]
    activate(telco)
    telco_twin.refresh_from_db()
    assert telco_twin.check_password(PASSWORD)
    activate(bank)
    consumer.refresh_from_db()
    assert consumer.check_password(PASSWORD)


def test_reset_token_made_in_one_schema_does_not_validate_in_another(
    consumer: User, bank: Tenant, telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    activate(bank)
    tenant_bound = TenantPasswordResetTokenGenerator()
    unbound = PasswordResetTokenGenerator()
    token = tenant_bound.make_token(consumer)
    unbound_token = unbound.make_token(consumer)

    activate(telco)

    assert not tenant_bound.check_token(consumer, token)
    # The same user object passes Django's own generator, so the schema is what differs.
    assert unbound.check_token(consumer, unbound_token)


def test_reset_token_validates_in_the_schema_that_made_it(consumer: User) -> None:
    generator = TenantPasswordResetTokenGenerator()

    assert generator.check_token(consumer, generator.make_token(consumer))
