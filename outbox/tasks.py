from __future__ import annotations

from celery import shared_task

from outbox import services
from tenancy import current


@shared_task(acks_late=True)
def deliver_message(message_id: int) -> bool:
    return services.deliver(message_id)


@shared_task
def deliver_due_messages() -> int:
    """Periodic sweep, per tenant: retries and anything a broker outage left behind."""
    if current.schema_name() == "public":
        return 0
    return services.deliver_due()
