"""A configuration change reaches every process even when the cache fails as it is announced.

Redis here is a real server of the test's own, stopped for an outage and started again with
the data it held; "another process" is the copy of
the entry the process kept before the change (``_local``), put back after the change.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import override_settings

from configuration import cache as configuration_cache
from configuration.cache import MAX_AGE_SECONDS, forget_pending_changes, generation_key
from configuration.models import STORED_SETTINGS, TenantSettings, forget_current_settings
from tenancy import current
from tenancy.models import Tenant

# How long the process leaves the cache alone after an error (``retry_after``), in seconds.
RETRY_AFTER = 1.0

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RedisServer:
    """A Redis server of the test's own that can go down and come back with its data."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.folder),
                "--dbfilename",
                "dump.rdb",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(200):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """Save the data set and stop: connections are refused until ``start``."""
        assert self.process is not None
        redis.Redis(port=self.port).save()
        self.process.kill()
        self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    caches = {
        "default": {
            "BACKEND": "project.cache.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{server.port}/0",
            "KEY_FUNCTION": "django_tenants.cache.make_key",
            "OPTIONS": {"retry_after": RETRY_AFTER},
        }
    }
    try:
        with override_settings(CACHES=caches):
            yield server
    finally:
        server.kill()
        configuration_cache._unannounced.clear()
        configuration_cache._local.clear()


@contextmanager
def outage(server: RedisServer) -> Iterator[None]:
    """Redis goes down (every call meets a refused connection), then comes back with the data
    it held."""
    server.stop()
    try:
        yield
    finally:
        server.start()


def new_request() -> None:
    """What the next request starts with: generations read again, nothing being changed, no
    settings read yet."""
    forget_pending_changes()
    forget_current_settings()


def kept_by_another_process() -> dict[tuple[str, str], tuple[str, float, object]]:
    """The copies a process that read the settings before the change keeps."""
    TenantSettings.current()
    return {key: kept for key, kept in configuration_cache._local.items() if key[1] == "settings"}


def require_approval() -> None:
    changed = TenantSettings.editable()
    changed.final_response_approval = True
    changed.save()


def approval_required() -> bool:
    new_request()
    return TenantSettings.current().final_response_approval


def test_a_change_just_after_a_cache_error_reaches_a_process_holding_the_old_copy(
    bank: Tenant, redis_server: RedisServer
) -> None:
    new_request()
    other_process = kept_by_another_process()
    assert other_process and not approval_required()
    with outage(redis_server):
        cache.get("anything")  # refused: this process now leaves the cache alone a while
    assert cache.get("anything", "skipped") == "skipped"

    require_approval()  # Redis answers again, but this process is still leaving it alone

    time.sleep(RETRY_AFTER)
    configuration_cache._local.update(other_process)
    assert approval_required()


def test_a_change_made_while_redis_is_down_is_announced_once_it_is_back(
    bank: Tenant, redis_server: RedisServer
) -> None:
    schema = current.schema_name()
    new_request()
    other_process = kept_by_another_process()
    (old_generation, _, _) = other_process[(schema, STORED_SETTINGS.name)]

    with outage(redis_server):
        require_approval()
        assert approval_required()  # this process reads the database meanwhile

    time.sleep(RETRY_AFTER)
    assert cache.get(generation_key(schema, STORED_SETTINGS.name)) == old_generation
    configuration_cache._local.update(other_process)
    assert approval_required()  # this process's next request announces the change
    assert cache.get(generation_key(schema, STORED_SETTINGS.name)) != old_generation


def test_a_copy_is_read_again_once_it_is_older_than_its_age_bound(
    bank: Tenant, redis_server: RedisServer
) -> None:
    with time_machine.travel(datetime(2026, 12, 2, 9, 0, tzinfo=UTC), tick=False) as clock:
        new_request()
        assert not approval_required()
        # A change whose announcement was lost with the process that made it.
        with connection.cursor() as cursor:
            cursor.execute(
                f'UPDATE "{TenantSettings._meta.db_table}" SET final_response_approval = true'
            )

        clock.shift(MAX_AGE_SECONDS - 1)
        assert not approval_required()
        clock.shift(1)
        assert approval_required()
