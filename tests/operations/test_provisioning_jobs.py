"""Provisioning from the console runs as a job; the console shows its progress."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User
from operations.models import ProvisioningJob
from operations.services import (
    ProvisioningError,
    TenantRequest,
    queue_provisioning,
    run_provisioning_job,
)
from tests.operations.conftest import creates_nothing
from tests.operations.test_provisioning import VALID

REQUEST = VALID


def queued(
    operator: User,
    callbacks: DjangoCaptureOnCommitCallbacks,
    request: TenantRequest = REQUEST,
) -> ProvisioningJob:
    """A job queued but not yet picked up by a worker (its publication is held back)."""
    with callbacks(execute=False):
        return queue_provisioning(request, actor=operator)


def test_the_progress_page_polls_itself_while_the_job_waits(
    operator_client: Client,
    operator: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    job = queued(operator, django_capture_on_commit_callbacks)

    page = operator_client.get(f"/tenants/new/{job.pk}/")

    assert page.status_code == 200
    assert b"New tenant: Fabrikam Air" in page.content
    assert b"Waiting for a worker" in page.content
    assert f'hx-get="/tenants/new/{job.pk}/" hx-trigger="every 1s"'.encode() in page.content
    # Without JavaScript the page refreshes itself instead.
    assert b'<meta http-equiv="refresh" content="2">' in page.content
    assert b"Creating the database schema" in page.content

    fragment = operator_client.get(f"/tenants/new/{job.pk}/", HTTP_HX_REQUEST="true")
    assert fragment.content.lstrip().startswith(b'<div id="provisioning"')
    assert b"<html" not in fragment.content
    assert fragment["Vary"] == "HX-Request, Cookie"


def test_a_job_whose_address_was_taken_meanwhile_fails_with_a_sentence(
    operator_client: Client,
    operator: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    job = queued(operator, django_capture_on_commit_callbacks)
    # Another operator took the address between the form and the worker.
    ProvisioningJob.objects.filter(pk=job.pk).update(request={**job.request, "slug": "bank"})

    with creates_nothing():
        assert run_provisioning_job(str(job.pk)) == "failed"
        # A job runs once: running it again changes nothing.
        assert run_provisioning_job(str(job.pk)) == "failed"

    connection.set_schema_to_public()
    job.refresh_from_db()
    assert (job.error, job.tenant) == ("“bank” is already taken.", None)
    assert job.finished_at is not None
    page = operator_client.get(f"/tenants/new/{job.pk}/")
    assert "Fabrikam Air was not created.</strong> “bank” is already taken.".encode() in (
        page.content
    )
    assert b"hx-trigger" not in page.content


def test_refused_input_queues_nothing(
    operator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with (
        creates_nothing(),
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(ProvisioningError, match="“www” is reserved"),
    ):
        queue_provisioning(replace(REQUEST, slug="www"), actor=operator)
    assert callbacks == []
    assert not ProvisioningJob.objects.exists()


def test_an_unknown_job_is_404(operator_client: Client) -> None:
    assert (
        operator_client.get("/tenants/new/6f1c1f70-0000-4000-8000-000000000000/").status_code == 404
    )
    assert operator_client.get("/tenants/new/not-a-uuid/").status_code == 404


def test_a_job_is_not_served_on_a_tenant_host(
    operator: User, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    job = queued(operator, django_capture_on_commit_callbacks)

    response = Client(HTTP_HOST="bank.localhost").get(f"/tenants/new/{job.pk}/")

    assert response.status_code == 404


def test_a_job_that_lost_its_worker_stops_polling_and_says_so(
    operator_client: Client,
    operator: User,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False) as clock:
        job = queued(operator, django_capture_on_commit_callbacks)
        ProvisioningJob.objects.filter(pk=job.pk).update(step=ProvisioningJob.Step.SCHEMA)

        clock.move_to(datetime(2026, 12, 1, 9, 9, tzinfo=UTC))
        assert b"hx-trigger" in operator_client.get(f"/tenants/new/{job.pk}/").content

        clock.move_to(datetime(2026, 12, 1, 9, 11, tzinfo=UTC))
        page = operator_client.get(f"/tenants/new/{job.pk}/")

    assert b"Fabrikam Air has not finished after 10 minutes." in page.content
    assert "It stopped at “creating the database schema”".encode() in page.content
    assert b"hx-trigger" not in page.content
    assert b"http-equiv" not in page.content
