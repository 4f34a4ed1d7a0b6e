"""Staff: invitations from the settings page, roles, deactivation, and self-protection."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Invitation, Role, User
from audit.models import AuditEvent
from complaints.models import Complaint, Event, Status, Team
from outbox.models import Message
from tenancy.models import Tenant
from tests.accounts.conftest import mailed_host, mailed_path
from tests.conftest import PASSWORD, sign_in, tenant_client


def test_staff_list_shows_role_status_and_two_factor(
    admin_client: Client, agent: User, make_user: Callable[..., User]
) -> None:
    make_user(Role.SPECIALIST, "nofactor@example.com", second_factor=False)

    page = admin_client.get("/settings/staff/").content.decode()

    assert "alex@example.com" in page and "nofactor@example.com" in page
    assert "Enrolled" in page and "Not enrolled" in page
    assert "casey@example.com" not in page


def test_staff_list_queries_do_not_grow_with_staff(
    admin_client: Client,
    make_user: Callable[..., User],
    django_assert_max_num_queries: Callable,
) -> None:
    for _ in range(30):
        make_user(Role.AGENT)
    Invitation.objects.create(
        email="x@example.com",
        role=Role.AGENT,
        token_hash="x" * 64,
        expires_at="2999-01-01T00:00:00Z",
    )

    with django_assert_max_num_queries(10):
        assert admin_client.get("/settings/staff/").status_code == 200


def test_invitation_from_the_staff_page_opens_an_account_on_this_tenant_only(
    admin_client: Client,
    bank: Tenant,
    telco: Tenant,
    activate: Callable[[Tenant], Tenant],
    django_capture_on_commit_callbacks: Callable,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/settings/staff/", {"email": "New@Example.com", "role": "agent"}
        )

    assert response.status_code == 302
    (message,) = mail.outbox
    assert mailed_host(message, "/invitations/") == bank.host
    path = mailed_path(message, "/invitations/")
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.STAFF_INVITED, target="new@example.com"
    ).exists()
    assert tenant_client(telco).get(path).status_code == 404

    activate(bank)
    accepted = tenant_client(bank).post(
        path, {"full_name": "Nia New", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert accepted.status_code == 302
    assert User.objects.get(email="new@example.com").role == Role.AGENT
    assert tenant_client(bank).get(path).status_code == 404


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "not-an-address", "role": "agent"}, "valid email"),
        ({"email": "new@example.com", "role": "operator"}, "valid choice"),
        ({"email": "alex@example.com", "role": "agent"}, "already has an account"),
    ],
)
def test_bad_invitations_are_refused(
    admin_client: Client, agent: User, data: dict[str, str], message: str
) -> None:
    response = admin_client.post("/settings/staff/", data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Invitation.objects.exists()
    assert not mail.outbox


def test_resending_replaces_the_link_and_revoking_kills_it(
    admin_client: Client, bank: Tenant, django_capture_on_commit_callbacks: Callable
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/settings/staff/", {"email": "new@example.com", "role": "manager"})
    first = Invitation.objects.get()
    first_path = mailed_path(mail.outbox[0], "/invitations/")

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(f"/settings/invitations/{first.pk}/resend/")

    second = Invitation.objects.pending().get()
    assert second.pk != first.pk and second.role == Role.MANAGER
    assert tenant_client(bank).get(first_path).status_code == 404
    second_path = mailed_path(mail.outbox[1], "/invitations/")
    assert tenant_client(bank).get(second_path).status_code == 200

    admin_client.post(f"/settings/invitations/{second.pk}/revoke/")

    assert not Invitation.objects.pending().exists()
    assert tenant_client(bank).get(second_path).status_code == 404
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITATION_REVOKED).count() == 1
    # A revoked invitation cannot be revoked or resent again.
    assert admin_client.post(f"/settings/invitations/{second.pk}/resend/").status_code == 404


def test_admin_changes_a_role_with_audit(admin_client: Client, agent: User) -> None:
    response = admin_client.post(f"/settings/staff/{agent.pk}/", {"role": "manager"})

    assert response.status_code == 302
    agent.refresh_from_db()
    assert agent.role == Role.MANAGER
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ROLE_CHANGED).exists()


def test_an_admin_cannot_demote_or_deactivate_themselves(
    admin_client: Client, tenant_admin: User
) -> None:
    demoted = admin_client.post(f"/settings/staff/{tenant_admin.pk}/", {"role": "agent"})
    deactivated = admin_client.post(
        f"/settings/staff/{tenant_admin.pk}/active/", {"active": "0"}, follow=True
    )

    assert demoted.status_code == 400
    assert "your own administrator role" in demoted.content.decode()
    assert "cannot deactivate your own account" in deactivated.content.decode()
    tenant_admin.refresh_from_db()
    assert tenant_admin.role == Role.ADMIN and tenant_admin.is_active


def test_consumers_are_not_managed_as_staff(admin_client: Client, consumer: User) -> None:
    assert admin_client.get(f"/settings/staff/{consumer.pk}/").status_code == 404
    assert (
        admin_client.post(f"/settings/staff/{consumer.pk}/active/", {"active": "0"}).status_code
        == 404
    )


def test_a_deactivated_staff_member_is_signed_out_and_cannot_sign_in_again(
    admin_client: Client, bank: Tenant, agent: User
) -> None:
    agent_client = sign_in(tenant_client(bank), agent)
    assert agent_client.get("/console/").status_code == 200

    admin_client.post(f"/settings/staff/{agent.pk}/active/", {"active": "0"})

    agent.refresh_from_db()
    assert not agent.is_active
    assert agent_client.get("/console/").status_code == 302
    login = tenant_client(bank).post(
        "/accounts/login/", {"login": agent.email, "password": PASSWORD}
    )
    assert "_auth_user_id" not in login.client.session
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.STAFF_DEACTIVATED, target=agent.email
    ).exists()

    admin_client.post(f"/settings/staff/{agent.pk}/active/", {"active": "1"})
    agent.refresh_from_db()
    assert agent.is_active


def test_deactivating_an_agent_returns_their_open_work_and_tells_the_manager(
    admin_client: Client,
    agent: User,
    manager: User,
    make_complaint: Callable[..., Complaint],
    front_line: Team,
) -> None:
    front_line.manager = manager
    front_line.save(update_fields=["manager"])
    held = make_complaint(subject="Held by the agent")
    referred = make_complaint(subject="With the specialist")
    closed = make_complaint(subject="Already closed")
    Complaint.objects.filter(pk__in=[held.pk, closed.pk]).update(team=front_line, assignee=agent)
    Complaint.objects.filter(pk=closed.pk).update(status=Status.CLOSED)
    Complaint.objects.filter(pk=referred.pk).update(team=front_line, specialist=agent)

    response = admin_client.post(
        f"/settings/staff/{agent.pk}/active/", {"active": "0"}, follow=True
    )

    assert "2 open complaints went back to the queue" in response.content.decode()
    assert Complaint.objects.get(pk=held.pk).assignee_id is None
    assert Complaint.objects.get(pk=referred.pk).specialist_id is None
    assert Complaint.objects.get(pk=closed.pk).assignee_id == agent.pk  # a record, untouched
    for complaint in (held, referred):
        (event,) = complaint.events.filter(kind=Event.Kind.ASSIGNED)
        assert event.is_internal and "was deactivated" in event.body
    told = Message.objects.filter(recipient=manager.email, subject__contains="back in the queue")
    assert told.count() == 2


def test_a_later_page_of_staff_links_back_to_the_first(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    for _ in range(55):
        make_user(Role.AGENT)
    first = admin_client.get("/settings/staff/").content.decode()
    assert "First page" not in first
    link = first.split('">Next page</a>')[0].rsplit('href="', 1)[1].replace("&amp;", "&")

    second = admin_client.get(f"/settings/staff/{link}").content.decode()

    assert '<a href="?q=">First page</a>' in second
