"""Staff two-factor authentication: enforcement, enrolment, verification and recovery codes."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role, User
from accounts.services import replace_recovery_codes
from audit.models import AuditEvent
from complaints.models import Complaint, Event
from tenancy.models import Tenant
from tests.conftest import PASSWORD, current_code, sign_in, tenant_client

SETUP = "/account/two-factor/setup/"
VERIFY = "/account/two-factor/"
THROTTLE_START = datetime(2026, 11, 2, 9, 0, 0, tzinfo=UTC)


def device_code(device: TOTPDevice) -> str:
    """The code an authenticator app shows now for ``device``."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}"


def wrong_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def is_verified(client: Client) -> bool:
    return "otp_device_id" in client.session


@pytest.fixture
def new_agent(make_user: Callable[..., User]) -> User:
    """An agent who has no authenticator yet."""
    return make_user(Role.AGENT, "newbie@example.com", second_factor=False)


@pytest.fixture
def new_agent_client(bank: Tenant, new_agent: User) -> Client:
    return sign_in(tenant_client(bank), new_agent, second_factor=False)


@pytest.fixture
def recovery_codes(agent: User) -> list[str]:
    return replace_recovery_codes(agent)


# --- Enforcement ---------------------------------------------------------------------------


def test_staff_without_second_factor_is_sent_to_verification_from_the_console(
    unverified_agent_client: Client,
) -> None:
    response = unverified_agent_client.get("/console/")

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fconsole%2F"


def test_staff_without_device_is_sent_to_enrolment(new_agent_client: Client) -> None:
    response = new_agent_client.get("/console/")

    assert response.status_code == 302
    assert response["Location"] == f"{SETUP}?next=%2Fconsole%2F"


@pytest.mark.parametrize("path", ["/", "/complaints/", "/console/?status=open", "/accounts/email/"])
def test_unverified_staff_reach_no_page_but_the_two_factor_pages(
    unverified_agent_client: Client, path: str
) -> None:
    response = unverified_agent_client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith(f"{VERIFY}?next=")


def test_unverified_staff_are_not_sent_back_to_a_one_time_link_after_the_second_factor(
    unverified_agent_client: Client,
) -> None:
    response = unverified_agent_client.get("/invitations/x/")

    assert response.status_code == 302
    assert response["Location"] == VERIFY


def test_unverified_staff_htmx_request_gets_a_full_page_redirect(
    unverified_agent_client: Client,
) -> None:
    response = unverified_agent_client.get("/console/", HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{VERIFY}?next=%2Fconsole%2F"


def test_unverified_staff_post_is_refused_before_the_view_runs(
    unverified_agent_client: Client, complaint: Complaint
) -> None:
    response = unverified_agent_client.post(
        f"/console/complaints/{complaint.reference}/note/", {"body": "sneaky"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert not complaint.events.filter(kind=Event.Kind.NOTE).exists()


def test_verified_staff_post_reaches_the_view(agent_client: Client, complaint: Complaint) -> None:
    agent_client.post(f"/console/complaints/{complaint.reference}/note/", {"body": "checked"})

    assert complaint.events.filter(kind=Event.Kind.NOTE).exists()


def test_unverified_staff_can_still_sign_out(unverified_agent_client: Client) -> None:
    response = unverified_agent_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert not response["Location"].startswith(VERIFY)
    assert "_auth_user_id" not in unverified_agent_client.session


def test_verified_staff_reach_the_console(agent_client: Client) -> None:
    assert agent_client.get("/console/").status_code == 200


def test_consumers_are_not_asked_for_a_second_factor(consumer_client: Client) -> None:
    assert consumer_client.get("/complaints/").status_code == 200


def test_staff_password_sign_in_leads_to_the_second_factor(
    anonymous_client: Client, agent: User
) -> None:
    signed_in = anonymous_client.post(
        "/accounts/login/", {"login": "alex@example.com", "password": PASSWORD}
    )
    response = anonymous_client.get(signed_in["Location"])

    assert signed_in.status_code == 302
    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert not is_verified(anonymous_client)


def test_two_factor_pages_require_sign_in(anonymous_client: Client) -> None:
    for path in (SETUP, VERIFY):
        response = anonymous_client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# --- Enrolment -----------------------------------------------------------------------------


def test_enrolment_page_shows_a_qr_code_and_the_manual_key(new_agent_client: Client) -> None:
    response = new_agent_client.get(SETUP)

    assert response.status_code == 200
    assert b"<svg" in response.content
    device = TOTPDevice.objects.get(user__email="newbie@example.com")
    assert not device.confirmed
    secret = response.context["secret"]
    assert re.fullmatch(r"[A-Z2-7]{4}( [A-Z2-7]{1,4})+", secret)
    assert secret.encode() in response.content
    assert base64.b32decode(secret.replace(" ", "")) == device.bin_key


def test_enrolment_page_keeps_the_same_pending_key_across_visits(
    new_agent_client: Client,
) -> None:
    first = new_agent_client.get(SETUP).context["secret"]
    second = new_agent_client.get(SETUP).context["secret"]

    assert first == second
    assert TOTPDevice.objects.filter(user__email="newbie@example.com").count() == 1


def test_enrolment_with_a_wrong_code_fails_and_is_audited(
    new_agent_client: Client, audit_actions: Callable[..., list[str]]
) -> None:
    new_agent_client.get(SETUP)
    device = TOTPDevice.objects.get(user__email="newbie@example.com")

    response = new_agent_client.post(SETUP, {"code": wrong_code(device_code(device))})

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    device.refresh_from_db()
    assert not device.confirmed
    assert not is_verified(new_agent_client)
    assert not StaticDevice.objects.filter(user=device.user).exists()
    assert audit_actions("newbie@example.com")[-1] == AuditEvent.Action.SECOND_FACTOR_FAILED


def test_enrolment_with_the_right_code_confirms_the_device_and_shows_ten_recovery_codes(
    new_agent_client: Client, audit_actions: Callable[..., list[str]]
) -> None:
    new_agent_client.get(SETUP)
    device = TOTPDevice.objects.get(user__email="newbie@example.com")

    response = new_agent_client.post(SETUP, {"code": device_code(device), "next": "/console/"})

    assert response.status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    codes = response.context["codes"]
    assert len(codes) == 10
    assert len(set(codes)) == 10
    for code in codes:
        assert code.encode() in response.content
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=device.user).values_list("token", flat=True)
    )
    assert response.context["next"] == "/console/"
    assert is_verified(new_agent_client)
    assert new_agent_client.get("/console/").status_code == 200
    assert audit_actions("newbie@example.com")[-1] == AuditEvent.Action.SECOND_FACTOR_ENROLLED


def test_enrolment_code_with_spaces_is_accepted(new_agent_client: Client) -> None:
    new_agent_client.get(SETUP)
    device = TOTPDevice.objects.get(user__email="newbie@example.com")
    code = device_code(device)

    new_agent_client.post(SETUP, {"code": f" {code[:3]} {code[3:]} "})

    device.refresh_from_db()
    assert device.confirmed


def test_enrolment_page_sends_staff_who_have_a_device_to_verification(
    unverified_agent_client: Client,
) -> None:
    response = unverified_agent_client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"] == VERIFY
    assert TOTPDevice.objects.filter(user__email="alex@example.com").count() == 1


def test_verification_page_sends_staff_without_a_device_to_enrolment(
    new_agent_client: Client,
) -> None:
    response = new_agent_client.get(VERIFY)

    assert response.status_code == 302
    assert response["Location"] == SETUP


# --- Verification --------------------------------------------------------------------------


def test_verification_with_the_current_code_passes_and_returns_to_next(
    unverified_agent_client: Client, audit_actions: Callable[..., list[str]]
) -> None:
    response = unverified_agent_client.post(VERIFY, {"code": current_code(), "next": "/console/"})

    assert response.status_code == 302
    assert response["Location"] == "/console/"
    assert is_verified(unverified_agent_client)
    assert unverified_agent_client.get("/console/").status_code == 200
    assert audit_actions("alex@example.com")[-1] == AuditEvent.Action.SECOND_FACTOR_PASSED


def test_verification_with_a_wrong_code_fails_and_is_audited(
    unverified_agent_client: Client, audit_actions: Callable[..., list[str]]
) -> None:
    response = unverified_agent_client.post(VERIFY, {"code": wrong_code(current_code())})

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert not is_verified(unverified_agent_client)
    assert unverified_agent_client.get("/console/").status_code == 302
    event = AuditEvent.objects.filter(actor_email="alex@example.com").latest("id")
    assert event.action == AuditEvent.Action.SECOND_FACTOR_FAILED
    assert event.ip_address == "127.0.0.1"


def test_verification_ignores_a_next_url_on_another_host(
    unverified_agent_client: Client,
) -> None:
    response = unverified_agent_client.post(
        VERIFY, {"code": current_code(), "next": "https://evil.example.com/"}
    )

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_verification_ignores_a_next_url_on_another_tenant(
    unverified_agent_client: Client,
) -> None:
    response = unverified_agent_client.post(
        VERIFY, {"code": current_code(), "next": "http://telco.localhost/console/"}
    )

    assert response["Location"] == "/"


def test_a_totp_code_cannot_be_replayed_in_another_session(
    bank: Tenant, agent: User, unverified_agent_client: Client
) -> None:
    code = current_code()
    unverified_agent_client.post(VERIFY, {"code": code})
    assert is_verified(unverified_agent_client)
    attacker = sign_in(tenant_client(bank), agent, second_factor=False)

    response = attacker.post(VERIFY, {"code": code})

    assert response.status_code == 200
    assert not is_verified(attacker)


def test_repeated_wrong_codes_throttle_even_the_right_code(bank: Tenant, agent: User) -> None:
    # Frozen at the start of a 30-second TOTP step, so the code stays the same throughout.
    with time_machine.travel(THROTTLE_START, tick=False) as clock:
        client = sign_in(tenant_client(bank), agent, second_factor=False)
        for _ in range(5):
            client.post(VERIFY, {"code": wrong_code(current_code())})

        response = client.post(VERIFY, {"code": current_code()})

        assert response.status_code == 200
        assert not is_verified(client)
        failures = AuditEvent.objects.filter(action=AuditEvent.Action.SECOND_FACTOR_FAILED)
        assert failures.count() == 6
        # Only the first failure counted (the rest were refused unchecked): a 1 s wait.
        assert TOTPDevice.objects.get(user=agent).throttling_failure_count == 1
        clock.shift(timedelta(milliseconds=999))
        client.post(VERIFY, {"code": current_code()})
        assert not is_verified(client)

        clock.shift(timedelta(milliseconds=1))
        client.post(VERIFY, {"code": current_code()})
        assert is_verified(client)


def test_unverified_operator_is_sent_to_verification_on_the_platform_host(
    operator: User,
) -> None:
    client = sign_in(Client(HTTP_HOST="localhost"), operator, second_factor=False)

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2F"


# --- Recovery codes ------------------------------------------------------------------------


def test_recovery_code_passes_verification_and_is_audited(
    unverified_agent_client: Client,
    recovery_codes: list[str],
    audit_actions: Callable[..., list[str]],
) -> None:
    response = unverified_agent_client.post(VERIFY, {"code": recovery_codes[0]})

    assert response.status_code == 302
    assert is_verified(unverified_agent_client)
    assert audit_actions("alex@example.com")[-1] == AuditEvent.Action.RECOVERY_CODE_USED
    assert not StaticToken.objects.filter(token=recovery_codes[0]).exists()
    assert StaticToken.objects.filter(device__user__email="alex@example.com").count() == 9


def test_recovery_code_works_once_only(
    bank: Tenant, agent: User, recovery_codes: list[str]
) -> None:
    first, second, third = (sign_in(tenant_client(bank), agent, second_factor=False) for _ in "abc")
    first.post(VERIFY, {"code": recovery_codes[0]})
    second.post(VERIFY, {"code": recovery_codes[1]})

    reused = third.post(VERIFY, {"code": recovery_codes[0]})

    assert is_verified(first)
    assert is_verified(second)
    assert reused.status_code == 200
    assert reused.context["form"].errors["code"]
    assert not is_verified(third)


def test_replacing_recovery_codes_invalidates_the_old_ones(
    unverified_agent_client: Client, agent: User, recovery_codes: list[str]
) -> None:
    fresh = replace_recovery_codes(agent)

    response = unverified_agent_client.post(VERIFY, {"code": recovery_codes[0]})

    assert len(fresh) == 10
    assert not set(fresh) & set(recovery_codes)
    assert response.status_code == 200
    assert not is_verified(unverified_agent_client)


def test_another_staff_members_recovery_code_does_not_verify(
    unverified_agent_client: Client, manager: User
) -> None:
    managers_codes = replace_recovery_codes(manager)

    response = unverified_agent_client.post(VERIFY, {"code": managers_codes[0]})

    assert response.status_code == 200
    assert not is_verified(unverified_agent_client)
