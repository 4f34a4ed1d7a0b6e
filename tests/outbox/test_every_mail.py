"""Every e-mail the product sends is an outbox row first; nothing else talks to a mail server."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.adapter import account_mail_key
from accounts.models import Invitation, Role, User
from complaints.models import Complaint
from complaints.services import reply_to_complaint
from outbox.models import Message
from tenancy.models import Tenant
from tests.complaints.conftest import as_request_user
from tests.conftest import PASSWORD, create_user, deliver_outbox, tenant_client

ROOT = Path(settings.BASE_DIR)
# Django's API for sending mail; only the outbox may use it.
MAIL_FUNCTIONS = {"send_mail", "send_mass_mail", "mail_admins", "mail_managers", "get_connection"}


def mail_api_uses(source: str) -> list[str]:
    """Where ``source`` imports Django's mail module or sends a message itself."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module is not None:
            names = {alias.name for alias in node.names}
            if node.module.startswith("django.core.mail") or (
                node.module == "django.core" and "mail" in names
            ):
                found.append(f"line {node.lineno}: imports from {node.module}")
        elif isinstance(node, ast.Import):
            found += [
                f"line {node.lineno}: imports {alias.name}"
                for alias in node.names
                if alias.name.startswith("django.core.mail")
            ]
        elif isinstance(node, ast.Call):
            name = (
                node.func.attr
                if isinstance(node.func, ast.Attribute)
                else getattr(node.func, "id", "")
            )
            # EmailMessage.send() takes no arguments but fail_silently; Signal.send needs a sender.
            sends_a_message = (
                name == "send"
                and not node.args
                and {keyword.arg for keyword in node.keywords} <= {"fail_silently"}
            )
            if name in MAIL_FUNCTIONS or name == "send_messages" or sends_a_message:
                found.append(f"line {node.lineno}: calls {name}()")
        elif isinstance(node, ast.Constant) and "AdminEmailHandler" in str(node.value):
            found.append(f"line {node.lineno}: names AdminEmailHandler")
    return found


def product_modules() -> Iterator[Path]:
    """Every Python module of the product outside the outbox (no tests, migrations or venv)."""
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "tests", "outbox", ".git", ".data", "node_modules"}:
            continue
        if "migrations" in parts:
            continue
        yield path


def test_no_module_outside_the_outbox_uses_djangos_mail_api() -> None:
    modules = list(product_modules())
    offenders = {
        str(path.relative_to(ROOT)): uses
        for path in modules
        if (uses := mail_api_uses(path.read_text()))
    }

    assert len(modules) > 50, "the scan should cover the whole product"
    assert offenders == {}


@pytest.mark.parametrize(
    "source",
    [
        "from django.core.mail import send_mail",
        "from django.core import mail",
        "import django.core.mail.backends.smtp",
        "send_mail('s', 'b', None, ['a@example.com'])",
        "message.send()",
        "message.send(fail_silently=True)",
        "connection.send_messages([message])",
        "LOGGING = {'handlers': {'mail': {'class': 'django.utils.log.AdminEmailHandler'}}}",
    ],
)
def test_the_scan_finds_each_way_of_sending_mail(source: str) -> None:
    assert mail_api_uses(source)


def test_the_scan_leaves_signals_and_adapters_alone() -> None:
    source = "signal.send(sender=None)\nsignal.send(User, user=user)\nenqueue_email(key='k')"

    assert mail_api_uses(source) == []


# --- every flow -----------------------------------------------------------------------------


def outbox_rows(*tenants: Tenant) -> list[tuple[str, str, str]]:
    rows = []
    for tenant in tenants:
        connection.set_tenant(tenant)
        rows += Message.objects.values_list("recipient", "subject", "body")
    connection.set_schema_to_public()
    rows += Message.objects.values_list("recipient", "subject", "body")
    return sorted(rows)


def test_every_flow_queues_its_mail_in_the_outbox_and_sends_nothing_itself(
    bank: Tenant,
    consumer: User,
    agent: User,
    admin_client: Client,
    complaint: Complaint,
    activate: Callable[[Tenant], Tenant],
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    connection.set_schema_to_public()
    operator = create_user(Role.OPERATOR, "olivia@example.com")
    activate(bank)
    Message.objects.all().delete()  # the complaint fixture's acknowledgement
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tenant_client(bank).post(
            "/accounts/signup/",
            {
                "full_name": "Nova Person",
                "email": "new.person@example.com",
                "password1": PASSWORD,
                "password2": PASSWORD,
            },
        )
        tenant_client(bank).post("/accounts/password/reset/", {"email": consumer.email})
        admin_client.post("/settings/staff/", {"email": "new.agent@example.com", "role": "agent"})
        activate(bank)
        reply_to_complaint(complaint, "We have refunded you.", actor=as_request_user(agent))
        Client(HTTP_HOST="localhost").post("/accounts/password/reset/", {"email": operator.email})

    # Every mail is an outbox row, and none has left yet.
    assert mail.outbox == []
    queued = outbox_rows(bank)
    assert [recipient for recipient, _, _ in queued] == sorted(
        [
            "new.person@example.com",
            consumer.email,
            "new.agent@example.com",
            consumer.email,
            operator.email,
        ]
    )

    # After commit the tasks deliver exactly those rows, and nothing else is sent.
    activate(bank)
    for callback in callbacks:
        callback()
    sent = sorted((message.to[0], message.subject, message.body) for message in mail.outbox)
    assert sent == queued


def test_a_resent_invitation_is_a_new_message(admin_client: Client, bank: Tenant) -> None:
    admin_client.post("/settings/staff/", {"email": "new.agent@example.com", "role": "agent"})
    first = Invitation.objects.get()

    admin_client.post(f"/settings/invitations/{first.pk}/resend/")

    second = Invitation.objects.exclude(pk=first.pk).get()
    assert sorted(Message.objects.values_list("key", flat=True)) == [
        f"invitation:{first.pk}",
        f"invitation:{second.pk}",
    ]


def test_a_retried_password_reset_request_queues_one_message(bank: Tenant, consumer: User) -> None:
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        for _ in range(2):
            tenant_client(bank).post("/accounts/password/reset/", {"email": consumer.email})
        assert Message.objects.filter(recipient=consumer.email).count() == 1

        # A new request later gets a new link, so a new message.
        clock.shift(timedelta(minutes=2))
        tenant_client(bank).post("/accounts/password/reset/", {"email": consumer.email})

    assert len(set(Message.objects.values_list("body", flat=True))) == 2
    assert len(deliver_outbox(bank)) == 2


def test_account_mail_keys_follow_the_link_and_hide_it() -> None:
    confirm = account_mail_key("account/email/email_confirmation", "a@example.com", {"key": "k1"})

    assert confirm == account_mail_key(
        "account/email/email_confirmation", "A@example.com", {"key": "k1"}
    )
    assert confirm != account_mail_key(
        "account/email/email_confirmation", "a@example.com", {"key": "k2"}
    )
    assert confirm.startswith("account:email_confirmation:")
    assert "k1" not in confirm.split(":", 2)[2]
    with time_machine.travel(datetime(2026, 11, 2, 9, 0, 5, tzinfo=UTC), tick=False) as clock:
        exists = account_mail_key("account/email/account_already_exists", "a@example.com", {})
        clock.shift(timedelta(seconds=50))
        assert exists == account_mail_key(
            "account/email/account_already_exists", "a@example.com", {}
        )
        clock.shift(timedelta(seconds=10))
        assert exists != account_mail_key(
            "account/email/account_already_exists", "a@example.com", {}
        )
