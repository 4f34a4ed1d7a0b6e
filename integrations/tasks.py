from __future__ import annotations

from celery import shared_task

from integrations import webhooks


@shared_task(acks_late=True)
def deliver_webhook(delivery_id: str) -> bool:
    """Deliver one webhook of the schema named in the task's headers; True when accepted."""
    return webhooks.deliver(delivery_id)


@shared_task
def deliver_due_webhooks() -> int:
    """Periodic sweep, per tenant schema: retries after back-off, expired claims, and what a
    broker outage left behind. Returns how many were accepted."""
    return webhooks.deliver_due()
