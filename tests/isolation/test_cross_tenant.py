"""Every URL that names a tenant object, asked by an outsider with the outsider's own credential.

The outsiders are telco's twins of the bank's consumer, manager and admin: same ids, e-mail
addresses, password hashes and authenticator ids (see ``make_twin``). Each presents the
credential telco gave it (session cookie, JWT, refresh token) to the bank's host. Were the
credential honoured there, it would act as the bank account it mirrors, with every right to
the object; so each case can only pass because the credential is bound to its tenant.

The cases are checked against the tenant URL resolver: a new URL needs a case here or a
reasoned entry in ``NOT_TENANT_OBJECTS``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from pytest_django.fixtures import Settings

from accounts.models import Invitation, Role, User
from accounts.services import invite_staff
from complaints.api.actions import VERBS
from complaints.models import (
    Attachment,
    CannedResponse,
    Category,
    Complaint,
    CustomerNote,
    Event,
    LetterKind,
    ResolutionProposal,
    RootCause,
    SavedView,
    Team,
)
from complaints.services import add_internal_note, reply_to_complaint, submit_complaint
from complaints.views import CONSOLE_ACTIONS, PORTAL_ACTIONS
from deadlines.models import Closure, SlaPolicy
from integrations.clients import create_client
from integrations.models import ApiClient, WebhookDelivery, WebhookEndpoint
from integrations.webhooks import create_endpoint
from notifications.models import Notification
from reports.metrics import DASHBOARD_TABLES
from tenancy.models import Tenant
from tests.api.conftest import COMPLAINTS_URL, REFRESH_URL, bearer_client, post_json
from tests.complaints.conftest import snapshot
from tests.conftest import credential_on, make_twin, neighbour, signed_in_next_door

SECRET = "Zanzibar overdraft"
LOGIN = "/accounts/login/"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00"
    b"\x00\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe"
    b"\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82"
)

# Tenant URL names that name no tenant object, each with the reason it needs no case here.
NOT_TENANT_OBJECTS = {
    "account_login": "sign-in form; cross-tenant sign-in is tests/accounts/test_sign_in.py",
    "account_logout": "ends the caller's own session only",
    "account_inactive": "static page",
    "account_signup": "creates an account in the host's tenant; tests/accounts/test_sign_up.py",
    "account_reauthenticate": "the caller's own password prompt",
    "account_email": "the caller's own addresses; a foreign session is anonymous here",
    "account_email_verification_sent": "static page",
    "account_change_password": "the caller's own password",
    "account_set_password": "the caller's own password",
    "account_reset_password": "asks for an e-mail; tests/accounts/test_password_reset.py",
    "account_confirm_login_code": "login by code is not enabled",
    "account_confirm_email": "a signed key; cross-tenant keys: tests/accounts/test_sign_up.py",
    "account_reset_password_from_key_done": "static page",
    "account_reset_password_from_key": "a signed key; tests/accounts/test_password_reset.py",
    "account_reset_password_done": "static page",
    "two_factor_setup": "the caller's own authenticator",
    "account_sessions": "the caller's own sessions and tokens; tests/api/test_sessions_and_devices.py",
    "two_factor_verify": "the caller's own authenticator",
    "accept_invitation": "a token, not a session; cross-tenant: tests/accounts/test_invitations.py",
    "branding_logo": "the tenant's public branding, shown to every visitor by design",
    "api_credentials": "the caller's own sessions and tokens; tests/accounts/test_credentials.py",
    "api_credential_revoke": "the caller's own; cross-tenant: tests/accounts/test_credentials.py",
    "api_token": "takes a password, not a credential; tests/api/test_token.py",
    "api_client_token": "takes client credentials; cross-tenant: tests/integrations/test_api_clients.py",
    "api_schema": "public description of the API",
    "api_docs": "public description of the API",
    "home": "redirects by role; names nothing",
}


@dataclass
class Victim:
    """The bank's objects every case points at."""

    complaint: Complaint
    attachment: Attachment
    cause: Category
    root_cause: RootCause
    team: Team
    agent: User
    specialist: User
    duplicate: Complaint
    canned: CannedResponse
    invitation: Invitation
    closure: Closure
    proposal: ResolutionProposal
    notification: Notification
    api_client: ApiClient
    webhook: WebhookEndpoint
    delivery: WebhookDelivery
    saved_view: SavedView


@dataclass(frozen=True)
class Case:
    """One request: the URL name it exercises, and who asks (the twin with most rights)."""

    url_name: str
    method: str
    path: Callable[[Victim], str]
    who: str  # "consumer", "manager" or "admin": whose twin presents its session
    data: Callable[[Victim], dict[str, Any]] = lambda v: {}
    id: str = ""


def ref(v: Victim) -> str:
    return v.complaint.reference


CONSOLE_DATA: dict[str, Callable[[Victim], dict[str, Any]]] = {
    "reply": lambda v: {"body": "Hijacked reply"},
    "note": lambda v: {"body": "Hijacked note"},
    "status": lambda v: {"status": "open", "note": "Hijacked"},
    "claim": lambda v: {},
    "assign": lambda v: {"assignee": v.agent.pk},
    "team": lambda v: {"team": v.team.pk},
    "priority": lambda v: {"priority": "urgent"},
    "category": lambda v: {"category": v.cause.pk},
    "refer": lambda v: {"specialist": v.specialist.pk, "note": "Look at this"},
    "hand_back": lambda v: {"findings": "Nothing"},
    "escalate": lambda v: {"reason": "Hijacked"},
    "resolve": lambda v: {
        "outcome": "upheld",
        "root_cause": v.root_cause.pk,
        "redress_amount": "10.00",
        "redress_currency": "GBP",
        "summary": "Hijacked",
    },
    "approve_resolution": lambda v: {"proposal": v.proposal.pk},
    "return_resolution": lambda v: {"proposal": v.proposal.pk, "comment": "Hijacked"},
    "holding_response": lambda v: {
        "reason": "Hijacked",
        "expected": "2099-01-01",
    },
    "in_progress": lambda v: {"steps": "Hijacked"},
    "merge": lambda v: {"target": v.duplicate.reference},
}
PORTAL_DATA: dict[str, Callable[[Victim], dict[str, Any]]] = {
    "reply": lambda v: {"body": "Hijacked reply"},
    "status": lambda v: {"status": "withdrawn"},
    "accept": lambda v: {},
    "reject": lambda v: {"reason": "Hijacked"},
    "rate": lambda v: {"score": "1", "comment": "Hijacked"},
}


def _console_action(name: str) -> Case:
    return Case(
        "console_action",
        "post",
        lambda v: f"/console/complaints/{ref(v)}/{name}/",
        "manager",
        CONSOLE_DATA[name],
        id=f"console_action-{name}",
    )


def _portal_action(name: str) -> Case:
    return Case(
        "portal_action",
        "post",
        lambda v: f"/complaints/{ref(v)}/{name}/",
        "consumer",
        PORTAL_DATA[name],
        id=f"portal_action-{name}",
    )


def _get(url_name: str, path: Callable[[Victim], str], who: str, tag: str = "") -> Case:
    return Case(url_name, "get", path, who, id=f"{url_name}{tag}")


def _post(
    url_name: str, path: Callable[[Victim], str], who: str, data: Callable[[Victim], dict[str, Any]]
) -> Case:
    return Case(url_name, "post", path, who, data, id=f"{url_name}-post")


SESSION_CASES: list[Case] = [
    # Consumer portal
    _get("my_complaints", lambda v: "/complaints/", "consumer"),
    _get("new_complaint", lambda v: f"/complaints/new/?product={v.cause.parent_id}", "consumer"),
    _post(
        "new_complaint",
        lambda v: "/complaints/new/",
        "consumer",
        lambda v: {"subject": "Hijack", "description": "Hijack", "category": v.cause.pk},
    ),
    _get("complaint_detail", lambda v: f"/complaints/{ref(v)}/", "consumer"),
    _get(
        "attachment_download",
        lambda v: f"/complaints/{ref(v)}/files/{v.attachment.pk}/",
        "consumer",
    ),
    *[_portal_action(name) for name in sorted(PORTAL_ACTIONS)],
    _post(
        "portal_draft",
        lambda v: f"/complaints/{ref(v)}/draft/",
        "consumer",
        lambda v: {"body": "Hijack"},
    ),
    _get("timeline_earlier", lambda v: f"/complaints/{ref(v)}/timeline/?before=1", "consumer"),
    _get("portal_account", lambda v: "/account/", "consumer"),
    _get("portal_data_export", lambda v: "/account/data.json", "consumer"),
    _post(
        "portal_close_account",
        lambda v: "/account/close/",
        "consumer",
        lambda v: {"password": "correct-horse-battery-staple", "confirm": "on"},
    ),
    # Agent console
    _get("console_queue", lambda v: "/console/", "manager"),
    _get("console_queue", lambda v: "/console/?q=Zanzibar", "manager", "-search"),
    _post(
        "console_bulk",
        lambda v: "/console/bulk/",
        "manager",
        lambda v: {"action": "priority", "priority": "urgent", "selected": [v.complaint.pk]},
    ),
    _get("console_intake", lambda v: "/console/complaints/new/", "manager"),
    _get("console_complaint", lambda v: f"/console/complaints/{ref(v)}/", "manager"),
    _get("console_presence", lambda v: f"/console/complaints/{ref(v)}/presence/", "manager"),
    _get(
        "console_action_form",
        lambda v: f"/console/complaints/{ref(v)}/assign/form/?seen=1",
        "manager",
    ),
    _get(
        "console_canned_fill",
        lambda v: f"/console/complaints/{ref(v)}/canned/?canned={v.canned.pk}",
        "manager",
    ),
    _post(
        "console_draft",
        lambda v: f"/console/complaints/{ref(v)}/draft/reply/",
        "manager",
        lambda v: {"body": "Hijack"},
    ),
    _post(
        "console_letter_preview",
        lambda v: f"/console/complaints/{ref(v)}/letter/resolve/",
        "manager",
        lambda v: {"outcome": "upheld", "summary": "Hijack"},
    ),
    *[_console_action(name) for name in sorted(CONSOLE_ACTIONS)],
    _get("canned_responses", lambda v: "/console/canned-responses/", "manager"),
    _get("canned_response_edit", lambda v: f"/console/canned-responses/{v.canned.pk}/", "manager"),
    _post(
        "canned_response_edit",
        lambda v: f"/console/canned-responses/{v.canned.pk}/",
        "manager",
        lambda v: {"delete": "1"},
    ),
    _get("console_customer", lambda v: f"/console/customers/{v.complaint.consumer_id}/", "manager"),
    _post(
        "console_customer",
        lambda v: f"/console/customers/{v.complaint.consumer_id}/",
        "manager",
        lambda v: {"note-body": "Hijacked note"},
    ),
    _get("notification_list", lambda v: "/console/notifications/", "manager"),
    _get("notification_badge", lambda v: "/console/notifications/badge/", "manager"),
    _post(
        "notifications_read_all", lambda v: "/console/notifications/read/", "manager", lambda v: {}
    ),
    _post(
        "notification_read",
        lambda v: f"/console/notifications/{v.notification.pk}/read/",
        "manager",
        lambda v: {},
    ),
    _post(
        "console_save_view",
        lambda v: "/console/views/",
        "manager",
        lambda v: {"name": "Stolen", "query": "q=Zanzibar", "shared": "on"},
    ),
    _post(
        "console_delete_view",
        lambda v: f"/console/views/{v.saved_view.pk}/delete/",
        "manager",
        lambda v: {},
    ),
    _post(
        "console_rename_view",
        lambda v: f"/console/views/{v.saved_view.pk}/rename/",
        "manager",
        lambda v: {"name": "Stolen"},
    ),
    # Dashboard
    _get("dashboard", lambda v: "/dashboard/", "manager"),
    *[
        _get(
            "dashboard_csv", lambda v, t=table: f"/dashboard/export/{t}.csv", "manager", f"-{table}"
        )
        for table in DASHBOARD_TABLES
    ],
    _get("regulatory_return", lambda v: "/dashboard/return/", "manager"),
    _get("regulatory_return_csv", lambda v: "/dashboard/return/summary.csv", "manager"),
    # Tenant settings
    _get("settings_home", lambda v: "/settings/", "admin"),
    _get("settings_branding", lambda v: "/settings/branding/", "admin"),
    _get("settings_categories", lambda v: "/settings/categories/", "admin"),
    _post(
        "settings_category_create",
        lambda v: "/settings/categories/new/",
        "admin",
        lambda v: {"name": "Hijacked", "parent": v.cause.parent_id, "team": v.team.pk},
    ),
    _get("settings_category_edit", lambda v: f"/settings/categories/{v.cause.pk}/", "admin"),
    _post(
        "settings_category_edit",
        lambda v: f"/settings/categories/{v.cause.pk}/",
        "admin",
        lambda v: {"name": "Hijacked", "parent": v.cause.parent_id, "team": v.team.pk},
    ),
    _post(
        "settings_category_delete",
        lambda v: f"/settings/categories/{v.cause.pk}/delete/",
        "admin",
        lambda v: {},
    ),
    _post(
        "settings_category_active",
        lambda v: f"/settings/categories/{v.cause.pk}/active/",
        "admin",
        lambda v: {"active": "0"},
    ),
    _post(
        "settings_root_cause_create",
        lambda v: "/settings/root-causes/new/",
        "admin",
        lambda v: {"name": "Hijacked"},
    ),
    _get(
        "settings_root_cause_edit", lambda v: f"/settings/root-causes/{v.root_cause.pk}/", "admin"
    ),
    _post(
        "settings_root_cause_active",
        lambda v: f"/settings/root-causes/{v.root_cause.pk}/active/",
        "admin",
        lambda v: {"active": "0"},
    ),
    _get("settings_teams", lambda v: "/settings/teams/", "admin"),
    _get("settings_team_edit", lambda v: f"/settings/teams/{v.team.pk}/", "admin"),
    _get("settings_sla", lambda v: "/settings/sla/", "admin"),
    _get("settings_sla_edit", lambda v: "/settings/sla/urgent/", "admin"),
    _post(
        "settings_sla_edit", lambda v: "/settings/sla/urgent/", "admin", lambda v: {"remove": "1"}
    ),
    _get("settings_hours", lambda v: "/settings/hours/", "admin"),
    _post(
        "settings_closure_add",
        lambda v: "/settings/hours/closures/",
        "admin",
        lambda v: {"day": "2030-01-02", "name": "Hijacked"},
    ),
    _post(
        "settings_closure_remove",
        lambda v: f"/settings/hours/closures/{v.closure.pk}/remove/",
        "admin",
        lambda v: {},
    ),
    _get("settings_profile", lambda v: "/settings/profile/", "admin"),
    _get("settings_policy", lambda v: "/settings/policy/", "admin"),
    _get("settings_security", lambda v: "/settings/security/", "admin"),
    _get("settings_staff", lambda v: "/settings/staff/", "admin"),
    _get("settings_staff_member", lambda v: f"/settings/staff/{v.agent.pk}/", "admin"),
    _post(
        "settings_staff_member",
        lambda v: f"/settings/staff/{v.agent.pk}/",
        "admin",
        lambda v: {"role": "manager"},
    ),
    _post(
        "settings_staff_active",
        lambda v: f"/settings/staff/{v.agent.pk}/active/",
        "admin",
        lambda v: {"active": "0"},
    ),
    _post(
        "settings_staff_security",
        lambda v: f"/settings/staff/{v.agent.pk}/security/sign-out/",
        "admin",
        lambda v: {},
    ),
    _post(
        "settings_invitation_action",
        lambda v: f"/settings/invitations/{v.invitation.pk}/revoke/",
        "admin",
        lambda v: {},
    ),
    _get("settings_letters", lambda v: "/settings/letters/", "admin"),
    _get(
        "settings_letter_edit", lambda v: f"/settings/letters/{LetterKind.FINAL_RESPONSE}/", "admin"
    ),
    _post(
        "settings_letter_reset",
        lambda v: f"/settings/letters/{LetterKind.FINAL_RESPONSE}/reset/",
        "admin",
        lambda v: {},
    ),
    _get("settings_audit", lambda v: "/settings/audit/", "admin"),
    _get("settings_api_clients", lambda v: "/settings/integrations/api-clients/", "admin"),
    _post(
        "settings_api_clients",
        lambda v: "/settings/integrations/api-clients/",
        "admin",
        lambda v: {"name": "Hijacked", "scopes": ["complaints.read"]},
    ),
    _post(
        "settings_api_client_revoke",
        lambda v: f"/settings/integrations/api-clients/{v.api_client.pk}/revoke/",
        "admin",
        lambda v: {},
    ),
    _get("settings_webhooks", lambda v: "/settings/integrations/webhooks/", "admin"),
    _post(
        "settings_webhooks",
        lambda v: "/settings/integrations/webhooks/",
        "admin",
        lambda v: {"url": "http://127.0.0.1:9/hijack", "events": ["complaint.created"]},
    ),
    _get("settings_webhook", lambda v: f"/settings/integrations/webhooks/{v.webhook.pk}/", "admin"),
    _post(
        "settings_webhook_action",
        lambda v: f"/settings/integrations/webhooks/{v.webhook.pk}/remove/",
        "admin",
        lambda v: {},
    ),
    _post(
        "settings_webhook_redeliver",
        lambda v: (
            f"/settings/integrations/webhooks/{v.webhook.pk}/deliveries/{v.delivery.pk}/redeliver/"
        ),
        "admin",
        lambda v: {},
    ),
    _get("settings_audit_export", lambda v: "/settings/audit/export.csv", "admin"),
]


def _tenant_url_names() -> set[str]:
    def walk(patterns: list[Any]) -> Iterator[str]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern):
                # An unnamed URL would escape this check: every tenant URL has a name.
                yield pattern.name or f"<unnamed {pattern.pattern}>"

    return set(walk(get_resolver(settings.ROOT_URLCONF).url_patterns))


def test_every_tenant_url_has_an_isolation_case_or_a_reason() -> None:
    covered = {case.url_name for case in SESSION_CASES} | API_URL_NAMES
    names = _tenant_url_names()
    assert names - covered - set(NOT_TENANT_OBJECTS) == set(), "URLs without an isolation case"
    assert (covered | set(NOT_TENANT_OBJECTS)) - names == set(), "cases for URLs that are gone"
    assert not covered & set(NOT_TENANT_OBJECTS)


def test_every_console_and_portal_action_has_a_case() -> None:
    assert set(CONSOLE_DATA) == CONSOLE_ACTIONS
    assert set(PORTAL_DATA) == PORTAL_ACTIONS


# --- The victim's world -------------------------------------------------------------------


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.fixture
def victim(
    media: Path,
    consumer: User,
    manager: User,
    tenant_admin: User,
    front_line: Team,
    category: Category,
    make_user: Callable[..., User],
) -> Victim:
    """A bank complaint with a reply, a file and a note, and one of each settings object."""
    complaint = submit_complaint(
        consumer=consumer, actor=consumer, subject=SECRET, description="Charged twice in Zanzibar."
    )
    complaint.team = front_line
    complaint.save(update_fields=["team"])
    reply_to_complaint(
        complaint,
        "Receipt attached.",
        actor=consumer,
        files=[SimpleUploadedFile("receipt.png", PNG, content_type="image/png")],
    )
    add_internal_note(complaint, "Zanzibar internal remark", actor=manager)
    duplicate = submit_complaint(
        consumer=consumer, actor=consumer, subject="Zanzibar again", description="Same again."
    )
    agent = make_user(Role.AGENT, "alex@example.com", full_name="Alex Agent")
    front_line.members.add(agent)
    invitation, _ = invite_staff("newcomer@example.com", Role.AGENT, actor=tenant_admin)
    root_cause = RootCause.objects.create(name="Staff error")
    webhook = create_endpoint(
        "http://127.0.0.1:9/zanzibar", ["complaint.created"], internal=True, actor=tenant_admin
    )
    return Victim(
        complaint=complaint,
        attachment=Attachment.objects.get(complaint=complaint),
        cause=category,
        root_cause=root_cause,
        team=Team.objects.create(name="Billing disputes"),
        agent=agent,
        specialist=make_user(Role.SPECIALIST, "sam@example.com", full_name="Sam Specialist"),
        duplicate=duplicate,
        canned=CannedResponse.objects.create(title="Zanzibar apology", body="Sorry {reference}"),
        invitation=invitation,
        closure=Closure.objects.create(day=date(2030, 1, 1), name="New Year"),
        proposal=ResolutionProposal.objects.create(
            complaint=complaint,
            outcome="upheld",
            summary="Zanzibar refund",
            root_cause=root_cause,
            proposed_by=agent,
        ),
        notification=Notification.objects.create(
            recipient=agent, kind=Notification.Kind.ASSIGNED, complaint=complaint, text="Zanzibar"
        ),
        api_client=create_client("Zanzibar CRM", ["complaints.read"], actor=tenant_admin)[0],
        webhook=webhook,
        delivery=WebhookDelivery.objects.create(
            endpoint=webhook,
            event_id=uuid.uuid4(),
            event_type="complaint.created",
            reference=complaint.reference,
            payload={"complaint": {"reference": complaint.reference}},
            status=WebhookDelivery.Status.FAILED,
        ),
        saved_view=SavedView.objects.create(
            name="Zanzibar view", owner=manager, shared=True, query="q=Zanzibar"
        ),
    )


def bank_state(victim: Victim) -> dict[str, Any]:
    """What any refused request must leave as it was."""
    return {
        "complaint": snapshot(victim.complaint),
        "duplicate": snapshot(victim.duplicate),
        "complaints": Complaint.objects.count(),
        "events": Event.objects.count(),
        "users": sorted(User.objects.values_list("pk", "role", "is_active", "email")),
        "categories": sorted(Category.objects.values_list("pk", "name", "is_active")),
        "root_causes": sorted(RootCause.objects.values_list("pk", "name", "is_active")),
        "canned": sorted(CannedResponse.objects.values_list("pk", "title", "body")),
        "closures": sorted(Closure.objects.values_list("pk", "day")),
        "sla": sorted(SlaPolicy.objects.values_list("priority", "resolution_hours")),
        "invitations": sorted(Invitation.objects.pending().values_list("pk", flat=True)),
        "notifications": sorted(Notification.objects.values_list("pk", "read_at")),
        "customer_notes": CustomerNote.objects.count(),
        "contact": sorted(User.objects.values_list("pk", "full_name", "phone")),
        "api_clients": sorted(ApiClient.objects.values_list("pk", "name", "revoked_at")),
        "webhooks": sorted(WebhookEndpoint.objects.values_list("pk", "url", "disabled_at")),
        "deliveries": sorted(WebhookDelivery.objects.values_list("pk", "status", "attempts")),
        "saved_views": sorted(SavedView.objects.values_list("pk", "name", "query")),
    }


def assert_serves_nothing(response: HttpResponse, victim: Victim) -> None:
    body = b"" if response.streaming else response.content  # type: ignore[attr-defined]
    assert not response.streaming, "a file was served"  # type: ignore[attr-defined]
    for secret in (SECRET, "Zanzibar", victim.complaint.reference, victim.agent.email):
        assert secret.encode() not in body


@pytest.fixture
def outsiders(bank: Tenant, consumer: User, manager: User, tenant_admin: User) -> dict[str, User]:
    """Telco's twins of the bank's consumer, manager and admin."""
    return {
        who: make_twin(user, bank, neighbour(), full_name=f"Telco {who}")
        for who, user in [("consumer", consumer), ("manager", manager), ("admin", tenant_admin)]
    }


@pytest.fixture
def telco_sessions(bank: Tenant, outsiders: dict[str, User]) -> dict[str, Client]:
    """Each twin's own telco session cookie, presented to the bank's host."""
    return {
        who: credential_on(signed_in_next_door(bank, user), bank) for who, user in outsiders.items()
    }


@pytest.mark.parametrize("case", SESSION_CASES, ids=[case.id for case in SESSION_CASES])
def test_a_telco_session_gets_nothing_from_the_bank(
    victim: Victim, telco_sessions: dict[str, Client], case: Case
) -> None:
    client = telco_sessions[case.who]
    before = bank_state(victim)

    response = getattr(client, case.method)(case.path(victim), case.data(victim))

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert_serves_nothing(response, victim)
    assert bank_state(victim) == before


HTMX_CASES = [
    case for case in SESSION_CASES if case.url_name in {"console_action", "portal_action"}
]


@pytest.mark.parametrize("case", HTMX_CASES, ids=[case.id for case in HTMX_CASES])
def test_a_telco_session_gets_nothing_from_bank_actions_by_htmx(
    victim: Victim, telco_sessions: dict[str, Client], case: Case
) -> None:
    before = bank_state(victim)

    response = telco_sessions[case.who].post(
        case.path(victim), case.data(victim), HTTP_HX_REQUEST="true"
    )

    assert response["HX-Redirect"].startswith(LOGIN)
    assert_serves_nothing(response, victim)
    assert bank_state(victim) == before


# --- The API --------------------------------------------------------------------------------


@pytest.fixture
def telco_tokens(
    bank: Tenant, outsiders: dict[str, User], tokens_for: Callable[..., dict[str, str]]
) -> dict[str, dict[str, str]]:
    """Each twin's own telco token pair."""
    return {who: tokens_for(user, neighbour()) for who, user in outsiders.items()}


def _on_complaint(rest: str) -> Callable[[Victim], str]:
    return lambda v: f"{COMPLAINTS_URL}{ref(v)}/{rest}"


def _fixed(path: str) -> Callable[[Victim], str]:
    return lambda v: f"/api/v1/{path}"


API_CASES = [
    ("complaint-list", "get", lambda v: COMPLAINTS_URL, None),
    ("complaint-list", "get", lambda v: f"{COMPLAINTS_URL}?search=Zanzibar", None),
    ("complaint-detail", "get", lambda v: f"{COMPLAINTS_URL}{ref(v)}/", None),
    ("api_clients", "get", lambda v: "/api/v1/integrations/api-clients/", None),
    (
        "api_clients",
        "post",
        lambda v: "/api/v1/integrations/api-clients/",
        {"name": "Hijack", "scopes": ["complaints.read"]},
    ),
    (
        "api_client_detail",
        "get",
        lambda v: f"/api/v1/integrations/api-clients/{v.api_client.client_id}/",
        None,
    ),
    ("api_webhooks", "get", lambda v: "/api/v1/integrations/webhooks/", None),
    (
        "api_webhooks",
        "post",
        lambda v: "/api/v1/integrations/webhooks/",
        {"url": "http://127.0.0.1:9/hijack", "events": ["complaint.created"]},
    ),
    (
        "api_webhook_detail",
        "get",
        lambda v: f"/api/v1/integrations/webhooks/{v.webhook.pk}/",
        None,
    ),
    (
        "api_webhook_deliveries",
        "get",
        lambda v: f"/api/v1/integrations/webhooks/{v.webhook.pk}/deliveries/",
        None,
    ),
    (
        "api_webhook_redeliver",
        "post",
        lambda v: (
            f"/api/v1/integrations/webhooks/{v.webhook.pk}/deliveries/"
            f"{v.delivery.delivery_id}/redeliver/"
        ),
        {},
    ),
    (
        "complaint-list",
        "post",
        lambda v: COMPLAINTS_URL,
        {"subject": "Hijack", "description": "Hijack", "consumer_email": "casey@example.com"},
    ),
    ("api_complaint_messages", "get", lambda v: f"{COMPLAINTS_URL}{ref(v)}/messages/", None),
    (
        "api_complaint_messages",
        "post",
        lambda v: f"{COMPLAINTS_URL}{ref(v)}/messages/",
        {"body": "Hijack"},
    ),
    ("api_complaint_attachments", "get", lambda v: f"{COMPLAINTS_URL}{ref(v)}/attachments/", None),
    (
        "api_complaint_attachments",
        "post",
        lambda v: f"{COMPLAINTS_URL}{ref(v)}/attachments/",
        {"body": "Hijack"},
    ),
    ("api_complaint_attachment", "get", lambda v: f"{COMPLAINTS_URL}{ref(v)}/attachments/1/", None),
    ("api_complaint_deadlines", "get", lambda v: f"{COMPLAINTS_URL}{ref(v)}/deadlines/", None),
    *[
        (
            f"api_complaint_{verb.replace('-', '_')}",
            "post",
            _on_complaint(f"actions/{verb}/"),
            {"priority": "low", "reason": "Hijack", "status": "withdrawn"},
        )
        for verb in VERBS
    ],
    *[
        case
        for name, path in [
            ("api_categories", "categories/"),
            ("api_root_causes", "root-causes/"),
            ("api_teams", "teams/"),
        ]
        for case in [
            (name, "get", _fixed(path), None),
            (name, "post", _fixed(path), {"name": "Hijack"}),
        ]
    ],
    *[
        case
        for name, path in [
            ("api_category", "categories/1/"),
            ("api_root_cause", "root-causes/1/"),
            ("api_team", "teams/1/"),
            ("api_staff_member", "staff/1/"),
        ]
        for case in [
            (name, "get", _fixed(path), None),
            (name, "patch", _fixed(path), {"name": "Hijack"}),
        ]
    ],
    ("api_staff", "get", lambda v: "/api/v1/staff/", None),
    ("api_staff_invitations", "get", _fixed("staff-invitations/"), None),
    (
        "api_staff_invitations",
        "post",
        _fixed("staff-invitations/"),
        {"email": "mole@example.org", "role": "admin"},
    ),
    (
        "api_staff_invitation",
        "get",
        lambda v: f"/api/v1/staff-invitations/{v.invitation.pk}/",
        None,
    ),
    (
        "api_staff_invitation_resend",
        "post",
        lambda v: f"/api/v1/staff-invitations/{v.invitation.pk}/resend/",
        {},
    ),
    ("api_report_dashboard", "get", lambda v: "/api/v1/reports/dashboard/", None),
    ("api_report_return", "get", lambda v: "/api/v1/reports/return/", None),
    ("api_audit_events", "get", lambda v: "/api/v1/audit-events/", None),
]
API_URL_NAMES = {case[0] for case in API_CASES} | {"api_token_refresh"}


@pytest.mark.parametrize("who", ["consumer", "manager", "admin"])
@pytest.mark.parametrize(
    ("url_name", "method", "path", "body"), API_CASES, ids=[f"{c[0]}-{c[1]}" for c in API_CASES]
)
def test_a_telco_access_token_gets_nothing_from_the_bank_api(
    victim: Victim,
    telco_tokens: dict[str, dict[str, str]],
    who: str,
    url_name: str,
    method: str,
    path: Callable[[Victim], str],
    body: dict[str, str] | None,
) -> None:
    client = bearer_client(Tenant.objects.get(slug="bank"), telco_tokens[who]["access"])
    before = bank_state(victim)

    if method == "post":
        response = post_json(client, path(victim), body)
    elif method == "patch":
        response = client.patch(path(victim), body, content_type="application/json")
    else:
        response = client.get(path(victim))

    assert response.status_code == 401
    assert set(response.json()) <= {"type", "title", "status", "detail", "code", "messages"}
    assert_serves_nothing(response, victim)
    assert bank_state(victim) == before


@pytest.mark.parametrize("who", ["consumer", "manager"])
def test_a_telco_refresh_token_gets_no_bank_access_token(
    bank: Tenant, victim: Victim, telco_tokens: dict[str, dict[str, str]], who: str
) -> None:
    response = post_json(
        Client(HTTP_HOST=bank.host), REFRESH_URL, {"refresh": telco_tokens[who]["refresh"]}
    )

    assert response.status_code == 401
    assert "access" not in response.json()
