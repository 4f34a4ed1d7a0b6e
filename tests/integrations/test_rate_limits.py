"""Rate limits per API client and per user: 429 with Retry-After, shared through Redis by
every node, and lapsing (never failing) while Redis is unreachable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.test import Client, override_settings
from django.utils import timezone

from accounts.models import ClientScope
from tests.api.conftest import COMPLAINTS_URL
from tests.integrations.conftest import Integration
from tests.project.test_degraded_dependencies import UNREACHABLE_CACHE


@pytest.fixture
def low_rates() -> Iterator[None]:
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {
        **rest["DEFAULT_THROTTLE_RATES"],
        "api_client": "3/min",
        "api_user": "2/min",
    }
    with override_settings(REST_FRAMEWORK=rest):
        yield


@pytest.fixture
def frozen() -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        yield traveller


def test_a_client_beyond_its_rate_gets_429_with_retry_after(
    low_rates: None,
    frozen: time_machine.Coordinates,
    make_integration: Callable[..., Integration],
    client_api: Callable[..., Client],
) -> None:
    crm, other = client_api(make_integration("CRM")), client_api(make_integration("Chatbot"))
    for _ in range(3):
        assert crm.get(COMPLAINTS_URL).status_code == 200

    refused = crm.get(COMPLAINTS_URL)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "60"
    assert refused["Content-Type"].startswith("application/problem+json")
    assert refused.json()["code"] == "throttled"
    assert other.get(COMPLAINTS_URL).status_code == 200, "each client has its own limit"
    frozen.shift(timedelta(seconds=61))
    assert crm.get(COMPLAINTS_URL).status_code == 200


def test_a_history_longer_than_the_rate_still_says_when_to_come_back(
    low_rates: None,
    frozen: time_machine.Coordinates,
    make_integration: Callable[..., Integration],
    client_api: Callable[..., Client],
) -> None:
    """Calls kept beyond the rate (two nodes at once, or a rate lowered meanwhile): DRF's own
    ``wait`` gives up and sends no Retry-After; ours counts from the newest calls."""
    crm = client_api(make_integration("CRM"))
    for _ in range(3):
        assert crm.get(COMPLAINTS_URL).status_code == 200
    frozen.shift(timedelta(seconds=20))
    rest = dict(settings.REST_FRAMEWORK)
    rest["DEFAULT_THROTTLE_RATES"] = {**rest["DEFAULT_THROTTLE_RATES"], "api_client": "1/min"}

    with override_settings(REST_FRAMEWORK=rest):
        refused = crm.get(COMPLAINTS_URL)

    assert refused.status_code == 429
    assert refused["Retry-After"] == "40"


def test_a_user_beyond_their_rate_gets_429_and_other_users_do_not(
    low_rates: None,
    frozen: time_machine.Coordinates,
    consumer_api: Client,
    manager_api: Client,
) -> None:
    for _ in range(2):
        assert consumer_api.get(COMPLAINTS_URL).status_code == 200

    refused = consumer_api.get(COMPLAINTS_URL)

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 60
    assert manager_api.get(COMPLAINTS_URL).status_code == 200


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL)")
def test_the_count_is_shared_through_redis_by_every_node(
    low_rates: None,
    frozen: time_machine.Coordinates,
    make_integration: Callable[..., Integration],
    client_api: Callable[..., Client],
) -> None:
    crm = make_integration("CRM")
    api = client_api(crm)
    api.get(COMPLAINTS_URL)
    # Another node: its own connection to the same Redis, reading the same tenant's key.
    node = caches.create_connection("default")

    history = node.get(f"throttle_api_client_{crm.client_id}")

    assert isinstance(history, list) and len(history) == 1


def test_limits_lapse_while_redis_is_down_and_calls_are_still_answered(
    low_rates: None,
    make_integration: Callable[..., Integration],
    token_of: Callable[..., str],
    bank: object,
) -> None:
    from tests.api.conftest import bearer_client

    token = token_of(make_integration("CRM", ClientScope.READ_COMPLAINTS))
    with override_settings(CACHES=UNREACHABLE_CACHE):
        api = bearer_client(bank, token)  # type: ignore[arg-type]
        answers = {api.get(COMPLAINTS_URL).status_code for _ in range(6)}

    assert answers == {200}
