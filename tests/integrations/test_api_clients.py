"""API clients: created by admins with a secret shown once, client credentials for a
short-lived token bound to the tenant, scopes enforced on every view, revocation at once,
last use shown and every call audited under the client's name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from accounts.credentials import CredentialRefused, check_credential
from accounts.models import ClientScope, Role, User
from audit.models import AuditEvent
from complaints.models import Complaint, Event, Priority
from complaints.services import change_priority, submit_complaint
from integrations.clients import create_client
from integrations.models import ApiClient, hash_secret
from tenancy.models import Tenant
from tests.api.conftest import COMPLAINTS_URL, bearer_client, post_json
from tests.conftest import _advance_id_sequence, create_user, neighbour
from tests.integrations.conftest import CLIENT_TOKEN_URL, Integration, request_client_token

LOG = ClientScope.LOG_COMPLAINTS
READ = ClientScope.READ_COMPLAINTS
ACT = ClientScope.ACT_ON_COMPLAINTS
SETTINGS_URL = "/settings/integrations/api-clients/"
ADMIN_API_URL = "/api/v1/integrations/api-clients/"


def new_complaint(consumer_email: str = "casey@example.com") -> dict[str, str]:
    return {
        "subject": "Card payment taken twice",
        "description": "The payment left my account twice.",
        "consumer_email": consumer_email,
    }


# --- Creating, listing, revoking on the settings page ---------------------------------------


def test_admin_creates_a_client_and_sees_its_secret_once(
    admin_client: Client, tenant_admin: User
) -> None:
    response = admin_client.post(SETTINGS_URL, {"name": "Acme CRM", "scopes": [READ, LOG]})

    assert response.status_code == 200
    client = ApiClient.objects.get(name="Acme CRM")
    secret = response.context["secret"]
    assert secret.startswith("cs_")
    assert secret.encode() in response.content
    assert client.secret_hash == hash_secret(secret) != secret
    assert sorted(client.scopes) == sorted([READ, LOG])
    assert client.identity.role == Role.CLIENT
    assert client.identity.display_name == "Acme CRM"
    assert "no-store" in response["Cache-Control"]
    listing = admin_client.get(SETTINGS_URL)
    assert secret.encode() not in listing.content
    assert b"Acme CRM" in listing.content and b"Never" in listing.content
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.API_CLIENT_CREATED, actor_id=tenant_admin.pk, target="Acme CRM"
    ).exists()


def test_a_client_without_a_name_or_scope_is_refused_with_the_form(admin_client: Client) -> None:
    response = admin_client.post(SETTINGS_URL, {"name": " ", "scopes": []})

    assert response.status_code == 400
    assert not ApiClient.objects.exists()


@pytest.mark.parametrize("who", ["manager_client", "agent_client", "consumer_client"])
def test_only_admins_manage_api_clients(who: str, request: pytest.FixtureRequest) -> None:
    browser: Client = request.getfixturevalue(who)

    assert browser.get(SETTINGS_URL).status_code == 403
    assert browser.post(SETTINGS_URL, {"name": "Mine", "scopes": [READ]}).status_code == 403
    assert not ApiClient.objects.exists()


def test_admin_sees_last_use_and_revokes_on_the_page(
    admin_client: Client,
    make_integration: Callable[..., Integration],
    client_api: Callable[..., Client],
) -> None:
    crm = make_integration("Acme CRM")
    api = client_api(crm)
    with time_machine.travel(timezone.now(), tick=False):
        assert api.get(COMPLAINTS_URL).status_code == 200
        crm.client.refresh_from_db()
        assert crm.client.last_used_at == timezone.now()

    response = admin_client.post(f"{SETTINGS_URL}{crm.client.pk}/revoke/")

    assert response.status_code == 302
    assert api.get(COMPLAINTS_URL).status_code == 401
    crm.client.refresh_from_db()
    assert crm.client.revoked_at is not None
    assert b"Revoked" in admin_client.get(SETTINGS_URL).content


# --- Client credentials and scopes -------------------------------------------------------------


def test_client_credentials_give_a_short_lived_token_naming_the_client_and_scopes(
    bank: Tenant, make_integration: Callable[..., Integration]
) -> None:
    crm = make_integration("Acme CRM", READ, LOG)

    response = request_client_token(bank, crm.client_id, crm.secret)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 15 * 60
    assert set(body["scope"].split()) == {READ, LOG}
    token = AccessToken(body["access"])
    assert token["client"] == crm.client_id
    assert token["tenant"] == bank.schema_name
    assert "refresh" not in body


@pytest.mark.parametrize(
    "credentials",
    [
        {"client_id": "cl_unknown", "client_secret": "cs_whatever"},
        {"client_id": "{id}", "client_secret": "cs_not-the-secret"},
        {"client_id": "{id}"},
    ],
    ids=["unknown", "wrong-secret", "no-secret"],
)
def test_wrong_client_credentials_get_no_token(
    bank: Tenant, make_integration: Callable[..., Integration], credentials: dict[str, str]
) -> None:
    crm = make_integration()
    body = {key: value.replace("{id}", crm.client_id) for key, value in credentials.items()}

    response = post_json(Client(HTTP_HOST=bank.host), CLIENT_TOKEN_URL, body)

    assert response.status_code in (400, 401)
    assert "access" not in response.json()


def test_read_scope_lists_and_reads_but_may_not_log(
    make_integration: Callable[..., Integration],
    client_api: Callable[..., Client],
    complaint: Complaint,
    consumer: User,
) -> None:
    api = client_api(make_integration("Reporting", READ))

    listing = api.get(COMPLAINTS_URL)
    detail = api.get(f"{COMPLAINTS_URL}{complaint.reference}/")
    create = post_json(api, COMPLAINTS_URL, new_complaint(consumer.email))

    assert listing.status_code == 200
    assert [row["reference"] for row in listing.json()["results"]] == [complaint.reference]
    assert detail.status_code == 200
    assert create.status_code == 403
    assert create.json()["detail"] == "This API client needs the 'complaints.log' scope."
    assert Complaint.objects.count() == 1


def test_log_scope_logs_and_follows_only_its_own_complaints(
    make_integration: Callable[..., Integration],
    client_api: Callable[..., Client],
    complaint: Complaint,
    consumer: User,
) -> None:
    bot = make_integration("Chatbot", LOG)
    api = client_api(bot)

    created = post_json(api, COMPLAINTS_URL, new_complaint(consumer.email))

    assert created.status_code == 201, created.content
    reference = created.json()["reference"]
    submitted = Event.objects.get(complaint__reference=reference, kind=Event.Kind.SUBMITTED)
    assert submitted.actor_id == bot.client.identity_id
    assert api.get(f"{COMPLAINTS_URL}{reference}/").status_code == 200
    assert api.get(f"{COMPLAINTS_URL}{complaint.reference}/").status_code == 404
    listing = api.get(COMPLAINTS_URL).json()["results"]
    assert [row["reference"] for row in listing] == [reference]
    # It reads the category ids a complaint is filed under.
    assert api.get("/api/v1/categories/").status_code == 200


def test_a_view_that_names_no_scope_is_closed_to_clients(
    make_integration: Callable[..., Integration], client_api: Callable[..., Client]
) -> None:
    api = client_api(make_integration("Everything", READ, LOG, ACT))

    assert api.get("/api/v1/auth/credentials/").status_code == 403
    assert api.get(ADMIN_API_URL).status_code == 403


def test_act_scope_lets_the_rules_admit_the_clients_changes(
    make_integration: Callable[..., Integration], complaint: Complaint
) -> None:
    identity = make_integration("Contact centre", ACT).client.identity
    identity.client_scopes = frozenset({ACT})

    event = change_priority(complaint, Priority.HIGH, actor=identity)

    assert event.actor == identity
    complaint.refresh_from_db()
    assert complaint.priority == Priority.HIGH
    identity.client_scopes = frozenset({READ})
    assert not identity.has_perm("complaints.triage_complaint", complaint)


def test_a_clients_identity_holds_no_session_or_password_token(
    make_integration: Callable[..., Integration],
) -> None:
    identity = make_integration().client.identity

    with pytest.raises(CredentialRefused) as refusal:
        check_credential(identity, issuing=True)

    assert refusal.value.code == "machine_client"
    assert not identity.has_usable_password()


# --- Tenancy and revocation ----------------------------------------------------------------------


def test_a_clients_token_is_refused_on_another_tenants_host(
    bank: Tenant,
    make_integration: Callable[..., Integration],
    token_of: Callable[..., str],
) -> None:
    crm = make_integration("Acme CRM")
    token = token_of(crm)
    # Telco has a client with the same id and an identity with the same id: only the token's
    # tenant binding can refuse it there.
    telco = neighbour()
    connection.set_tenant(telco)
    telco_admin = create_user(Role.ADMIN, "telco-admin@example.com")
    identity = User.objects.create(
        pk=crm.client.identity_id, email=crm.client.identity.email, role=Role.CLIENT
    )
    _advance_id_sequence(User)
    ApiClient.objects.create(
        name="Twin",
        client_id=crm.client_id,
        secret_hash=crm.client.secret_hash,
        scopes=[READ],
        identity=identity,
        created_by=telco_admin,
    )
    submit_complaint(
        consumer=create_user(Role.CONSUMER, "telco-consumer@example.com"),
        actor=User.objects.get(email="telco-consumer@example.com"),
        subject="Telco secret",
        description="Only telco may read this.",
    )
    connection.set_tenant(bank)

    response = bearer_client(telco, token).get(COMPLAINTS_URL)

    assert response.status_code == 401
    assert b"Telco secret" not in response.content


def test_a_revoked_clients_token_is_refused_at_once(
    make_integration: Callable[..., Integration],
    client_api: Callable[..., Client],
    tenant_admin: User,
    bank: Tenant,
) -> None:
    from integrations.clients import revoke_client

    crm = make_integration()
    api = client_api(crm)
    assert api.get(COMPLAINTS_URL).status_code == 200

    revoke_client(crm.client, actor=tenant_admin)

    response = api.get(COMPLAINTS_URL)
    assert response.status_code == 401
    assert response.json()["code"] == "client_revoked"
    assert request_client_token(bank, crm.client_id, crm.secret).status_code == 401
    assert AuditEvent.objects.filter(action=AuditEvent.Action.API_CLIENT_REVOKED).exists()


def test_every_call_is_audited_with_the_clients_name(
    make_integration: Callable[..., Integration],
    client_api: Callable[..., Client],
    complaint: Complaint,
) -> None:
    crm = make_integration("Acme CRM")
    api = client_api(crm)

    api.get(f"{COMPLAINTS_URL}{complaint.reference}/?secret=query")
    post_json(api, COMPLAINTS_URL, new_complaint())

    calls = AuditEvent.objects.filter(action=AuditEvent.Action.API_CLIENT_CALL).order_by("id")
    assert [(call.target, call.detail["status"]) for call in calls] == [
        (f"GET {COMPLAINTS_URL}{complaint.reference}/", 200),
        (f"POST {COMPLAINTS_URL}", 403),
    ]
    assert {call.detail["client"] for call in calls} == {"Acme CRM"}
    assert {call.actor_id for call in calls} == {crm.client.identity_id}


def test_last_use_is_written_at_most_once_a_minute(
    make_integration: Callable[..., Integration], client_api: Callable[..., Client]
) -> None:
    crm = make_integration()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        api = client_api(crm)
        api.get(COMPLAINTS_URL)
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        api.get(COMPLAINTS_URL)
        crm.client.refresh_from_db()
        assert crm.client.last_used_at == start
    with time_machine.travel(start + timedelta(seconds=61), tick=False):
        api.get(COMPLAINTS_URL)
        crm.client.refresh_from_db()
        assert crm.client.last_used_at == start + timedelta(seconds=61)


# --- The same through the API, for admins --------------------------------------------------------


def test_admin_manages_clients_through_the_api(
    admin_api: Client, bank: Tenant, tenant_admin: User
) -> None:
    created = post_json(admin_api, ADMIN_API_URL, {"name": "Acme CRM", "scopes": [READ]})

    assert created.status_code == 201, created.content
    body = created.json()
    assert body["client_secret"].startswith("cs_")
    listed = admin_api.get(ADMIN_API_URL).json()
    assert [row["client_id"] for row in listed] == [body["client_id"]]
    assert "client_secret" not in listed[0]
    assert request_client_token(bank, body["client_id"], body["client_secret"]).status_code == 200

    revoked = admin_api.delete(f"{ADMIN_API_URL}{body['client_id']}/")

    assert revoked.status_code == 204
    assert admin_api.get(f"{ADMIN_API_URL}{body['client_id']}/").json()["revoked_at"]
    assert request_client_token(bank, body["client_id"], body["client_secret"]).status_code == 401


def test_admin_api_refuses_bad_scopes_and_other_roles(
    admin_api: Client, manager_api: Client
) -> None:
    bad = post_json(admin_api, ADMIN_API_URL, {"name": "X", "scopes": ["everything"]})

    assert bad.status_code == 400
    assert manager_api.get(ADMIN_API_URL).status_code == 403
    assert post_json(manager_api, ADMIN_API_URL, {"name": "X", "scopes": [READ]}).status_code == 403
    assert admin_api.get(f"{ADMIN_API_URL}cl_nothing/").status_code == 404


def test_creating_a_client_directly_needs_a_name_and_a_known_scope(tenant_admin: User) -> None:
    from integrations.clients import ClientError

    with pytest.raises(ClientError):
        create_client("CRM", ["everything"], actor=tenant_admin)
    with pytest.raises(ClientError):
        create_client("", [READ], actor=tenant_admin)
    with pytest.raises(ClientError):
        create_client("\u200b\u2060", [READ], actor=tenant_admin)


def test_a_client_name_keeps_no_invisible_characters(tenant_admin: User) -> None:
    client, _secret = create_client("Call\u200b centre\u202e  CRM", [READ], actor=tenant_admin)

    assert client.name == "Call centre CRM"


@pytest.mark.parametrize("client_id", ["%00", "cl_%00x", "..%2F..", "x" * 300])
def test_a_hostile_client_id_in_the_path_is_a_404(admin_api: Client, client_id: str) -> None:
    assert admin_api.get(f"{ADMIN_API_URL}{client_id}/").status_code == 404
    assert admin_api.delete(f"{ADMIN_API_URL}{client_id}/").status_code == 404
