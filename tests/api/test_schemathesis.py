"""Schemathesis against the OpenAPI schema, every check on, as a consumer and as staff.

Cases are generated from the served schema with a fixed budget and a deterministic seed
(``derandomize``), and sent to the WSGI application in the test's own transaction, so the
run is the same on every machine and leaves nothing behind. Zero failures are expected: no
server error, every answer of a documented status, content type and shape.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.config import SchemathesisConfig

from accounts.models import User
from complaints.models import Complaint
from project.wsgi import application
from tenancy.models import Tenant

EXAMPLES_PER_OPERATION = 2
# Input the schema allows but the present state refuses (a team id that does not exist, a
# resolution to approve when none is waiting, a reply to a closed complaint) is a 400 or
# 409 problem; a schema cannot say which ids exist or which moves the status table allows.
# The token endpoint's rate limit (10 a minute per address) answers 429 well within a run.
ACCEPTED_FOR_VALID_INPUT = ["2xx", "400", "401", "403", "404", "409", "412", "429"]
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTED_FOR_VALID_INPUT}},
        "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
        "phases": {"coverage": {"enabled": False}},
    }
)


@contextmanager
def in_transaction() -> Iterator[None]:
    """Keep the test's connection (and its transaction) open through a request to the WSGI
    application, as Django's own test client does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(bank: Tenant, complaint: Complaint) -> Any:
    with in_transaction():
        return schemathesis.openapi.from_wsgi(
            "/api/v1/schema/?format=json", application, config=CONFIG, headers={"Host": bank.host}
        )


schema = schemathesis.pytest.from_fixture("api_schema")


def call_as(case: Any, tenant: Tenant, user: User, tokens_for: Callable[..., Any]) -> None:
    """Send the case with ``user``'s token to ``tenant``'s host and run every check."""
    headers = {"Host": tenant.host, "Authorization": f"Bearer {tokens_for(user)['access']}"}
    with in_transaction():
        case.call_and_validate(headers=headers)


SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@SETTINGS
def test_the_api_answers_a_consumer_as_its_schema_says(
    case: Any, bank: Tenant, consumer: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    call_as(case, bank, consumer, tokens_for)


@schema.parametrize()
@SETTINGS
def test_the_api_answers_staff_as_its_schema_says(
    case: Any, bank: Tenant, agent: User, tokens_for: Callable[..., dict[str, str]]
) -> None:
    call_as(case, bank, agent, tokens_for)
