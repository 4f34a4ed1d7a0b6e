"""The README's chatbot walk-through (``docs/api_walkthrough.py``), step by step through the
API only: a consumer logs a complaint, an agent proposes a resolution, a manager approves it
and the consumer accepts it."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from accounts.models import User
from complaints.models import Category, Complaint, RootCause, Status, Team
from configuration.models import TenantSettings
from docs.api_walkthrough import Person, walk
from tenancy.models import Tenant
from tests.conftest import PASSWORD, current_code


def test_a_chatbot_takes_a_consumer_to_an_accepted_resolution(
    bank: Tenant,
    consumer: User,
    agent: User,
    manager: User,
    category: Category,
    front_line: Team,
) -> None:
    RootCause.objects.create(name="Processing error")
    category.team = front_line
    category.save(update_fields=["team"])
    policy = TenantSettings.current()
    policy.final_response_approval = True
    policy.save(update_fields=["final_response_approval"])
    client = Client(HTTP_HOST=bank.host)

    def send(
        method: str, path: str, token: str | None, body: Any, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        if token:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        if method == "GET":
            response = client.get(path, **extra)
        else:
            response = client.post(path, json.dumps(body), content_type="application/json", **extra)
        return response.status_code, dict(response.headers), response.json()

    closed = walk(
        send,
        Person(consumer.email, PASSWORD),
        Person(agent.email, PASSWORD, current_code()),
        Person(manager.email, PASSWORD, current_code()),
    )

    assert closed["status"] == Status.CLOSED
    complaint = Complaint.objects.get(reference=closed["reference"])
    assert complaint.outcome == "upheld"
    assert complaint.consumer == consumer
    assert "priority" not in closed
