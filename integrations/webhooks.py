"""Webhooks: events of complaint changes, queued with the change, delivered signed.

Every change passes through the gate (``complaints.services.gate``), which calls
``queue_webhooks`` inside its transaction: one ``WebhookDelivery`` row per enabled endpoint
and event it asked for, committed or rolled back with the change itself. After commit a task
delivers each row; a periodic sweep retries with back-off and picks up what a broker outage
left. Each POST is signed: ``Complaints-Signature: sha256=<hex>`` is the HMAC-SHA256, with
the endpoint's secret, of ``<Complaints-Timestamp>.<body>``, so a receiver can check the
sender and refuse an old timestamp (a replay); ``Complaints-Delivery`` stays the same over
retries, so it can also drop a delivery it already processed.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import time
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.models import Role, User
from audit.models import AuditEvent
from audit.services import record_event
from complaints.models import Event, Status
from complaints.services.gate import Change
from configuration.cache import TenantCached
from integrations.addresses import AddressRefused, check_url, post
from integrations.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from outbox.services import claim_due, enqueue_email, publish_task, record_result
from tenancy import current

logger = logging.getLogger(__name__)

DELIVERY_BATCH = 10
SIGNATURE_HEADER = "Complaints-Signature"
TIMESTAMP_HEADER = "Complaints-Timestamp"
DELIVERY_HEADER = "Complaints-Delivery"
EVENT_HEADER = "Complaints-Event"
EVENT_NAMESPACE = uuid.UUID("6f1c2b1e-8d7a-4c1e-9a57-0b6d1e2f3a40")


class WebhookError(Exception):
    """A refused change to a webhook endpoint; the message is meant for the admin."""


# --- Which endpoints, which events ----------------------------------------------------------


def _read_endpoints() -> list[tuple[int, list[str], bool]]:
    """(id, events, internal) of the current tenant's enabled endpoints, from the database."""
    return [
        (pk, list(events), internal)
        for pk, events, internal in WebhookEndpoint.objects.filter(disabled_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "events", "internal")
    ]


# Kept in the tenant's configuration cache; every change to an endpoint (its save or
# deletion, or a service's bulk update through ``forget_endpoints``) forgets it.
ENDPOINTS: TenantCached[list[tuple[int, list[str], bool]]] = TenantCached(
    "webhook-endpoints", _read_endpoints
)
ENDPOINTS.forget_on_change(WebhookEndpoint)


def _endpoints() -> list[tuple[int, frozenset[str], bool]]:
    """(id, events, internal) of the current tenant's enabled endpoints, cached or read."""
    return [(pk, frozenset(events), internal) for pk, events, internal in ENDPOINTS.get()]


def forget_endpoints() -> None:
    """Drop the cached endpoint list now and again after commit."""
    ENDPOINTS.forget()


def event_types(change: Change) -> list[WebhookEvent]:
    """The webhook events one complaint change is, in the order they are sent."""
    event = change.event
    if event is None:
        return []
    types: list[WebhookEvent] = []
    if event.kind == Event.Kind.SUBMITTED:
        types.append(WebhookEvent.CREATED)
    elif event.to_status:
        types.append(WebhookEvent.STATUS_CHANGED)
        if event.to_status == Status.RESOLVED:
            types.append(WebhookEvent.RESOLVED)
        elif event.to_status == Status.CLOSED:
            types.append(WebhookEvent.CLOSED)
    if event.kind == Event.Kind.REPLY and change.by_consumer:
        types.append(WebhookEvent.CONSUMER_MESSAGE)
    elif event.kind == Event.Kind.ASSIGNED:
        types.append(WebhookEvent.ASSIGNED)
    elif event.kind == Event.Kind.DEADLINE:
        state = (event.data or {}).get("state")
        if state == "at_risk":
            types.append(WebhookEvent.DEADLINE_AT_RISK)
        elif state == "breached":
            types.append(WebhookEvent.DEADLINE_BREACHED)
    return types


def _actor_kind(change: Change) -> str:
    if change.by_consumer:
        return "consumer"
    role = getattr(change.actor, "role", None)
    if role is None:
        return "system"
    return "api_client" if role == Role.CLIENT else "staff"


def build_payload(
    change: Change, event_type: WebhookEvent, event_id: uuid.UUID, *, internal: bool
) -> dict[str, Any]:
    """What an endpoint is told of one event: the complaint's reference and state and what
    the event itself needs (the consumer's message, the deadline), never the consumer's
    identity; internal entries (notes, alerts, staff names) only for ``internal`` endpoints.
    Fetch the rest through the API with the reference."""
    complaint, event = change.complaint, change.event
    assert event is not None
    payload: dict[str, Any] = {
        "id": str(event_id),
        "type": str(event_type),
        "occurred_at": event.created_at.isoformat(),
        "complaint": {
            "reference": complaint.reference,
            "status": complaint.status,
            "priority": complaint.priority,
            "channel": complaint.channel,
            "category_id": complaint.category_id,
            "team_id": complaint.team_id,
            "received_at": complaint.received_at.isoformat(),
            "updated_at": complaint.updated_at.isoformat(),
        },
        "change": {
            "from_status": event.from_status or None,
            "to_status": event.to_status or None,
            "by": _actor_kind(change),
        },
    }
    if event_type == WebhookEvent.CONSUMER_MESSAGE:
        payload["message"] = {"body": event.body}
    if event_type in (WebhookEvent.DEADLINE_AT_RISK, WebhookEvent.DEADLINE_BREACHED):
        payload["deadline"] = {"clock": event.data.get("clock"), "state": event.data.get("state")}
    if internal:
        if event.is_internal and event.body:
            payload["internal_note"] = event.body
        if event_type == WebhookEvent.ASSIGNED:
            payload["assignee"] = event.data.get("assignee") or None
    return payload


def queue_webhooks(change: Change) -> None:
    """The gate's observer: queue one delivery per enabled endpoint and event it chose, in
    the change's transaction. The endpoint list is cached, so a change no endpoint wants
    costs no query."""
    types = event_types(change)
    if not types:
        return
    wanted = [
        (pk, events, internal) for pk, events, internal in _endpoints() if events & set(types)
    ]
    if not wanted:
        return
    assert change.event is not None
    schema = current.schema_name()
    rows = []
    for event_type in types:
        event_id = uuid.uuid5(EVENT_NAMESPACE, f"{schema}:{change.event.pk}:{event_type}")
        for pk, events, internal in wanted:
            if event_type in events:
                rows.append(
                    WebhookDelivery(
                        endpoint_id=pk,
                        event_id=event_id,
                        event_type=event_type,
                        reference=change.complaint.reference,
                        payload=build_payload(change, event_type, event_id, internal=internal),
                    )
                )
    created = WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    ids = [row.delivery_id for row in created]
    transaction.on_commit(lambda: _publish(ids, schema))


def _publish(delivery_ids: Iterable[uuid.UUID], schema: str) -> None:
    from integrations.tasks import deliver_webhook

    for delivery_id in delivery_ids:
        publish_task(
            deliver_webhook, str(delivery_id), schema=schema, label="integrations.deliver_webhook"
        )


# --- Delivery --------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value: ``sha256=`` and the hex HMAC-SHA256 of
    ``<timestamp>.<body>`` keyed with the endpoint's secret (``timestamp`` in Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def _post(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST one delivery now; (status code or None, error class or "")."""
    endpoint = delivery.endpoint
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(timezone.now().timestamp())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Complaints-Webhooks/1.0",
        DELIVERY_HEADER: str(delivery.delivery_id),
        EVENT_HEADER: delivery.event_type,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
    }
    try:
        target = check_url(endpoint.url)
        return post(target, body, headers, timeout=settings.WEBHOOK_TIMEOUT), ""
    except AddressRefused:
        return None, "AddressRefused"
    except (OSError, http.client.HTTPException) as error:
        return None, type(error).__name__


def send_claimed(deliveries: list[WebhookDelivery]) -> int:
    """POST claimed deliveries outside any transaction and record each attempt; returns how
    many were accepted (any 2xx answer)."""
    accepted = 0
    for delivery in deliveries:
        if not delivery.endpoint.is_enabled:
            # Disabled by an earlier failure of this batch: handed back untried.
            WebhookDelivery.objects.filter(pk=delivery.pk, claim=delivery.claim).update(
                claim=None, claimed_until=None, attempts=F("attempts") - 1
            )
            continue
        started = time.monotonic()
        status_code, error = _post(delivery)
        duration_ms = int((time.monotonic() - started) * 1000)
        succeeded = status_code is not None and 200 <= status_code < 300
        if not succeeded and not error:
            error = f"HTTP {status_code}"
        _record(delivery, status_code, error, duration_ms, succeeded)
        accepted += succeeded
    return accepted


def _record(
    delivery: WebhookDelivery,
    status_code: int | None,
    error: str,
    duration_ms: int,
    succeeded: bool,
) -> None:
    with transaction.atomic():
        recorded = record_result(
            delivery,
            error=None if succeeded else error,
            max_attempts=WebhookDelivery.MAX_ATTEMPTS,
            backoff=WebhookDelivery.backoff(delivery.attempts),
            last_status_code=status_code,
        )
        if not recorded:
            return
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            at=timezone.now(),
            status_code=status_code,
            duration_ms=duration_ms,
            error=error,
            succeeded=succeeded,
        )
        endpoints = WebhookEndpoint.objects.filter(pk=delivery.endpoint_id)
        if succeeded:
            endpoints.update(consecutive_failures=0)
            return
        endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
        endpoint = endpoints.select_for_update().get()
        if endpoint.is_enabled and endpoint.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER:
            _disable_after_failures(endpoint)
            # The batch's other deliveries to it share this instance and are not sent.
            delivery.endpoint.disabled_at = endpoint.disabled_at
    logger.warning(
        "webhook delivery %s failed (attempt %s, %s)", delivery.pk, delivery.attempts, error
    )


def _disable_after_failures(endpoint: WebhookEndpoint) -> None:
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = f"{endpoint.consecutive_failures} failed deliveries in a row."
    endpoint.save(update_fields=["disabled_at", "disabled_reason"])
    forget_endpoints()
    record_event(
        AuditEvent.Action.WEBHOOK_DISABLED,
        target=endpoint.url[:200],
        reason=endpoint.disabled_reason,
    )
    tenant = current.tenant()
    for admin in User.objects.filter(role=Role.ADMIN, is_active=True):
        enqueue_email(
            key=f"webhook-disabled:{endpoint.pk}:{endpoint.disabled_at:%Y%m%dT%H%M%S%f}:{admin.pk}",
            recipient=admin.email,
            subject="A webhook endpoint was disabled",
            body=(
                f"The webhook endpoint {endpoint.url} of {tenant.name} failed "
                f"{endpoint.consecutive_failures} deliveries in a row and was disabled. Its "
                "events are no longer sent. Check the receiver, then enable it again on the "
                f"Webhooks settings page: {tenant.base_url}/settings/integrations/webhooks/"
            ),
        )


def deliver(delivery_id: str) -> bool:
    """Deliver one pending delivery now (the task queued after commit); True when accepted."""
    delivery = WebhookDelivery.objects.filter(delivery_id=delivery_id).only("pk").first()
    if delivery is None:
        return False
    claimed = claim_due(
        WebhookDelivery,
        lease=WebhookDelivery.LEASE,
        limit=1,
        pk=delivery.pk,
        among=Q(endpoint__disabled_at__isnull=True),
    )
    return send_claimed(_with_endpoints(claimed)) == 1


def deliver_due(limit: int = 200) -> int:
    """Deliver up to ``limit`` due deliveries of enabled endpoints (retries, expired claims,
    what a broker outage left); returns how many were accepted."""
    accepted = 0
    remaining = limit
    while remaining > 0:
        batch = claim_due(
            WebhookDelivery,
            lease=WebhookDelivery.LEASE,
            limit=min(DELIVERY_BATCH, remaining),
            among=Q(endpoint__disabled_at__isnull=True),
        )
        if not batch:
            break
        remaining -= len(batch)
        accepted += send_claimed(_with_endpoints(batch))
    return accepted


def _with_endpoints(deliveries: list[WebhookDelivery]) -> list[WebhookDelivery]:
    endpoints = WebhookEndpoint.objects.in_bulk({row.endpoint_id for row in deliveries})
    for row in deliveries:
        row.endpoint = endpoints[row.endpoint_id]
    return deliveries


# --- Endpoints, by admins ----------------------------------------------------------------------


def create_endpoint(
    url: str, events: Iterable[str], *, internal: bool, description: str = "", actor: User
) -> WebhookEndpoint:
    """Register an endpoint; its signing secret is on the returned row. Raises
    ``WebhookError`` for a URL a webhook may not reach or no events."""
    chosen = sorted(set(events))
    if not chosen or not set(chosen) <= set(WebhookEvent.values):
        raise WebhookError("Choose at least one of the events offered.")
    try:
        check_url(url.strip())
    except AddressRefused as error:
        raise WebhookError(str(error)) from error
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            url=url.strip(),
            events=chosen,
            internal=internal,
            description=" ".join(description.split())[:100],
            secret=WebhookEndpoint.new_secret(),
            created_by=actor,
        )
        record_event(
            AuditEvent.Action.WEBHOOK_CREATED,
            actor=actor,
            target=endpoint.url[:200],
            events=chosen,
            internal=internal,
        )
        forget_endpoints()
    return endpoint


def remove_endpoint(endpoint: WebhookEndpoint, *, actor: User) -> None:
    """Delete an endpoint with its pending deliveries and log."""
    with transaction.atomic():
        record_event(AuditEvent.Action.WEBHOOK_REMOVED, actor=actor, target=endpoint.url[:200])
        endpoint.delete()
        forget_endpoints()


def set_enabled(endpoint: WebhookEndpoint, enabled: bool, *, actor: User) -> None:
    """Enable (its failure count starts again; waiting deliveries go out) or disable."""
    with transaction.atomic():
        endpoint.disabled_at = None if enabled else timezone.now()
        endpoint.disabled_reason = "" if enabled else f"Disabled by {actor.display_name}."
        endpoint.consecutive_failures = 0 if enabled else endpoint.consecutive_failures
        endpoint.save(update_fields=["disabled_at", "disabled_reason", "consecutive_failures"])
        record_event(
            AuditEvent.Action.WEBHOOK_ENABLED if enabled else AuditEvent.Action.WEBHOOK_DISABLED,
            actor=actor,
            target=endpoint.url[:200],
        )
        forget_endpoints()
        if enabled:
            # Deliveries that were waiting go out now, each with a fresh set of attempts.
            endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
                next_attempt_at=timezone.now(), attempts=0
            )


def redeliver(delivery: WebhookDelivery, *, actor: User) -> None:
    """Send a delivery again (same delivery id, fresh attempts), e.g. after a receiver's bug
    was fixed; goes out at once, or when its endpoint is enabled again."""
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            claim=None,
            claimed_until=None,
        )
        record_event(
            AuditEvent.Action.WEBHOOK_REDELIVERED,
            actor=actor,
            target=delivery.endpoint.url[:200],
            delivery=str(delivery.delivery_id),
        )
        schema = current.schema_name()
        transaction.on_commit(lambda: _publish([delivery.delivery_id], schema))
