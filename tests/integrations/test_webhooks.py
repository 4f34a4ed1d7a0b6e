"""Webhooks: queued with the change, signed, retried with back-off, logged, sent again by
hand, disabled after repeated failure, and never carrying internal notes to an endpoint that
is not internal. Deliveries go to a real HTTP receiver on a local port."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test import Client
from django.utils import dateformat, timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from accounts.models import User
from audit.models import AuditEvent
from complaints.models import Complaint, Status
from complaints.services import (
    add_internal_note,
    assign_complaint,
    change_status,
    reply_to_complaint,
    scan_deadlines,
)
from integrations import webhooks
from integrations.addresses import AddressRefused, check_url
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from integrations.webhooks import WebhookError, create_endpoint
from outbox.models import Message
from tests.integrations.receiver import Receiver

ALL_EVENTS = list(WebhookEvent.values)
SETTINGS_URL = "/settings/integrations/webhooks/"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def register(receiver: Receiver, tenant_admin: User) -> Callable[..., WebhookEndpoint]:
    """An endpoint at the receiver for ``events``; the receiver learns its secret."""

    def make(events: list[str] | None = None, *, internal: bool = False) -> WebhookEndpoint:
        endpoint = create_endpoint(
            receiver.url, events or ALL_EVENTS, internal=internal, actor=tenant_admin
        )
        receiver.secret = endpoint.secret
        return endpoint

    return make


def sweep_until_quiet(start: Any, *, rounds: int = 12) -> None:
    """Run the periodic sweep as the worker would, each time after the longest back-off."""
    for round_ in range(rounds):
        with time_machine.travel(start + timedelta(hours=7 * round_), tick=False):
            if not WebhookDelivery.objects.filter(status=WebhookDelivery.Status.PENDING).exists():
                return
            webhooks.deliver_due()


# --- Addresses ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "https://user:pass@example.com/hook",
        "http://10.0.0.5/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:8000/hook",
        "http://0.0.0.0/hook",
        "http://[fc00::1]/hook",
        "https://no-such-host.invalid/hook",
        # IPv6 forms that carry a loopback or private IPv4 address to a translator or tunnel.
        "http://[64:ff9b::7f00:1]/hook",
        "http://[64:ff9b::a00:5]/hook",
        "http://[2002:7f00:1::]/hook",
        "http://[::127.0.0.1]/hook",
        "http://[::ffff:0:127.0.0.1]/hook",
        "http://[::ffff:169.254.169.254]/hook",
    ],
)
def test_urls_that_are_not_public_http_are_refused(
    url: str, settings: SettingsWrapper, tenant_admin: User
) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = False

    with pytest.raises(AddressRefused):
        check_url(url)
    with pytest.raises(WebhookError):
        create_endpoint(url, ALL_EVENTS, internal=False, actor=tenant_admin)


def test_loopback_is_allowed_only_by_the_setting(settings: SettingsWrapper) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    with pytest.raises(AddressRefused, match="private or local"):
        check_url("http://127.0.0.1:8080/hook")

    settings.WEBHOOK_ALLOW_LOOPBACK = True
    target = check_url("http://127.0.0.1:8080/hook?x=1")

    assert (target.address, target.port, target.path) == ("127.0.0.1", 8080, "/hook?x=1")


def test_a_delivery_to_an_address_refused_since_is_not_sent(
    register: Callable[..., WebhookEndpoint],
    receiver: Receiver,
    complaint: Complaint,
    manager: User,
    settings: SettingsWrapper,
) -> None:
    register()
    change_status(complaint, Status.OPEN, actor=manager)
    settings.WEBHOOK_ALLOW_LOOPBACK = False

    webhooks.deliver_due()

    assert receiver.received == []
    assert set(WebhookDelivery.objects.values_list("last_error", flat=True)) == {"AddressRefused"}


# --- Queued with the change ---------------------------------------------------------------------


def test_each_change_queues_one_delivery_per_endpoint_and_event_it_chose(
    register: Callable[..., WebhookEndpoint],
    make_complaint: Callable[..., Complaint],
    manager: User,
    tenant_admin: User,
) -> None:
    everything = register()
    closing = register([WebhookEvent.RESOLVED, WebhookEvent.CLOSED])
    switched_off = register()
    webhooks.set_enabled(switched_off, False, actor=tenant_admin)

    complaint = make_complaint()
    change_status(complaint, Status.OPEN, actor=manager)

    queued = Counter(WebhookDelivery.objects.values_list("endpoint_id", "event_type"))
    assert queued == {
        (everything.pk, WebhookEvent.CREATED): 1,
        (everything.pk, WebhookEvent.STATUS_CHANGED): 1,
    }
    assert not WebhookDelivery.objects.filter(endpoint__in=[closing, switched_off]).exists()


def test_a_change_that_rolls_back_queues_nothing(
    register: Callable[..., WebhookEndpoint], complaint: Complaint, manager: User
) -> None:
    register()
    before = WebhookDelivery.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        change_status(complaint, Status.OPEN, actor=manager)
        assert WebhookDelivery.objects.count() == before + 1
        raise RuntimeError("the request failed after the change")

    assert WebhookDelivery.objects.count() == before


def test_every_webhook_event_is_recognised(
    register: Callable[..., WebhookEndpoint],
    make_complaint: Callable[..., Complaint],
    consumer: User,
    agent: User,
    manager: User,
    front_line: Any,
) -> None:
    register()
    complaint = make_complaint()
    complaint.team = front_line
    complaint.save(update_fields=["team"])
    assign_complaint(complaint, agent, actor=agent)
    change_status(complaint, Status.AWAITING_CONSUMER, actor=agent)
    reply_to_complaint(complaint, "Here is my bank statement.", actor=consumer)
    add_internal_note(complaint, "Staff-only remark", actor=agent)
    from complaints.models import Outcome, RootCause
    from complaints.services import accept_resolution, resolve_complaint

    resolve_complaint(
        complaint,
        outcome=Outcome.UPHELD,
        summary="Refunded.",
        root_cause=RootCause.objects.create(name="Process not followed"),
        actor=manager,
    )
    accept_resolution(complaint, actor=consumer)
    waiting = make_complaint()
    first_due = waiting.deadlines.open().order_by("due_at").first()
    with time_machine.travel(first_due.due_at - timedelta(minutes=1), tick=False):
        scan_deadlines()
    with time_machine.travel(timezone.now() + timedelta(days=120), tick=False):
        scan_deadlines()

    types = set(WebhookDelivery.objects.values_list("event_type", flat=True))
    assert types == set(WebhookEvent.values)


# --- Delivery to a real receiver ------------------------------------------------------------------


def test_receiver_verifies_signatures_sees_retries_and_each_event_once_per_delivery_id(
    register: Callable[..., WebhookEndpoint],
    receiver: Receiver,
    complaint: Complaint,
    manager: User,
) -> None:
    endpoint = register()
    change_status(complaint, Status.OPEN, actor=manager)
    change_status(complaint, Status.AWAITING_CONSUMER, actor=manager)
    receiver.failures_to_give = 3
    start = timezone.now()

    sweep_until_quiet(start)

    answers = Counter(item.answered for item in receiver.received)
    assert answers == {500: 3, 200: 2}, "signatures checked; three 500s, then both accepted"
    deliveries = list(WebhookDelivery.objects.filter(endpoint=endpoint))
    assert len(deliveries) == 2
    assert all(row.status == WebhookDelivery.Status.SENT for row in deliveries)
    assert set(receiver.processed) == {str(row.delivery_id) for row in deliveries}
    # The retried delivery arrived several times under one id and was processed once.
    retried = Counter(item.delivery_id for item in receiver.received)
    assert sorted(retried.values()) == [1, 4] or sorted(retried.values()) == [2, 3]
    events = [body["id"] for body in receiver.processed.values()]
    assert len(events) == len(set(events))
    log = [
        (attempt.number, attempt.status_code, attempt.succeeded)
        for row in deliveries
        for attempt in row.attempt_log.order_by("number")
    ]
    assert sorted(code for _, code, _ in log) == [200, 200, 500, 500, 500]
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0


def test_retries_wait_longer_each_time(
    register: Callable[..., WebhookEndpoint],
    receiver: Receiver,
    complaint: Complaint,
    manager: User,
) -> None:
    register([WebhookEvent.STATUS_CHANGED])
    change_status(complaint, Status.OPEN, actor=manager)
    receiver.always_fail = True
    delivery = WebhookDelivery.objects.get()
    waits = []
    moment = timezone.now()
    for _ in range(4):
        with time_machine.travel(moment, tick=False):
            webhooks.deliver_due()
            delivery.refresh_from_db()
            waits.append((delivery.next_attempt_at - moment).total_seconds())
            moment = delivery.next_attempt_at

    assert waits == [30, 60, 120, 240]


def test_a_tampered_or_replayed_delivery_is_refused_by_the_receiver(
    register: Callable[..., WebhookEndpoint],
    receiver: Receiver,
    complaint: Complaint,
    manager: User,
) -> None:
    endpoint = register([WebhookEvent.STATUS_CHANGED])
    change_status(complaint, Status.OPEN, actor=manager)
    body = b'{"id":"forged"}'
    timestamp = int(timezone.now().timestamp())
    signature = webhooks.sign(endpoint.secret, timestamp, body)

    assert receiver.verify(
        {"Complaints-Timestamp": str(timestamp), "Complaints-Signature": signature}, body
    )
    assert not receiver.verify(
        {"Complaints-Timestamp": str(timestamp), "Complaints-Signature": signature}, body + b" "
    )
    assert not receiver.verify(
        {
            "Complaints-Timestamp": str(timestamp - 3600),
            "Complaints-Signature": webhooks.sign(endpoint.secret, timestamp - 3600, body),
        },
        body,
    )


def test_an_endpoint_that_keeps_failing_is_disabled_and_the_admins_are_emailed(
    register: Callable[..., WebhookEndpoint],
    receiver: Receiver,
    complaint: Complaint,
    manager: User,
    tenant_admin: User,
    settings: SettingsWrapper,
) -> None:
    settings.WEBHOOK_DISABLE_AFTER = 3
    endpoint = register([WebhookEvent.STATUS_CHANGED])
    receiver.always_fail = True
    change_status(complaint, Status.OPEN, actor=manager)
    change_status(complaint, Status.AWAITING_CONSUMER, actor=manager)

    sweep_until_quiet(timezone.now(), rounds=4)

    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    assert len(receiver.received) == 3
    mail = Message.objects.get(recipient=tenant_admin.email)
    assert mail.subject == "A webhook endpoint was disabled"
    assert endpoint.url in mail.body
    # Disabled: nothing more is queued or sent.
    change_status(complaint, Status.OPEN, actor=manager)
    assert WebhookDelivery.objects.count() == 2
    sweep_until_quiet(timezone.now() + timedelta(days=2), rounds=2)
    assert len(receiver.received) == 3


# --- What a payload holds -----------------------------------------------------------------------------


def test_internal_entries_reach_only_internal_endpoints(
    register: Callable[..., WebhookEndpoint],
    make_complaint: Callable[..., Complaint],
    consumer: User,
    agent: User,
    front_line: Any,
) -> None:
    events = [WebhookEvent.DEADLINE_BREACHED, WebhookEvent.ASSIGNED, WebhookEvent.CREATED]
    outside = register(events)
    inside = register(events, internal=True)
    complaint = make_complaint()
    complaint.team = front_line
    complaint.save(update_fields=["team"])
    assign_complaint(complaint, agent, actor=agent)
    add_internal_note(complaint, "Zanzibar: staff-only remark", actor=agent)
    with time_machine.travel(timezone.now() + timedelta(days=120), tick=False):
        scan_deadlines()

    def payloads(endpoint: WebhookEndpoint) -> dict[str, dict[str, Any]]:
        rows = WebhookDelivery.objects.filter(endpoint=endpoint, reference=complaint.reference)
        return {row.event_type: row.payload for row in rows.order_by("id")}

    outer, inner = payloads(outside), payloads(inside)
    assert set(outer) == set(inner) == set(events)
    assert "internal_note" not in outer[WebhookEvent.DEADLINE_BREACHED]
    assert "deadline was missed" in inner[WebhookEvent.DEADLINE_BREACHED]["internal_note"]
    assert "assignee" not in outer[WebhookEvent.ASSIGNED]
    assert inner[WebhookEvent.ASSIGNED]["assignee"] == agent.display_name
    everything = repr(outer) + repr(inner)
    for personal in (consumer.email, consumer.full_name, "Zanzibar"):
        assert personal not in everything
    assert agent.display_name not in repr(outer)


def test_a_consumers_message_carries_its_text_and_a_staff_reply_is_no_event(
    register: Callable[..., WebhookEndpoint],
    complaint: Complaint,
    consumer: User,
    manager: User,
) -> None:
    register([WebhookEvent.CONSUMER_MESSAGE])

    reply_to_complaint(complaint, "Staff reply.", actor=manager)
    reply_to_complaint(complaint, "My statement is attached.", actor=consumer)

    (delivery,) = WebhookDelivery.objects.all()
    assert delivery.payload["message"] == {"body": "My statement is attached."}
    assert delivery.payload["change"]["by"] == "consumer"


# --- The admin's pages ---------------------------------------------------------------------------------


def test_admin_registers_an_endpoint_and_sees_its_secret_once(
    admin_client: Client, receiver: Receiver
) -> None:
    response = admin_client.post(
        SETTINGS_URL,
        {"url": receiver.url, "events": [WebhookEvent.CREATED, WebhookEvent.CLOSED]},
    )

    assert response.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.encode() in response.content
    assert endpoint.internal is False
    assert endpoint.secret.encode() not in admin_client.get(SETTINGS_URL).content


def test_the_page_refuses_a_private_address_with_the_form(
    admin_client: Client, settings: SettingsWrapper
) -> None:
    settings.WEBHOOK_ALLOW_LOOPBACK = False
    response = admin_client.post(
        SETTINGS_URL, {"url": "http://127.0.0.1/hook", "events": [WebhookEvent.CREATED]}
    )

    assert response.status_code == 400
    assert b"private or local address" in response.content
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("who", ["manager_client", "agent_client", "consumer_client"])
def test_only_admins_manage_webhooks(who: str, request: pytest.FixtureRequest) -> None:
    browser: Client = request.getfixturevalue(who)

    assert browser.get(SETTINGS_URL).status_code == 403


def test_admin_reads_the_delivery_log_and_sends_a_delivery_again(
    admin_client: Client,
    register: Callable[..., WebhookEndpoint],
    receiver: Receiver,
    complaint: Complaint,
    manager: User,
    settings: SettingsWrapper,
) -> None:
    settings.WEBHOOK_DISABLE_AFTER = 100
    endpoint = register([WebhookEvent.STATUS_CHANGED])
    change_status(complaint, Status.OPEN, actor=manager)
    receiver.always_fail = True
    sweep_until_quiet(timezone.now())
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    page = admin_client.get(f"{SETTINGS_URL}{endpoint.pk}/")
    assert page.status_code == 200
    assert str(delivery.delivery_id).encode() in page.content
    assert b"500" in page.content
    first = delivery.attempt_log.order_by("number").first()
    assert first is not None
    tried = dateformat.format(
        timezone.localtime(first.at, ZoneInfo("Europe/London")), "j M Y, H:i:s"
    )
    assert f"#1 {tried}: 500".encode() in page.content
    receiver.always_fail = False

    response = admin_client.post(
        f"{SETTINGS_URL}{endpoint.pk}/deliveries/{delivery.pk}/redeliver/",
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert f'id="delivery-{delivery.pk}"'.encode() in response.content
    webhooks.deliver_due()

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SENT
    assert receiver.received[-1].delivery_id == str(delivery.delivery_id)
    assert list(receiver.processed) == [str(delivery.delivery_id)]


def test_admin_disables_enables_and_removes_an_endpoint(
    admin_client: Client, register: Callable[..., WebhookEndpoint]
) -> None:
    endpoint = register()
    base = f"{SETTINGS_URL}{endpoint.pk}/"

    assert admin_client.post(f"{base}disable/").status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    assert admin_client.post(f"{base}enable/").status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is None
    assert admin_client.post(f"{base}explode/").status_code == 404
    assert admin_client.post(f"{base}remove/").status_code == 302
    assert not WebhookEndpoint.objects.exists()


# --- The same through the API, for admins ----------------------------------------------------------

API_URL = "/api/v1/integrations/webhooks/"


def test_admin_manages_webhooks_through_the_api(
    admin_api: Client, receiver: Receiver, complaint: Complaint, manager: User
) -> None:
    from tests.api.conftest import post_json

    created = post_json(
        admin_api, API_URL, {"url": receiver.url, "events": [WebhookEvent.STATUS_CHANGED]}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    receiver.secret = body["secret"]
    assert "secret" not in admin_api.get(f"{API_URL}{body['id']}/").json()
    change_status(complaint, Status.OPEN, actor=manager)
    receiver.failures_to_give = 1
    webhooks.deliver_due()

    log = admin_api.get(f"{API_URL}{body['id']}/deliveries/").json()
    assert [(row["status"], row["last_status_code"]) for row in log] == [("pending", 500)]
    assert log[0]["attempts"][0]["status_code"] == 500
    redeliver = f"{API_URL}{body['id']}/deliveries/{log[0]['delivery_id']}/redeliver/"
    again = admin_api.post(
        redeliver, content_type="application/json", HTTP_IDEMPOTENCY_KEY="redeliver-1"
    )
    assert again.status_code == 202
    webhooks.deliver_due()
    retried = admin_api.post(
        redeliver, content_type="application/json", HTTP_IDEMPOTENCY_KEY="redeliver-1"
    )
    assert (retried.status_code, retried["Idempotent-Replayed"]) == (202, "true")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.WEBHOOK_REDELIVERED).count() == 1
    webhooks.deliver_due()
    assert list(receiver.processed) == [log[0]["delivery_id"]]
    assert admin_api.delete(f"{API_URL}{body['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_webhook_api_refuses_private_urls_and_other_roles(
    admin_api: Client, manager_api: Client, settings: SettingsWrapper
) -> None:
    from tests.api.conftest import post_json

    settings.WEBHOOK_ALLOW_LOOPBACK = False
    refused = post_json(
        admin_api, API_URL, {"url": "http://127.0.0.1/x", "events": [WebhookEvent.CREATED]}
    )

    assert refused.status_code == 400
    assert "url" in refused.json()["errors"]
    assert manager_api.get(API_URL).status_code == 403
    assert admin_api.get(f"{API_URL}999999/").status_code == 404
