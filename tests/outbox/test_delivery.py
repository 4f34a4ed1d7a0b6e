"""Delivery over a real SMTP conversation, by workers with their own database connections.

The rows these tests deliver are committed by worker threads (each thread has its own
connection), since a test's own transaction is invisible to any other connection; the
tests delete them again when they finish.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import message_from_bytes
from email.message import Message as MimeMessage
from typing import Any, TypeVar

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from outbox.models import Message
from outbox.services import deliver, deliver_due, enqueue_email
from tenancy.models import Tenant

Result = TypeVar("Result")
KEY_PREFIX = "smtp-test:"


class Recorder:
    """An SMTP server's message handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.received: list[MimeMessage] = []
        self.lock = threading.Lock()
        self.on_data: Callable[[], None] = lambda: None
        self.delay = 0.0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.on_data()
        await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(message_from_bytes(envelope.original_content))
        return "250 Message accepted for delivery"

    def subjects(self) -> Counter[str]:
        with self.lock:
            return Counter(str(message["Subject"]) for message in self.received)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[Recorder]:
    """A real SMTP server on a local port; Django's SMTP backend sends to it."""
    recorder = Recorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
        ):
            yield recorder
    finally:
        controller.stop()


def in_worker(tenant: Tenant, work: Callable[[], Result]) -> Result:
    """Run ``work`` in another thread, on its own connection in ``tenant``'s schema."""
    return run_as_workers(tenant, [work])[0]


def run_as_workers(tenant: Tenant, works: list[Callable[[], Result]]) -> list[Result]:
    """Run each of ``works`` in its own thread and connection, all starting together."""
    start = threading.Barrier(len(works))

    def run(work: Callable[[], Result]) -> Result:
        try:
            connection.set_tenant(tenant)
            start.wait(timeout=10)
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(works)) as pool:
        return list(pool.map(run, works))


@pytest.fixture
def committed(bank: Tenant) -> Iterator[Callable[[int], list[int]]]:
    """Commit ``count`` due messages in the bank's outbox; returns their ids."""

    def commit(count: int) -> list[int]:
        def create() -> list[int]:
            due = timezone.now() - timedelta(minutes=1)
            return [
                Message.objects.create(
                    key=f"{KEY_PREFIX}{number}",
                    recipient=f"person{number}@example.com",
                    subject=f"{KEY_PREFIX}{number}",
                    body=f"Message {number}",
                    next_attempt_at=due,
                ).pk
                for number in range(count)
            ]

        return in_worker(bank, create)

    yield commit
    in_worker(bank, lambda: Message.objects.filter(key__startswith=KEY_PREFIX).delete())


def test_a_committed_message_travels_through_a_real_smtp_conversation(
    bank: Tenant, smtp_server: Recorder, committed: Callable[[int], list[int]]
) -> None:
    def queue_and_commit() -> Message:
        with transaction.atomic():
            message = enqueue_email(
                key=f"{KEY_PREFIX}welcome",
                recipient="casey@example.com",
                subject="Welcome",
                body="Hello Casey",
            )
            assert smtp_server.received == []  # nothing leaves before the commit
        return message

    message = in_worker(bank, queue_and_commit)

    [received] = smtp_server.received
    assert received["To"] == "casey@example.com"
    assert received["From"] == f"Northwind Bank <{settings.DEFAULT_FROM_EMAIL}>"
    assert received["Subject"] == "Welcome"
    assert received.get_content_type() == "multipart/alternative"
    text, html = received.get_payload()
    # SMTP carries CRLF line ends.
    assert text.get_payload(decode=True).decode() == "Hello Casey\r\n\r\n-- \r\nNorthwind Bank"
    assert html.get_content_type() == "text/html"
    row = Message.objects.get(pk=message.pk)
    assert (row.status, row.attempts, row.claim) == (Message.Status.SENT, 1, None)


def test_two_workers_sweeping_at_once_never_send_a_message_twice(
    bank: Tenant, smtp_server: Recorder, committed: Callable[[int], list[int]]
) -> None:
    ids = committed(40)
    smtp_server.delay = 0.005  # long enough for the two workers to overlap

    # Each worker also fires the per-message task for every id, as a burst of retries would.
    def worker() -> int:
        return deliver_due() + sum(deliver(message_id) for message_id in ids)

    sent = run_as_workers(bank, [worker, worker])

    assert sum(sent) == 40
    assert all(count > 0 for count in sent), "both workers should have taken part"
    subjects = smtp_server.subjects()
    assert len(subjects) == 40
    assert set(subjects.values()) == {1}
    rows = Message.objects.filter(pk__in=ids)
    assert {row.status for row in rows} == {Message.Status.SENT}
    assert {row.attempts for row in rows} == {1}


def test_no_lock_or_transaction_is_held_while_the_mail_server_talks(
    bank: Tenant, smtp_server: Recorder, committed: Callable[[int], list[int]]
) -> None:
    [message_id] = committed(1)
    in_conversation = threading.Event()
    carry_on = threading.Event()
    seen: dict[str, Any] = {}

    def hold_the_conversation() -> None:
        in_conversation.set()
        carry_on.wait(timeout=10)

    smtp_server.on_data = hold_the_conversation

    def sender() -> bool:
        connection.ensure_connection()
        seen["pid"] = connection.connection.info.backend_pid
        return deliver(message_id)

    def inspect_while_sending() -> None:
        assert in_conversation.wait(timeout=10)
        try:
            with transaction.atomic():
                # NOWAIT fails at once if the sender still held the row.
                locked = Message.objects.select_for_update(nowait=True).get(pk=message_id)
                seen["claimed_until"] = locked.claimed_until
            with connection.cursor() as cursor:
                cursor.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", [seen["pid"]])
                seen["state"] = cursor.fetchone()[0]
        finally:
            carry_on.set()

    sent, _ = run_as_workers(bank, [sender, inspect_while_sending])

    assert sent is True
    assert seen["state"] == "idle"
    assert seen["claimed_until"] is not None
    assert Message.objects.get(pk=message_id).status == Message.Status.SENT
