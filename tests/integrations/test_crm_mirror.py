"""The README's CRM walk-through (docs/crm_mirror.py), run as written: an administrator sets
up an API client and a webhook through the API, the CRM logs a complaint with its own token
and mirrors every change of it from the webhooks its real HTTP receiver gets."""

from __future__ import annotations

import importlib.util
import json
import sys
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from accounts.models import User
from complaints.models import Complaint, Outcome, RootCause, Status
from complaints.services import (
    accept_resolution,
    assign_complaint,
    change_status,
    reply_to_complaint,
    resolve_complaint,
)
from integrations import webhooks
from integrations.models import WebhookDelivery
from tenancy.models import Tenant
from tests.conftest import PASSWORD, current_code


def load_walkthrough() -> ModuleType:
    path = Path(settings.BASE_DIR) / "docs" / "crm_mirror.py"
    spec = importlib.util.spec_from_file_location("crm_mirror", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while defined
    spec.loader.exec_module(module)
    return module


def in_process_transport(tenant: Tenant) -> Any:
    """The script's transport, answered by the application in this process (the test's
    transaction holds the data); the webhooks still travel over real HTTP."""

    def call(method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        response = Client(HTTP_HOST=tenant.host, **headers).generic(
            method,
            path,
            json.dumps(body) if body is not None else "",
            content_type="application/json",
        )
        connection.set_tenant(tenant)
        return response.status_code, response.json() if response.content else None

    return call


@pytest.fixture
def walkthrough() -> ModuleType:
    return load_walkthrough()


def test_the_crm_mirrors_every_change_of_a_complaint_from_webhooks(
    walkthrough: ModuleType,
    bank: Tenant,
    tenant_admin: User,
    consumer: User,
    agent: User,
    manager: User,
) -> None:
    call = in_process_transport(bank)
    receiver = walkthrough.Receiver()
    url = receiver.start()
    try:
        credentials = walkthrough.set_up(
            call,
            admin=tenant_admin.email,
            password=PASSWORD,
            otp=current_code(),
            receiver_url=url,
        )
        receiver.secret = credentials["webhook_secret"]
        mirror = walkthrough.CrmMirror(
            call, credentials["client_id"], credentials["client_secret"], receiver
        )
        reference = mirror.log_complaint(consumer.email, "Card taken twice", "Charged twice.")

        # The complaint is worked elsewhere: console, portal, the deadline watch.
        complaint = Complaint.objects.get(reference=reference)
        assign_complaint(complaint, agent, actor=agent)
        reply_to_complaint(complaint, "We are looking into it.", actor=agent)
        change_status(complaint, Status.AWAITING_CONSUMER, actor=agent)
        reply_to_complaint(complaint, "Here is my statement.", actor=consumer)
        resolve_complaint(
            complaint,
            outcome=Outcome.UPHELD,
            summary="We refunded the second payment.",
            root_cause=RootCause.objects.create(name="Process not followed"),
            redress_amount=Decimal("84.20"),
            actor=manager,
        )
        accept_resolution(complaint, actor=consumer)
        webhooks.deliver_due()  # the worker
        applied = mirror.process_pending()

        # Sent again (as after a receiver outage): the same delivery id, applied once.
        again = WebhookDelivery.objects.order_by("id").first()
        assert again is not None
        webhooks.redeliver(again, actor=tenant_admin)
        webhooks.deliver_due()
        assert mirror.process_pending() == []
    finally:
        receiver.stop()

    assert mirror.history[reference] == [
        "complaint.created",
        "complaint.assigned",
        "complaint.status_changed",
        "complaint.status_changed",
        "complaint.status_changed",
        "complaint.consumer_message",
        "complaint.status_changed",
        "complaint.resolved",
        "complaint.status_changed",
        "complaint.closed",
    ]
    assert len(applied) == 10
    status, current = call("GET", f"/api/v1/complaints/{reference}/", None, mirror.token)
    assert status == 200
    assert mirror.complaints[reference] == current
    assert current["status"] == Status.CLOSED
