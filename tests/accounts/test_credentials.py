"""Every credential follows the account's state.

For each account event and each credential kind (browser session, API access token, API refresh
token, e-mailed password-reset link in flight), the credential works before the event and
stops working after it, on its own tenant's host; and it never works on another tenant's host.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import connection
from django.test import Client
from django.utils.http import int_to_base36

from accounts.models import IssuedRefreshToken, Role, User
from accounts.services import (
    change_role,
    close_account,
    reset_second_factor,
    set_staff_active,
    sign_out_everywhere,
)
from accounts.tokens import TenantPasswordResetTokenGenerator
from audit.models import AuditEvent
from tenancy.models import Tenant
from tests.api.conftest import COMPLAINTS_URL, REFRESH_URL, bearer_client, post_json
from tests.conftest import (
    PASSWORD,
    credential_on,
    current_code,
    neighbour,
    sign_in,
    tenant_client,
)

RESET_KEY = "/accounts/password/reset/key/"


def change_password(user: User, admin: User) -> None:
    user.set_password("a-brand-new-passphrase-42")
    user.save()


def deactivate(user: User, admin: User) -> None:
    set_staff_active(user, False, actor=admin)


def promote(user: User, admin: User) -> None:
    change_role(user, Role.MANAGER, actor=admin)


def remove_second_factor(user: User, admin: User) -> None:
    reset_second_factor(user, actor=admin)


def close(user: User, admin: User) -> None:
    close_account(user, actor=user)


def everywhere(user: User, admin: User) -> None:
    sign_out_everywhere(user, actor=user)


def suspend_tenant(user: User, admin: User) -> None:
    tenant = connection.tenant
    Tenant.objects.filter(pk=tenant.pk).update(status=Tenant.Status.SUSPENDED)
    from django.core.cache import cache

    cache.clear()


STAFF_EVENTS = [change_password, deactivate, promote, remove_second_factor, everywhere]
CONSUMER_EVENTS = [change_password, close, everywhere]
EVENTS = [("agent", event) for event in [*STAFF_EVENTS, suspend_tenant]] + [
    ("consumer", event) for event in [*CONSUMER_EVENTS, suspend_tenant]
]
EVENT_IDS = [f"{who}-{event.__name__}" for who, event in EVENTS]


@dataclass
class Credentials:
    """One of each credential kind, all held by one account of the bank."""

    user: User
    session: Client
    access: str
    refresh: str
    reset_path: str
    page: str

    def session_works(self, tenant: Tenant) -> bool:
        return credential_on(self.session, tenant).get(self.page).status_code == 200

    def access_works(self, tenant: Tenant) -> bool:
        return bearer_client(tenant, self.access).get(COMPLAINTS_URL).status_code == 200

    def refresh_works(self, tenant: Tenant) -> bool:
        response = post_json(Client(HTTP_HOST=tenant.host), REFRESH_URL, {"refresh": self.refresh})
        if response.status_code == 200:
            # The presented token is used up; keep the new one, as an integration would.
            self.refresh = response.json()["refresh"]
            return True
        return False

    def reset_link_works(self, tenant: Tenant) -> bool:
        response = tenant_client(tenant).get(self.reset_path, follow=True)
        return response.status_code == 200 and not response.context.get("token_fail", False)


@pytest.fixture
def holder(
    bank: Tenant, request: pytest.FixtureRequest, tenant_admin: User
) -> Callable[[str], Credentials]:
    def make(who: str) -> Credentials:
        user: User = request.getfixturevalue(who)
        otp = current_code() if user.is_staff_member else None
        body = {"email": user.email, "password": PASSWORD}
        if otp:
            body["otp"] = otp
        response = post_json(Client(HTTP_HOST=bank.host), "/api/v1/auth/token/", body)
        connection.set_tenant(bank)
        assert response.status_code == 200, response.content
        session = sign_in(tenant_client(bank), user)
        # Signing in voids older reset links, so the link in flight is made after it.
        user.refresh_from_db()
        reset_key = (
            f"{int_to_base36(user.pk)}-{TenantPasswordResetTokenGenerator().make_token(user)}"
        )
        return Credentials(
            user=user,
            session=session,
            access=response.json()["access"],
            refresh=response.json()["refresh"],
            reset_path=f"{RESET_KEY}{reset_key}/",
            page="/console/" if user.is_staff_member else "/complaints/",
        )

    return make


KINDS = ["session", "access", "refresh", "reset_link"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(("who", "event"), EVENTS, ids=EVENT_IDS)
def test_account_event_ends_the_credential(
    bank: Tenant,
    tenant_admin: User,
    holder: Callable[[str], Credentials],
    who: str,
    event: Callable[[User, User], None],
    kind: str,
) -> None:
    held = holder(who)
    works: Callable[[Tenant], bool] = getattr(held, f"{kind}_works")
    assert works(bank), "the credential works before the event"
    connection.set_tenant(bank)

    event(held.user, tenant_admin)

    assert not works(bank)
    assert not works(neighbour())


@pytest.mark.parametrize("kind", KINDS)
def test_a_bank_credential_never_works_on_the_telco_host(
    bank: Tenant, holder: Callable[[str], Credentials], outsider: User, kind: str
) -> None:
    """Telco has an identical account (the outsider twin); only the tenant binding refuses."""
    held = holder("consumer")

    works: Callable[[Tenant], bool] = getattr(held, f"{kind}_works")
    assert not works(neighbour())
    connection.set_tenant(bank)
    assert works(bank)


def test_unverified_consumer_gets_no_token(bank: Tenant) -> None:
    """Fault 1: a sign-up whose address was never confirmed gets nothing from the API."""
    user = User.objects.create_user("victim@example.com", PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)

    response = post_json(
        Client(HTTP_HOST=bank.host),
        "/api/v1/auth/token/",
        {"email": user.email, "password": PASSWORD},
    )

    assert response.status_code == 401
    assert "Confirm your e-mail address" in response.json()["detail"]
    connection.set_tenant(bank)
    assert not IssuedRefreshToken.objects.filter(user=user).exists()


def test_refresh_token_rotates_and_a_reused_one_revokes_the_family(
    bank: Tenant, holder: Callable[[str], Credentials]
) -> None:
    held = holder("consumer")
    first = held.refresh
    assert held.refresh_works(bank)
    second = held.refresh

    stolen = post_json(Client(HTTP_HOST=bank.host), REFRESH_URL, {"refresh": first})

    assert stolen.status_code == 401
    assert "already used" in stolen.json()["detail"]
    connection.set_tenant(bank)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.REFRESH_TOKEN_REUSED).exists()
    legit = post_json(Client(HTTP_HOST=bank.host), REFRESH_URL, {"refresh": second})
    assert legit.status_code == 401


def test_refresh_records_where_and_when(bank: Tenant, holder: Callable[[str], Credentials]) -> None:
    held = holder("consumer")
    assert held.refresh_works(bank)
    connection.set_tenant(bank)

    used, current = IssuedRefreshToken.objects.filter(user=held.user).order_by("created_at", "id")

    assert used.rotated_at is not None and used.last_used_at is not None
    assert used.family == current.family
    assert current.ip_address == "127.0.0.1"
    assert current.rotated_at is None and current.revoked_at is None


def test_django_reset_tokens_of_the_same_account_state_still_validate(consumer: User) -> None:
    """The version is part of the hash: a token made before a bump is refused after it."""
    generator = TenantPasswordResetTokenGenerator()
    token = generator.make_token(consumer)
    assert generator.check_token(consumer, token)
    sign_out_everywhere(consumer, actor=consumer)
    assert not generator.check_token(consumer, token)
    assert not PasswordResetTokenGenerator().check_token(consumer, token)
