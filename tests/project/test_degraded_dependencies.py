"""With Redis unreachable the product degrades, it never fails.

Redis here is a real client pointed at a closed port (nothing listens on 127.0.0.1:9), so
every cache and broker call meets a real connection error.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client, override_settings
from prometheus_client import REGISTRY

from accounts.models import User
from outbox.models import Message
from project.celery import app
from tenancy.models import Tenant
from tests.api.conftest import COMPLAINTS_URL, bearer_client, post_json, request_tokens
from tests.configuration.test_cache_outage import RedisServer
from tests.conftest import PASSWORD, deliver_outbox
from tests.project.conftest import UNREACHABLE_REDIS

UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "project.cache.ResilientRedisCache",
        "LOCATION": UNREACHABLE_REDIS,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
    }
}


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def redis_down() -> Iterator[None]:
    with override_settings(CACHES=UNREACHABLE_CACHE):
        yield


@pytest.fixture
def broker_down() -> Iterator[None]:
    """Celery publishes for real, to a broker that refuses the connection."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=UNREACHABLE_REDIS)
    app._after_fork()  # drop pooled connections made for the previous broker URL
    try:
        yield
    finally:
        app.conf.update(saved)
        app._after_fork()


def test_tenant_pages_are_served_from_the_database_while_redis_is_down(
    bank: Tenant, redis_down: None
) -> None:
    errors_before = sample("complaints_cache_requests_total", result="error")

    response = Client(HTTP_HOST=bank.host).get("/accounts/login/")

    assert response.status_code == 200
    assert bank.name.encode() in response.content
    assert sample("complaints_cache_requests_total", result="error") > errors_before


def test_suspending_a_tenant_while_redis_is_down_takes_effect(
    bank: Tenant, redis_down: None
) -> None:
    from operations.services import set_tenant_status

    set_tenant_status(bank, Tenant.Status.SUSPENDED, actor=None)

    assert Client(HTTP_HOST=bank.host).get("/").status_code == 503


def test_sign_in_works_while_redis_is_down(consumer: User, redis_down: None) -> None:
    client = Client(HTTP_HOST="bank.localhost")

    response = client.post(
        "/accounts/login/", {"login": consumer.email, "password": PASSWORD}, follow=False
    )

    assert response.status_code == 302
    assert client.get("/complaints/").status_code == 200


def test_a_committed_complaint_is_answered_201_when_the_broker_is_down_and_the_sweep_sends_its_mail(
    bank: Tenant,
    consumer: User,
    broker_down: None,
    redis_down: None,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    failures_before = sample(
        "complaints_task_publish_failures_total", task="outbox.deliver_message"
    )

    token = request_tokens(bank, consumer.email).json()["access"]
    # The publish runs in the on-commit callbacks; one that raised would fail this block.
    with django_capture_on_commit_callbacks(execute=True):
        response = post_json(
            bearer_client(bank, token),
            COMPLAINTS_URL,
            {"subject": "Fee", "description": "Charged twice."},
        )

    assert response.status_code == 201
    assert (
        sample("complaints_task_publish_failures_total", task="outbox.deliver_message")
        > failures_before
    )
    pending = Message.objects.filter(status=Message.Status.PENDING)
    assert pending.count() == 1
    assert mail.outbox == []

    sent = deliver_outbox(bank)

    assert [message.to for message in sent] == [["casey@example.com"]]
    assert not Message.objects.filter(status=Message.Status.PENDING).exists()


@pytest.mark.django_db
def test_readyz_reports_each_dependency_and_stays_200_without_redis(
    redis_down: None, broker_down: None
) -> None:
    response = Client().get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "unreachable",
        "broker": "unreachable",
    }


@pytest.fixture
def stalled_broker(tmp_path: Path) -> Iterator[None]:
    """Celery publishes for real to a Redis that takes connections and never answers."""
    server = RedisServer(tmp_path)
    server.start()
    assert server.process is not None
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url=f"redis://127.0.0.1:{server.port}/0")
    app._after_fork()
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)
        server.kill()
        app.conf.update(saved)
        app._after_fork()


def test_a_publish_to_a_stalled_broker_gives_up_instead_of_holding_the_request(
    bank: Tenant, stalled_broker: None
) -> None:
    from outbox.services import publish_task
    from outbox.tasks import deliver_message

    # In a thread, so a publish that never gives up fails the test instead of hanging it.
    outcome: list[bool] = []
    publishing = threading.Thread(
        target=lambda: outcome.append(
            publish_task(deliver_message, 1, schema=bank.schema_name, label="stalled")
        ),
        daemon=True,
    )
    publishing.start()
    # Three tries of BROKER_SOCKET_TIMEOUT each, not the request's lifetime.
    publishing.join(timeout=3 * settings.BROKER_SOCKET_TIMEOUT + 5)

    assert not publishing.is_alive(), "the publish is still waiting for the broker"
    assert outcome == [False]
