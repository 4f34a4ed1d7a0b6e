"""Each request is logged once with who and how long; metrics are bounded and protected."""

from __future__ import annotations

import logging

import pytest
from django.test import Client, override_settings
from prometheus_client import REGISTRY

from accounts.models import User
from outbox.services import enqueue_email
from tenancy.models import Tenant
from tests.conftest import sign_in


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "project.request"]


def test_a_request_is_logged_once_with_user_id_tenant_status_duration_and_queries(
    consumer: User, caplog: pytest.LogCaptureFixture
) -> None:
    client = sign_in(Client(HTTP_HOST="bank.localhost"), consumer)

    with caplog.at_level(logging.INFO, logger="project.request"):
        response = client.get("/complaints/", HTTP_X_REQUEST_ID="req-abcdef123456")

    [line] = request_lines(caplog)
    assert response.status_code == 200
    assert line.request_id == "req-abcdef123456"  # type: ignore[attr-defined]
    assert line.tenant == "t_bank"  # type: ignore[attr-defined]
    assert line.user_id == str(consumer.pk)  # type: ignore[attr-defined]
    assert line.status == 200  # type: ignore[attr-defined]
    assert line.view == "my_complaints"  # type: ignore[attr-defined]
    assert line.queries > 0  # type: ignore[attr-defined]
    assert line.duration_ms > 0  # type: ignore[attr-defined]
    assert consumer.email not in line.getMessage()
    assert consumer.email not in str(line.__dict__)


def test_an_anonymous_request_is_logged_without_a_user(
    bank: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="project.request"):
        Client(HTTP_HOST=bank.host).get("/accounts/login/?next=/secret-token-value")

    [line] = request_lines(caplog)
    assert line.user_id == "-"  # type: ignore[attr-defined]
    assert "secret-token-value" not in line.getMessage()


def test_probes_are_not_logged(db: None, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="project.request"):
        Client().get("/healthz")
        Client().get("/readyz")

    assert request_lines(caplog) == []


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_latency_is_recorded_by_view_and_status_without_a_tenant_label(bank: Tenant) -> None:
    labels = {"view": "account_login", "method": "GET", "status": "200"}
    before = sample("complaints_request_duration_seconds_count", **labels)

    Client(HTTP_HOST=bank.host).get("/accounts/login/")

    assert sample("complaints_request_duration_seconds_count", **labels) == before + 1
    families = {family.name: family for family in REGISTRY.collect()}
    for sample_ in families["complaints_request_duration_seconds"].samples:
        assert set(sample_.labels) <= {"view", "method", "status", "le"}


def test_metrics_are_served_to_this_machine_with_real_figures(bank: Tenant) -> None:
    enqueue_email(key="metrics-test", recipient="a@example.com", subject="Hi", body="Hello")
    Client(HTTP_HOST=bank.host).get("/accounts/login/")

    response = Client(REMOTE_ADDR="127.0.0.1").get("/metrics")

    assert response.status_code == 200
    text = response.content.decode()
    assert "complaints_outbox_pending_messages 1.0" in text
    assert "complaints_outbox_oldest_pending_age_seconds" in text
    assert (
        'complaints_request_duration_seconds_count{method="GET",status="200",view="account_login"}'
        in text
    )
    assert "complaints_request_db_queries_count" in text


def test_metrics_are_refused_from_outside_without_the_token(db: None) -> None:
    assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 404


@override_settings(METRICS_TOKEN="scrape-secret-0123456789")
def test_metrics_need_the_token_once_one_is_configured(db: None) -> None:
    assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 404
    wrong = Client(REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.get("/metrics").status_code == 404
    right = Client(REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer scrape-secret-0123456789")
    assert right.get("/metrics").status_code == 200


def test_the_deadline_scan_duration_is_measured(bank: Tenant) -> None:
    from complaints.tasks import scan_deadlines

    before = sample("complaints_deadline_scan_seconds_count")

    scan_deadlines()

    assert sample("complaints_deadline_scan_seconds_count") == before + 1
