"""Log records carry the request id and tenant, and never a credential from a URL."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.module_loading import import_string

from project.logging import RequestContextFilter, request_id_var, scrub
from tenancy.current import tenant_var

INVITATION_TOKEN = "miJYkhwilEciYVsDQFGRyj9ZoQcIh3AJRWHAtyJSjJI"
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


@contextmanager
def in_request(request_id: str, tenant: str) -> Iterator[None]:
    id_token, tenant_token = request_id_var.set(request_id), tenant_var.set(tenant)
    try:
        yield
    finally:
        request_id_var.reset(id_token)
        tenant_var.reset(tenant_token)


def record(
    name: str = "complaints", msg: str = "Complaint %s resolved", *args: object
) -> logging.LogRecord:
    return logging.LogRecord(name, logging.INFO, __file__, 1, msg, args or ("NWB-1",), None)


class Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []
        self.addFilter(RequestContextFilter())

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def query_log() -> Iterator[list[logging.LogRecord]]:
    """Records of every SQL query, through the project's request-context filter."""
    logger = logging.getLogger("django.db.backends")
    collector, level = Collector(), logger.level
    logger.addHandler(collector)
    logger.setLevel(logging.DEBUG)
    try:
        with CaptureQueriesContext(connection):  # makes Django log each query
            yield collector.records
    finally:
        logger.removeHandler(collector)
        logger.setLevel(level)


# --- Scrubbing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "scrubbed"),
    [
        (
            f'"GET /invitations/{INVITATION_TOKEN}/ HTTP/1.1" 200 512',
            '"GET /invitations/[redacted]/ HTTP/1.1" 200 512',
        ),
        (
            '"GET /accounts/password/reset/key/4-c5l9hy-1a2b3c4d5e6f7a8b9c0d/ HTTP/1.1" 302 0',
            '"GET /accounts/password/reset/key/[redacted]/ HTTP/1.1" 302 0',
        ),
        (
            '"GET /accounts/login/?next=/console/&token=s3cr3t HTTP/1.1" 200 2017',
            '"GET /accounts/login/?[redacted] HTTP/1.1" 200 2017',
        ),
        (
            f"https://bank.localhost:8000/accounts/confirm-email/{'k' * 64}/?utm=mail",
            "https://bank.localhost:8000/accounts/confirm-email/[redacted]/?[redacted]",
        ),
    ],
)
def test_scrub_removes_query_strings_and_token_path_segments(line: str, scrubbed: str) -> None:
    assert scrub(line) == scrubbed


@pytest.mark.parametrize(
    "line",
    [
        '"GET /console/complaints/NWB-2026-000123/ HTTP/1.1" 200 4096',
        '"POST /api/v1/auth/token/refresh/ HTTP/1.1" 200 310',
        '"GET /static/vendor/htmx-2.0.11.min.js HTTP/1.1" 304 0',
    ],
)
def test_scrub_keeps_ordinary_paths(line: str) -> None:
    assert scrub(line) == line


# --- Request context on records -----------------------------------------------------------


def test_filter_adds_request_id_and_tenant_of_the_current_request() -> None:
    entry = record()

    with in_request("req-0123456789", "t_bank"):
        assert RequestContextFilter().filter(entry)

    assert (entry.request_id, entry.tenant) == ("req-0123456789", "t_bank")


def test_filter_marks_records_outside_a_request_with_dashes() -> None:
    entry = record()

    RequestContextFilter().filter(entry)

    assert (entry.request_id, entry.tenant) == ("-", "-")


def test_filter_scrubs_server_access_lines_but_leaves_other_loggers_alone() -> None:
    access = record(
        "django.server",
        '"%s" %s %s',
        f"GET /invitations/{INVITATION_TOKEN}/?a=b HTTP/1.1",
        "200",
        "5",
    )
    other = record("complaints", "Looked up /invitations/%s/", INVITATION_TOKEN)

    RequestContextFilter().filter(access)
    RequestContextFilter().filter(other)

    assert access.getMessage() == '"GET /invitations/[redacted]/?[redacted] HTTP/1.1" 200 5'
    assert INVITATION_TOKEN in other.getMessage()


def test_records_logged_during_a_request_carry_its_id_and_tenant(
    consumer_client: Client, query_log: list[logging.LogRecord]
) -> None:
    response = consumer_client.get("/complaints/", HTTP_X_REQUEST_ID="trace-0123456789")

    assert response.status_code == 200
    assert query_log
    assert {entry.request_id for entry in query_log} == {"trace-0123456789"}
    tenants = [entry.tenant for entry in query_log]
    # The host lookup runs before the tenant is known; everything after it is the tenant's.
    assert tenants[-1] == "t_bank"
    assert set(tenants) == {"-", "t_bank"}
    assert (request_id_var.get(), tenant_var.get()) == ("-", "-")


def test_console_request_is_logged_as_the_public_tenant(
    operator_client: Client, query_log: list[logging.LogRecord]
) -> None:
    operator_client.get("/")

    assert query_log[-1].tenant == "public"


# --- X-Request-ID ---------------------------------------------------------------------------


@pytest.mark.parametrize("incoming", ["abcdef12", "0f8c-41d2-9a7e-5b3c1d2e4f60", "A" * 64])
def test_well_formed_request_id_is_echoed(anonymous_client: Client, incoming: str) -> None:
    response = anonymous_client.get("/", HTTP_X_REQUEST_ID=incoming)

    assert response["X-Request-ID"] == incoming


@pytest.mark.parametrize(
    "incoming",
    [
        "short",
        "has space in it",
        "<script>alert(1)</script>",
        "A" * 65,
        "id\nInjected: 1",
        "abcdefgh\n",
    ],
)
def test_malformed_request_id_is_replaced(anonymous_client: Client, incoming: str) -> None:
    response = anonymous_client.get("/", HTTP_X_REQUEST_ID=incoming)

    assert GENERATED_ID.match(response["X-Request-ID"])


def test_every_request_without_an_id_gets_a_fresh_one(anonymous_client: Client) -> None:
    first = anonymous_client.get("/")["X-Request-ID"]
    second = anonymous_client.get("/")["X-Request-ID"]

    assert GENERATED_ID.match(first)
    assert GENERATED_ID.match(second)
    assert first != second


@pytest.mark.parametrize("host", ["localhost", "nope.localhost"])
def test_request_id_is_set_on_console_and_unknown_host_responses(
    public_tenant: object, host: str
) -> None:
    response = Client(HTTP_HOST=host).get("/accounts/login/", HTTP_X_REQUEST_ID="trace-0123456789")

    assert response["X-Request-ID"] == "trace-0123456789"


# --- Formatters ---------------------------------------------------------------------------


def configured_formatter(name: str) -> logging.Formatter:
    spec = dict(settings.LOGGING["formatters"][name])
    if "()" in spec:
        return import_string(spec.pop("()"))(**spec)
    return logging.Formatter(spec["format"])


def test_json_formatter_writes_one_json_object_with_request_id_and_tenant() -> None:
    entry = record()
    with in_request("req-0123456789", "t_bank"):
        RequestContextFilter().filter(entry)

    line = configured_formatter("json").format(entry)

    data = json.loads(line)
    assert "\n" not in line
    assert data["message"] == "Complaint NWB-1 resolved"
    assert (data["request_id"], data["tenant"]) == ("req-0123456789", "t_bank")
    assert (data["level"], data["logger"]) == ("INFO", "complaints")
    assert data["time"]


def test_text_formatter_shows_tenant_and_request_id() -> None:
    entry = record()
    with in_request("req-0123456789", "t_bank"):
        RequestContextFilter().filter(entry)

    line = configured_formatter("text").format(entry)

    assert "[t_bank req-0123456789] complaints: Complaint NWB-1 resolved" in line


def test_console_handler_uses_the_request_context_filter() -> None:
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["request_context"]
    assert (
        settings.LOGGING["filters"]["request_context"]["()"]
        == "project.logging.RequestContextFilter"
    )
