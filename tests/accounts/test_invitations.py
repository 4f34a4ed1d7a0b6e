"""Staff invitations: single-use, expiring links bound to the inviting tenant."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.utils import timezone

from accounts.models import Invitation, Role, User
from accounts.services import AccountError, accept_invitation, find_invitation, invite_staff
from audit.models import AuditEvent
from tenancy.models import Tenant
from tests.accounts.conftest import mailed_host, mailed_path
from tests.conftest import PASSWORD, create_user, tenant_client

INVITEE = "new.manager@example.com"
ACCEPT = {"full_name": "Nia Newcomer", "password1": PASSWORD, "password2": PASSWORD}


@pytest.fixture
def invitation_token(tenant_admin: User) -> str:
    """The link token of a pending bank invitation for a manager."""
    _, token = invite_staff(INVITEE, Role.MANAGER, actor=tenant_admin)
    return token


def link(token: str) -> str:
    return f"/invitations/{token}/"


# --- Inviting ------------------------------------------------------------------------------


def test_inviting_staff_mails_a_link_to_this_tenant_and_is_audited(
    tenant_admin: User,
    mailoutbox: list,
    django_capture_on_commit_callbacks: Callable,
    audit_actions: Callable[..., list[str]],
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = invite_staff(" New.Manager@Example.COM ", "manager", actor=tenant_admin)

    assert invitation.email == INVITEE
    assert invitation.role == Role.MANAGER
    assert invitation.invited_by == tenant_admin
    assert invitation.is_usable
    assert invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)
    # Only a hash of the token is stored, so a database reader cannot use the link.
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in invitation.token_hash
    assert [message.to for message in mailoutbox] == [[INVITEE]]
    assert mailed_host(mailoutbox[0], "/invitations/") == "bank.localhost"
    assert mailed_path(mailoutbox[0], "/invitations/") == link(token)
    assert "Manager" in mailoutbox[0].body
    event = AuditEvent.objects.get(action=AuditEvent.Action.STAFF_INVITED)
    assert (event.actor_email, event.target, event.detail) == (
        "avery@example.com",
        INVITEE,
        {"role": "manager"},
    )


def test_invitation_mail_waits_for_the_transaction_to_commit(
    tenant_admin: User, mailoutbox: list, django_capture_on_commit_callbacks: Callable
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invite_staff(INVITEE, Role.AGENT, actor=tenant_admin)

    assert len(callbacks) == 1
    assert mailoutbox == []


@pytest.mark.parametrize("email", ["avery@example.com", "AVERY@example.com"])
def test_inviting_an_address_that_already_has_an_account_is_refused(
    tenant_admin: User, email: str
) -> None:
    with pytest.raises(AccountError, match="already has an account"):
        invite_staff(email, Role.AGENT, actor=tenant_admin)

    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.STAFF_INVITED).exists()


def test_inviting_an_address_confirmed_on_another_account_is_refused(
    tenant_admin: User, consumer: User
) -> None:
    EmailAddress.objects.create(user=consumer, email=INVITEE, verified=True, primary=False)

    with pytest.raises(AccountError, match="already has an account"):
        invite_staff(INVITEE, Role.AGENT, actor=tenant_admin)

    assert not Invitation.objects.exists()


def test_inviting_a_consumers_address_is_refused(tenant_admin: User, consumer: User) -> None:
    with pytest.raises(AccountError):
        invite_staff("casey@example.com", Role.AGENT, actor=tenant_admin)

    assert not Invitation.objects.exists()


@pytest.mark.parametrize("role", [Role.CONSUMER, Role.OPERATOR, "superuser"])
def test_inviting_to_a_role_that_is_not_tenant_staff_is_refused(
    tenant_admin: User, role: str
) -> None:
    with pytest.raises(AccountError, match="not a staff role"):
        invite_staff(INVITEE, role, actor=tenant_admin)

    assert not Invitation.objects.exists()


def test_an_address_with_an_account_at_telco_can_be_invited_at_the_bank(
    tenant_admin: User, bank: Tenant, telco: Tenant, activate: Callable[[Tenant], Tenant]
) -> None:
    activate(telco)
    create_user(Role.CONSUMER, "robin@example.com")
    activate(bank)

    invitation, _ = invite_staff("robin@example.com", Role.AGENT, actor=tenant_admin)

    assert invitation.is_usable


def test_inviting_again_withdraws_the_earlier_link(
    anonymous_client: Client, tenant_admin: User, invitation_token: str
) -> None:
    _, newer_token = invite_staff(INVITEE, Role.AGENT, actor=tenant_admin)

    assert anonymous_client.get(link(invitation_token)).status_code == 404
    assert anonymous_client.get(link(newer_token)).status_code == 200
    assert find_invitation(invitation_token) is None
    assert Invitation.objects.pending().count() == 1


# --- Accepting -----------------------------------------------------------------------------


def test_invitation_page_shows_the_role_and_address(
    anonymous_client: Client, invitation_token: str
) -> None:
    response = anonymous_client.get(link(invitation_token))

    assert response.status_code == 200
    assert INVITEE.encode() in response.content
    assert b"Manager" in response.content


def test_accepting_creates_staff_with_the_invited_role_and_sends_them_to_enrolment(
    anonymous_client: Client, invitation_token: str, audit_actions: Callable[..., list[str]]
) -> None:
    response = anonymous_client.post(link(invitation_token), ACCEPT)

    assert response.status_code == 302
    assert response["Location"] == "/account/two-factor/setup/"
    user = User.objects.get(email=INVITEE)
    assert user.role == Role.MANAGER
    assert user.full_name == "Nia Newcomer"
    assert user.check_password(PASSWORD)
    assert EmailAddress.objects.get(user=user).verified
    assert anonymous_client.session["_auth_user_id"] == str(user.pk)
    assert Invitation.objects.get().accepted_at is not None
    assert AuditEvent.Action.INVITATION_ACCEPTED in audit_actions(INVITEE)
    # Signed in by password only: the console stays closed until the authenticator is set up.
    console = anonymous_client.get("/console/")
    assert console.status_code == 302
    assert console["Location"].startswith("/account/two-factor/setup/")


def test_invited_staff_can_later_sign_in_with_their_password(
    anonymous_client: Client, bank: Tenant, invitation_token: str
) -> None:
    anonymous_client.post(link(invitation_token), ACCEPT)
    browser = tenant_client(bank)

    response = browser.post("/accounts/login/", {"login": INVITEE, "password": PASSWORD})

    assert response.status_code == 302
    assert browser.session["_auth_user_id"] == str(User.objects.get(email=INVITEE).pk)


def test_invitation_link_is_single_use(
    anonymous_client: Client, bank: Tenant, invitation_token: str
) -> None:
    anonymous_client.post(link(invitation_token), ACCEPT)
    second_browser = tenant_client(bank)

    page = second_browser.get(link(invitation_token))
    response = second_browser.post(link(invitation_token), {**ACCEPT, "full_name": "Someone Else"})

    assert page.status_code == 404
    assert response.status_code == 404
    assert "_auth_user_id" not in second_browser.session
    assert User.objects.get(email=INVITEE).full_name == "Nia Newcomer"


def test_accepting_a_used_invitation_through_the_service_is_refused(
    invitation_token: str,
) -> None:
    invitation = Invitation.objects.get()
    accept_invitation(invitation, full_name="First", password=PASSWORD)

    with pytest.raises(AccountError, match="already been used"):
        accept_invitation(invitation, full_name="Second", password=PASSWORD)

    assert User.objects.get(email=INVITEE).full_name == "First"


def test_expired_invitation_is_refused(anonymous_client: Client, invitation_token: str) -> None:
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))

    page = anonymous_client.get(link(invitation_token))
    response = anonymous_client.post(link(invitation_token), ACCEPT)

    assert page.status_code == 404
    assert b"not valid" in page.content
    assert response.status_code == 404
    assert not User.objects.filter(email=INVITEE).exists()


def test_invitation_just_before_expiry_still_works(
    anonymous_client: Client, invitation_token: str
) -> None:
    Invitation.objects.update(expires_at=timezone.now() + timedelta(minutes=1))

    response = anonymous_client.post(link(invitation_token), ACCEPT)

    assert response.status_code == 302
    assert User.objects.filter(email=INVITEE, role=Role.MANAGER).exists()


def test_revoked_invitation_is_refused(anonymous_client: Client, invitation_token: str) -> None:
    Invitation.objects.update(revoked_at=timezone.now())

    assert anonymous_client.get(link(invitation_token)).status_code == 404


def test_unknown_invitation_token_is_a_404(anonymous_client: Client) -> None:
    assert anonymous_client.get(link("not-a-real-token")).status_code == 404


def test_bank_invitation_token_gives_404_on_telco(
    invitation_token: str,
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
) -> None:
    telco_client = tenant_client(telco)

    page = telco_client.get(link(invitation_token))
    response = telco_client.post(link(invitation_token), ACCEPT)

    assert page.status_code == 404
    assert response.status_code == 404
    activate(telco)
    assert not User.objects.filter(email=INVITEE).exists()
    activate(bank)
    assert not User.objects.filter(email=INVITEE).exists()
    assert Invitation.objects.get().is_usable


def test_mismatched_passwords_give_a_form_error_and_create_nothing(
    anonymous_client: Client, invitation_token: str
) -> None:
    response = anonymous_client.post(
        link(invitation_token), {**ACCEPT, "password2": "a-different-passphrase"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password2"] == ["The two passwords do not match."]
    assert not User.objects.filter(email=INVITEE).exists()
    assert Invitation.objects.get().is_usable


@pytest.mark.parametrize(
    "password",
    ["short1", "password123", "98765432101234", "new.manager.example"],
    ids=["too-short", "common", "numeric", "like-the-address"],
)
def test_weak_password_gives_a_form_error_and_creates_nothing(
    anonymous_client: Client, invitation_token: str, password: str
) -> None:
    response = anonymous_client.post(
        link(invitation_token), {**ACCEPT, "password1": password, "password2": password}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert not User.objects.filter(email=INVITEE).exists()
    assert Invitation.objects.get().is_usable


def test_missing_name_gives_a_form_error_and_creates_nothing(
    anonymous_client: Client, invitation_token: str
) -> None:
    response = anonymous_client.post(link(invitation_token), {**ACCEPT, "full_name": ""})

    assert response.status_code == 200
    assert "full_name" in response.context["form"].errors
    assert not User.objects.filter(email=INVITEE).exists()


def test_accepting_after_the_address_got_an_account_is_refused_and_creates_nothing(
    anonymous_client: Client, invitation_token: str
) -> None:
    create_user(Role.CONSUMER, INVITEE)

    response = anonymous_client.post(link(invitation_token), ACCEPT)

    assert response.status_code == 200
    assert "already has an account" in str(response.context["form"].non_field_errors())
    assert User.objects.get(email=INVITEE).role == Role.CONSUMER
    assert "_auth_user_id" not in anonymous_client.session
    assert Invitation.objects.get().accepted_at is None


def test_accepting_after_the_address_was_confirmed_on_another_account_is_a_form_error(
    anonymous_client: Client, consumer: User, invitation_token: str
) -> None:
    # The consumer signs in with every confirmed address, so the invitee cannot take it over.
    EmailAddress.objects.create(user=consumer, email=INVITEE, verified=True, primary=False)

    response = anonymous_client.post(link(invitation_token), ACCEPT)

    assert response.status_code == 200
    assert "already has an account" in str(response.context["form"].non_field_errors())
    assert not User.objects.filter(email=INVITEE).exists()
    assert Invitation.objects.get().accepted_at is None
