"""Liveness and readiness probes answer on any host, before tenant routing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from operations.services import set_tenant_status
from tenancy.models import Tenant


# Tests run with the local cache and tasks inline: neither is a dependency that can be down.
def ready() -> dict[str, str]:
    """What /readyz says with every dependency up, on this configuration: Redis when
    REDIS_URL is set (as in CI), the local cache otherwise; tasks inline without a broker."""
    from project.celery import app

    return {
        "status": "ok",
        "database": "ok",
        "cache": "ok" if settings.REDIS_URL else "local",
        "broker": "inline" if app.conf.task_always_eager else "ok",
    }


HOSTS = ["localhost", "bank.localhost", "nope.localhost", "evil.example.com", "10.0.0.7"]


@pytest.mark.parametrize("host", HOSTS)
def test_healthz_is_ok_on_any_host_without_touching_the_database(host: str) -> None:
    # No database marker: pytest-django fails the test if the probe queries the database.
    response = Client(HTTP_HOST=host).get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
@pytest.mark.parametrize("host", HOSTS)
def test_readyz_reports_the_database_ok_on_any_host(host: str) -> None:
    response = Client(HTTP_HOST=host).get("/readyz")

    assert response.status_code == 200
    assert response.json() == ready()


def test_probes_answer_on_a_suspended_tenant_host(public_tenant: Tenant) -> None:
    set_tenant_status(Tenant.objects.get(slug="bank"), Tenant.Status.SUSPENDED, actor=None)
    client = Client(HTTP_HOST="bank.localhost")

    assert client.get("/").status_code == 503
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json() == ready()


def test_healthz_answers_head_requests_from_load_balancers() -> None:
    assert Client().head("/healthz").status_code == 200
