"""The signed-in request's lean reads (``accounts.sessions``): the same rows as the ORM's, the
same refusals, and one statement each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.sessions import AccountBackend, SessionStore, row_by_key
from tenancy.models import Tenant
from tests.conftest import create_user, sign_in, tenant_client

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def _fields(instance: object) -> dict[str, object]:
    return {
        field.attname: getattr(instance, field.attname)
        for field in type(instance)._meta.concrete_fields  # type: ignore[attr-defined]
    }


def test_a_row_read_lean_is_the_row_the_orm_reads(agent: User) -> None:
    device = TOTPDevice.objects.get(user=agent)
    for model, key, value, expected in (
        (User, "pk", agent.pk, User.objects.get(pk=agent.pk)),
        (User, "email", agent.email, User.objects.get(email=agent.email)),
        (TOTPDevice, "pk", device.pk, TOTPDevice.objects.get(pk=device.pk)),
    ):
        with CaptureQueriesContext(connection) as queries:
            found = row_by_key(model, key, value)
        assert len(queries) == 1
        assert type(found) is model
        assert _fields(found) == _fields(expected)
        assert found._state.adding is False and found._state.db == "default"  # type: ignore[union-attr]


def test_no_row_for_an_unknown_or_impossible_key(agent: User) -> None:
    assert row_by_key(User, "pk", 10**9) is None
    # Beyond a bigint: nothing, without asking PostgreSQL (which would refuse the number).
    with CaptureQueriesContext(connection) as queries:
        assert row_by_key(User, "pk", 2**63) is None
        assert row_by_key(TOTPDevice, "pk", 2**31) is None
    assert len(queries) == 0
    with pytest.raises(ValueError):
        row_by_key(User, "pk", "²")


def test_the_account_backend_reads_only_accounts_that_may_sign_in(agent: User) -> None:
    backend = AccountBackend()
    assert backend.get_user(agent.pk) == agent
    assert backend.get_user(str(agent.pk)) == agent
    for impossible in ("abc", "²", None, 2**70):
        assert backend.get_user(impossible) is None
    agent.is_active = False
    agent.save(update_fields=["is_active"])
    assert backend.get_user(agent.pk) is None


def test_a_session_is_read_until_it_expires(bank: Tenant, consumer: User) -> None:
    with time_machine.travel(NOW, tick=False):
        store = SessionStore()
        store["mark"] = "kept"
        store.set_expiry(600)
        store.save()
        key = store.session_key
        assert SessionStore(key).load() == {"mark": "kept", "_session_expiry": 600}
    with time_machine.travel(NOW + timedelta(seconds=601), tick=False):
        expired = SessionStore(key)
        assert expired.load() == {}
        assert expired.session_key is None  # a new key when saved: never the old row again
    assert SessionStore("no-such-session-key").load() == {}


def test_an_expired_session_signs_nobody_in(bank: Tenant, consumer: User) -> None:
    client = sign_in(tenant_client(bank), consumer)
    page = reverse("my_complaints")
    assert client.get(page).status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(page).status_code == 302


@pytest.mark.parametrize("change", ["other person's", "unconfirmed", "deleted", "malformed"])
def test_the_second_factor_holds_only_with_the_persons_confirmed_device(
    bank: Tenant, agent: User, change: str
) -> None:
    client = sign_in(tenant_client(bank), agent)
    queue = reverse("console_queue")
    assert client.get(queue).status_code == 200
    device = TOTPDevice.objects.get(user=agent)
    session = client.session
    if change == "other person's":
        colleague = create_user(agent.role, "colleague@bank.example")
        session["otp_device_id"] = TOTPDevice.objects.get(user=colleague).persistent_id
    elif change == "unconfirmed":
        TOTPDevice.objects.filter(pk=device.pk).update(confirmed=False)
    elif change == "deleted":
        device.delete()
    else:
        session["otp_device_id"] = "otp_totp.totpdevice/not-a-number"
    session.save()
    answer = client.get(queue)
    assert answer.status_code == 302
    assert reverse("two_factor_verify") in answer["Location"] or "two-factor" in answer["Location"]
    # The refused device is dropped from the session, as django-otp does.
    assert "otp_device_id" not in client.session


def test_a_signed_in_page_reads_session_account_and_device_once_each(
    bank: Tenant, agent: User
) -> None:
    client = sign_in(tenant_client(bank), agent)
    badge = reverse("notification_badge")
    client.get(badge)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(badge).status_code == 200
    tables = [
        table
        for query in queries.captured_queries
        for table in ("django_session", "accounts_user", "otp_totp_totpdevice")
        if f'FROM "{table}"' in query["sql"]
    ]
    assert tables == ["django_session", "accounts_user", "otp_totp_totpdevice"]


@pytest.mark.parametrize(
    "cookie", ['"abcdefgh\\000ijkl"', "abcdefgh\x00ijkl", "ßßßßßßßßßß", "a" * 40]
)
def test_a_cookie_that_is_no_session_key_signs_nobody_in(bank: Tenant, cookie: str) -> None:
    client = tenant_client(bank)
    for path in ("/", reverse("console_queue"), "/api/v1/complaints/"):
        answer = client.get(path, HTTP_COOKIE=f"sessionid={cookie}")
        assert answer.status_code in (200, 302, 401), (path, answer.status_code)
    assert SessionStore("abcdefgh\x00ijkl").load() == {}
