"""Tasks carry the request id and tenant of the change that queued them into their log lines."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.app.task import Context

from outbox.tasks import deliver_message
from project.celery import app, enter_task_context, leave_task_context
from project.logging import request_id_var
from tenancy.current import tenant_var
from tests.project.test_logging import in_request


@pytest.fixture
def memory_broker() -> Iterator[None]:
    """Publish for real, to kombu's in-process broker, so the sent headers can be read back."""
    saved = {key: app.conf[key] for key in ("task_always_eager", "broker_url")}
    app.conf.update(task_always_eager=False, broker_url="memory://")
    app._after_fork()
    try:
        yield
    finally:
        app.conf.update(saved)
        app._after_fork()


class FakeTask:
    def __init__(self, request: Context) -> None:
        self.request = request


def test_a_task_queued_in_a_request_logs_that_request_id_and_tenant(memory_broker: None) -> None:
    with in_request("req-0123456789", "t_bank"):
        deliver_message.apply_async((42,), headers={"_schema_name": "t_bank"})
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery")
        message = queue.get(timeout=1)
        message.ack()
        queue.close()
    assert message.headers["request_id"] == "req-0123456789"

    # What the worker does with those headers before and after running the task.
    task = FakeTask(Context({**message.headers, "is_eager": False}))
    enter_task_context(task=task)
    assert (request_id_var.get(), tenant_var.get()) == ("req-0123456789", "t_bank")
    leave_task_context(task=task)
    assert (request_id_var.get(), tenant_var.get()) == ("-", "-")


def test_a_task_run_inline_keeps_the_context_of_its_request() -> None:
    task = FakeTask(Context({"is_eager": True}))
    with in_request("req-0123456789", "t_bank"):
        enter_task_context(task=task)
        leave_task_context(task=task)
        assert (request_id_var.get(), tenant_var.get()) == ("req-0123456789", "t_bank")
