"""Writing side effects to the outbox and delivering them."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from outbox.models import Message

logger = logging.getLogger(__name__)


def enqueue_email(*, key: str, recipient: str, subject: str, body: str) -> Message:
    """Queue an e-mail in the current transaction; the same ``key`` is only ever queued once."""
    message, created = Message.objects.get_or_create(
        key=key[:200],
        defaults={"recipient": recipient, "subject": subject[:300], "body": body},
    )
    if created:
        from outbox.tasks import deliver_message

        transaction.on_commit(lambda: deliver_message.delay(message.pk))
    return message


def deliver(message_id: int) -> bool:
    """Send one pending message; True when this call sent it.

    The row stays locked while sending, so concurrent or repeated deliveries of the same
    message wait and then find it already sent.
    """
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, status=Message.Status.PENDING)
            .first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            send_mail(
                message.subject, message.body, settings.DEFAULT_FROM_EMAIL, [message.recipient]
            )
        except Exception as error:
            # The class name only: messages of mail errors can carry addresses.
            message.last_error = type(error).__name__
            if message.attempts >= Message.MAX_ATTEMPTS:
                message.status = Message.Status.FAILED
            message.next_attempt_at = timezone.now() + Message.backoff(message.attempts)
            message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            logger.warning("outbox message %s failed (attempt %s)", message.pk, message.attempts)
            return False
        message.status = Message.Status.SENT
        message.sent_at = timezone.now()
        message.save(update_fields=["attempts", "status", "sent_at"])
        return True


def deliver_due(limit: int = 200) -> int:
    """Deliver messages whose time has come (new ones a broker lost, and retries)."""
    sent = 0
    for message_id in Message.objects.due().values_list("id", flat=True)[:limit]:
        sent += deliver(message_id)
    return sent
