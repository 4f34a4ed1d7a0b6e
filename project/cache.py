"""A Redis cache that degrades instead of failing while Redis is unreachable.

Everything the product keeps in the cache can be recomputed: the tenant of a host name (read
again from the database), presence (nobody shown as viewing), dashboard figures (computed
again) and rate-limit histories (limits lapse while Redis is down). So a cache error is
logged and counted, and the operation answers as if the key were absent, never raising.

After an error the cache is left alone for ``OPTIONS["retry_after"]`` seconds (default 5) by
every thread of the process (Django makes one cache object per thread; the pause is kept per
Redis address), so a request does not pay a connection timeout on every cache call during an
outage. Writes that must not be skipped (``try_set``, ``try_delete``) can be tried anyway.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from prometheus_client import Counter
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

CACHE_REQUESTS = Counter(
    "complaints_cache_requests",
    "Cache reads by result (hit, miss, or error when Redis was unreachable and the read "
    "fell back to the source of truth).",
    ["result"],
)
CACHE_ERRORS = Counter(
    "complaints_cache_errors",
    "Cache operations that failed or were skipped because Redis was unreachable.",
    ["operation"],
)

DEFAULT_RETRY_AFTER_SECONDS = 5.0
# Until when (``time.monotonic``) each Redis address is left alone after an error, shared by
# the process's threads.
_UNAVAILABLE_UNTIL: dict[str, float] = {}
DEFAULT_SOCKET_TIMEOUT_SECONDS = 0.5


class ReusedRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one ``redis.Redis`` per connection pool.

    Django makes a new ``redis.Redis`` for every cache operation, and each copies some 170
    response callbacks; a page making six cache calls paid for six. A ``redis.Redis`` takes
    a connection from its pool for each command, so threads can share it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        index = self._get_connection_pool_index(write)  # type: ignore[attr-defined]
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)  # type: ignore[attr-defined]
            client = self._clients[index] = self._client(connection_pool=pool)  # type: ignore[attr-defined]
        return client


class ResilientRedisCache(RedisCache):
    """Django's Redis cache whose operations never raise for an unreachable Redis."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        options = dict(params.get("OPTIONS") or {})
        self.retry_after = float(options.pop("retry_after", DEFAULT_RETRY_AFTER_SECONDS))
        options.setdefault("socket_connect_timeout", DEFAULT_SOCKET_TIMEOUT_SECONDS)
        options.setdefault("socket_timeout", DEFAULT_SOCKET_TIMEOUT_SECONDS)
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = ReusedRedisCacheClient
        self._address = str(server)

    def ping(self) -> None:
        """Ask Redis itself, for readiness probes; raises ``RedisError`` when unreachable."""
        # The client is an attribute of Django's backend that its type stubs leave out.
        self._cache.get_client(write=True).ping()  # type: ignore[attr-defined]

    def _is_unavailable(self) -> bool:
        return time.monotonic() < _UNAVAILABLE_UNTIL.get(self._address, 0.0)

    def _guarded(
        self,
        operation: str,
        fallback: T,
        call: Callable[[], T],
        *,
        even_if_unavailable: bool = False,
    ) -> T:
        if self._is_unavailable() and not even_if_unavailable:
            CACHE_ERRORS.labels(operation).inc()
            return fallback
        try:
            return call()
        except RedisError as error:
            CACHE_ERRORS.labels(operation).inc()
            _UNAVAILABLE_UNTIL[self._address] = time.monotonic() + self.retry_after
            logger.warning(
                "cache unavailable (%s during %s); using the database for %g s",
                type(error).__name__,
                operation,
                self.retry_after,
            )
            return fallback

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        missing = object()
        value = self._guarded("get", missing, partial(super().get, key, missing, version))
        if value is missing:
            CACHE_REQUESTS.labels("error" if self._is_unavailable() else "miss").inc()
            return default
        CACHE_REQUESTS.labels("hit").inc()
        return value

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)
        found = self._guarded("get_many", None, partial(super().get_many, keys, version))
        if found is None:
            CACHE_REQUESTS.labels("error").inc(len(keys))
            return {}
        CACHE_REQUESTS.labels("hit").inc(len(found))
        CACHE_REQUESTS.labels("miss").inc(len(keys) - len(found))
        return found

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        # Answering "added" lets lock-style callers (rate limits) go on instead of waiting.
        return self._guarded("add", True, partial(super().add, key, value, timeout, version))

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        self._guarded("set", None, partial(super().set, key, value, timeout, version))

    def try_set(
        self,
        key: Any,
        value: Any,
        timeout: Any = DEFAULT_TIMEOUT,
        version: int | None = None,
        *,
        even_if_unavailable: bool = False,
    ) -> bool:
        """``set``, answering whether Redis took the value. With ``even_if_unavailable`` it is
        tried even while the cache is left alone after an error: for a write that must not be
        skipped (an announcement that configuration changed), worth a connection timeout
        (``socket_timeout``, 0.5 s by default) when Redis is really unreachable."""

        def call() -> bool:
            super(ResilientRedisCache, self).set(key, value, timeout, version)
            return True

        return self._guarded("set", False, call, even_if_unavailable=even_if_unavailable)

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        return self._guarded(
            "set_many", list(data), partial(super().set_many, data, timeout, version)
        )

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        return self._guarded("touch", False, partial(super().touch, key, timeout, version))

    def delete(self, key: Any, version: int | None = None) -> bool:
        return self._guarded("delete", False, partial(super().delete, key, version))

    def try_delete(
        self, key: Any, version: int | None = None, *, even_if_unavailable: bool = False
    ) -> bool:
        """``delete``, answering whether Redis answered (whether or not the key was there);
        ``even_if_unavailable`` as for ``try_set``."""

        def call() -> bool:
            super(ResilientRedisCache, self).delete(key, version)
            return True

        return self._guarded("delete", False, call, even_if_unavailable=even_if_unavailable)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        keys = list(keys)
        self._guarded("delete_many", None, partial(super().delete_many, keys, version))

    def has_key(self, key: Any, version: int | None = None) -> bool:
        return self._guarded("has_key", False, partial(super().has_key, key, version))

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> int:
        return self._guarded("incr", delta, partial(super().incr, key, delta, version))

    def clear(self) -> None:
        self._guarded("clear", None, partial(super().clear))
