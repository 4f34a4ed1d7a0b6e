"""Two workers delivering webhooks at once, each on its own database connection: every
delivery is POSTed once. The rows are committed by a worker thread (a test's own transaction
is invisible to other connections) and deleted again afterwards."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations import webhooks
from integrations.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from tenancy.models import Tenant
from tests.integrations.receiver import Receiver
from tests.outbox.test_delivery import in_worker, run_as_workers

MARK = "concurrent-delivery-test"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    started = Receiver().start()
    yield started
    started.stop()


@pytest.fixture
def committed(bank: Tenant, receiver: Receiver) -> Iterator[Callable[[int], list[str]]]:
    """Commit an endpoint at the receiver and ``count`` due deliveries to it."""

    def commit(count: int) -> list[str]:
        def create() -> list[str]:
            endpoint = WebhookEndpoint.objects.create(
                url=receiver.url,
                description=MARK,
                events=[WebhookEvent.STATUS_CHANGED],
                secret=WebhookEndpoint.new_secret(),
            )
            receiver.secret = endpoint.secret
            due = timezone.now() - timedelta(minutes=1)
            return [
                str(
                    WebhookDelivery.objects.create(
                        endpoint=endpoint,
                        event_id=uuid.uuid4(),
                        event_type=WebhookEvent.STATUS_CHANGED,
                        reference=f"C-2026-{number:06d}",
                        payload={"number": number},
                        next_attempt_at=due,
                    ).delivery_id
                )
                for number in range(count)
            ]

        return in_worker(bank, create)

    yield commit
    in_worker(bank, lambda: WebhookEndpoint.objects.filter(description=MARK).delete())


def test_two_workers_at_once_post_each_delivery_once(
    bank: Tenant, receiver: Receiver, committed: Callable[[int], list[str]]
) -> None:
    ids = committed(30)

    # Each worker also runs the per-delivery task for every id, as a burst of retries would.
    def worker() -> int:
        return webhooks.deliver_due() + sum(webhooks.deliver(delivery) for delivery in ids)

    accepted = run_as_workers(bank, [worker, worker])

    assert sum(accepted) == 30
    posts = Counter(item.delivery_id for item in receiver.received)
    assert set(posts) == set(ids)
    assert set(posts.values()) == {1}
    rows = in_worker(
        bank,
        lambda: list(
            WebhookDelivery.objects.filter(delivery_id__in=ids).values_list("status", "attempts")
        ),
    )
    assert set(rows) == {(WebhookDelivery.Status.SENT, 1)}
