"""Writing e-mails to the outbox and delivering them.

Delivery never holds a lock or a transaction while the mail server is talking: a worker
claims a batch in one short transaction (``select_for_update(skip_locked=True)`` plus a
lease in ``claimed_until``), commits, sends, then records each result in another short
transaction. Concurrent workers therefore never claim the same message; a worker that dies
mid-batch leaves claims that run out after ``Message.LEASE``, and the sweep retries them.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from email.utils import formataddr
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.dispatch import Signal
from django.template.loader import render_to_string
from django.utils import timezone
from django_tenants.utils import get_public_schema_name
from prometheus_client import Counter

from configuration.models import TenantSettings
from outbox.models import Message, QueuedDelivery
from tenancy import current

logger = logging.getLogger(__name__)

PUBLISH_FAILURES = Counter(
    "complaints_task_publish_failures",
    "Tasks that could not be published after commit (the periodic sweep catches up).",
    ["task"],
)

# Sent once a message is settled: delivered (``delivered=True``) or failed for good
# (``delivered=False``), with the ``message`` as recorded. Apps above the outbox listen to it
# (a required letter counts only once delivered).
message_settled = Signal()

Row = TypeVar("Row", bound=QueuedDelivery)

# Messages one worker claims at a time; with EMAIL_TIMEOUT this bounds how long a claim is
# needed, which Message.LEASE must exceed.
DELIVERY_BATCH = 10


# Inside deliveries_held(), queued messages wait for deliver_due() instead of a task each.
_deliveries_held: ContextVar[bool] = ContextVar("outbox_deliveries_held", default=False)


@contextmanager
def deliveries_held() -> Iterator[None]:
    """Queue e-mails without asking a worker to deliver each one after commit.

    For bulk work (the demo data): the caller then delivers the lot in batches with
    ``deliver_due()``, or leaves them to the periodic sweep.
    """
    token = _deliveries_held.set(True)
    try:
        yield
    finally:
        _deliveries_held.reset(token)


@dataclass(frozen=True)
class Brand:
    """Who an e-mail is from: the organisation's name and its brand colour (``#rrggbb``)."""

    name: str
    colour: str


# As the platform console names itself.
PLATFORM_NAME = "Complaints platform"


def current_brand() -> Brand:
    """The branding of the schema the connection is in; the platform has no settings row."""
    if current.schema_name() == get_public_schema_name():
        return Brand(name=PLATFORM_NAME, colour=TenantSettings().primary_colour)
    branding = TenantSettings.current()
    return Brand(
        name=branding.display_name or current.tenant().name, colour=branding.primary_colour
    )


def enqueue_email(
    *, key: str, recipient: str, subject: str, body: str, fresh: bool = False
) -> Message:
    """Queue an e-mail in the current transaction; the same ``key`` is only ever queued once.

    The message is rendered now, in the current tenant's branding: sent from the
    organisation's name at DEFAULT_FROM_EMAIL, the plain text signed with that name, and an
    HTML alternative in its brand colour. Once the transaction commits, a task delivers it
    in the schema that queued it. A ``fresh`` key (named after a row this transaction just
    created) is inserted without looking for it first; the key's unique constraint still
    refuses a second one.
    """
    brand = current_brand()
    context = {"body": body.rstrip(), "subject": subject, "brand": brand}
    fields = {
        "recipient": recipient,
        # Collapse whitespace: a display name never spans header lines.
        "from_email": formataddr((" ".join(brand.name.split()), settings.DEFAULT_FROM_EMAIL)),
        "subject": " ".join(subject.split())[:300],
        "body": render_to_string("outbox/email.txt", context),
        "html_body": render_to_string("outbox/email.html", context),
    }
    if fresh:
        message, created = Message.objects.create(key=key[:200], **fields), True
    else:
        message, created = Message.objects.get_or_create(key=key[:200], defaults=fields)
    if created and not _deliveries_held.get():
        schema = current.schema_name()
        transaction.on_commit(lambda: publish_delivery(message.pk, schema=schema))
    return message


def publish_delivery(message_id: int, *, schema: str) -> bool:
    """Ask a worker to deliver one message of ``schema`` now; False when the broker refused."""
    from outbox.tasks import deliver_message

    return publish_task(deliver_message, message_id, schema=schema, label="outbox.deliver_message")


def publish_task(task: Any, *args: Any, schema: str, label: str) -> bool:
    """Publish ``task(*args)`` to run in ``schema``; False when the broker refused it.

    ``label`` names the task in the publish-failure metric.
    Runs after the change that queued an outbox row committed, so it never raises: an
    unreachable broker is logged and counted, and the periodic sweep delivers the row a
    minute or so later instead. The committed change is answered as a success either way.
    """
    try:
        task.apply_async(args, headers={"_schema_name": schema})
    except Exception as error:
        PUBLISH_FAILURES.labels(label).inc()
        logger.warning(
            "could not publish %s%s (%s); the sweep will do it",
            label,
            args,
            type(error).__name__,
        )
        return False
    return True


def claim_due(
    model: type[Row],
    *,
    lease: timedelta,
    limit: int,
    pk: int | None = None,
    among: Q | None = None,
) -> list[Row]:
    """Claim up to ``limit`` outbox rows of ``model`` for this worker in one short transaction,
    and commit; the rule every outbox of the product follows.

    Without ``pk``, due rows are claimed oldest first; with it, that one row if it is pending
    and unclaimed, whatever its next attempt time. ``among`` narrows the candidates. Rows
    another worker is claiming are skipped, never waited for. A claim holds for ``lease`` and
    counts as an attempt.
    """
    claim = uuid.uuid4()
    with transaction.atomic():
        now = timezone.now()
        rows = model.objects  # type: ignore[attr-defined]
        candidates = rows.due(now) if pk is None else rows.claimable(now).filter(pk=pk)
        if among is not None:
            candidates = candidates.filter(among)
        ids = list(
            candidates.select_for_update(skip_locked=True, of=("self",))
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        rows.filter(pk__in=ids).update(
            claim=claim, claimed_until=now + lease, attempts=F("attempts") + 1
        )
    return list(rows.filter(pk__in=ids).order_by("next_attempt_at", "id"))


def record_result(
    row: QueuedDelivery,
    *,
    error: str | None,
    max_attempts: int,
    backoff: timedelta,
    **columns: Any,
) -> bool:
    """Record one claimed attempt, only while this worker's claim still holds: sent when
    ``error`` is None, else the error (pending again after ``backoff``, failed for good once
    ``max_attempts`` are used). ``columns`` are written too. Updates ``row``; False when the
    claim was lost (another worker took the row after the lease ran out).
    """
    now = timezone.now()
    if error is None:
        values: dict[str, Any] = {"status": QueuedDelivery.Status.SENT, "sent_at": now}
    else:
        failed = row.attempts >= max_attempts
        values = {
            "status": QueuedDelivery.Status.FAILED if failed else QueuedDelivery.Status.PENDING,
            "last_error": error[:200],
            "next_attempt_at": now + backoff,
        }
    values.update(columns)
    recorded = (
        type(row)
        ._default_manager.filter(pk=row.pk, claim=row.claim)
        .update(claim=None, claimed_until=None, **values)
    )
    if recorded:
        for name, value in values.items():
            setattr(row, name, value)
    return bool(recorded)


def claim_messages(*, message_id: int | None = None, limit: int = DELIVERY_BATCH) -> list[Message]:
    """Claim up to ``limit`` e-mails (``claim_due``); with ``message_id``, that one."""
    return claim_due(Message, lease=Message.LEASE, limit=limit, pk=message_id)


def send_claimed(messages: list[Message]) -> int:
    """Send claimed messages over one mail connection, outside any transaction; returns how many were sent.

    Each result is recorded in its own short transaction, and only while this worker's claim
    still holds: sent, or the error's class name with a back-off (failed for good after
    ``Message.MAX_ATTEMPTS``).
    """
    if not messages:
        return 0
    mail_connection = get_connection()
    try:
        mail_connection.open()
    except Exception as error:
        for message in messages:
            _record_failure(message, error)
        return 0
    sent = 0
    try:
        for message in messages:
            email = EmailMultiAlternatives(
                message.subject,
                message.body,
                message.from_email or settings.DEFAULT_FROM_EMAIL,
                [message.recipient],
                connection=mail_connection,
            )
            if message.html_body:
                email.attach_alternative(message.html_body, "text/html")
            try:
                email.send()
            except Exception as error:
                _record_failure(message, error)
            else:
                _record_sent(message)
                sent += 1
    finally:
        mail_connection.close()
    return sent


def _record_sent(message: Message) -> None:
    if record_result(message, error=None, max_attempts=Message.MAX_ATTEMPTS, backoff=timedelta()):
        message_settled.send(sender=Message, message=message, delivered=True)


def _record_failure(message: Message, error: Exception) -> None:
    # The class name only: messages of mail errors can carry addresses.
    recorded = record_result(
        message,
        error=type(error).__name__,
        max_attempts=Message.MAX_ATTEMPTS,
        backoff=Message.backoff(message.attempts),
    )
    logger.warning("outbox message %s failed (attempt %s)", message.pk, message.attempts)
    if recorded and message.status == Message.Status.FAILED:
        message_settled.send(sender=Message, message=message, delivered=False)


def deliver(message_id: int) -> bool:
    """Send one pending message; True when this call sent it.

    False when the message is already sent, failed for good, being sent by another worker,
    not in this schema, or the mail server refused it this time.
    """
    return send_claimed(claim_messages(message_id=message_id, limit=1)) == 1


def deliver_due(limit: int = 200) -> int:
    """Deliver up to ``limit`` due messages (new ones a broker lost, retries, expired claims).

    Claims ``DELIVERY_BATCH`` at a time so other workers share the work; returns how many
    were sent.
    """
    sent = 0
    remaining = limit
    while remaining > 0:
        batch = claim_messages(limit=min(DELIVERY_BATCH, remaining))
        if not batch:
            break
        remaining -= len(batch)
        sent += send_claimed(batch)
    return sent
