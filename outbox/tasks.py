from __future__ import annotations

from celery import shared_task

from outbox import services


@shared_task(acks_late=True)
def deliver_message(message_id: int) -> bool:
    """Deliver one message of the schema named in the task's headers; True when it was sent."""
    return services.deliver(message_id)


@shared_task
def deliver_due_messages() -> int:
    """Periodic sweep, per schema (the platform's too): retries, expired claims and anything
    a broker outage left behind. Returns how many were sent."""
    return services.deliver_due()
