"""Cache writes that must not be skipped: a change's announcement to every process.

``project.cache.ResilientRedisCache`` skips its operations for a few seconds after a Redis
error and never raises; these ask it to try anyway (``even_if_unavailable``) and say whether
Redis answered. A cache without those methods (local memory, in development) raises on
failure instead, so its writes count as done. Here, in the lowest layer, so the tenant routing
and the configuration cache share them.
"""

from __future__ import annotations

from typing import Any

from django.core.cache import cache


def set_confirmed(key: str, value: Any, timeout: float | None, *, forced: bool) -> bool:
    """Set ``key``; whether the cache took it. ``forced``: even in the seconds the process
    leaves Redis alone after an error (one socket timeout, 0.5 s, at worst)."""
    try_set = getattr(cache, "try_set", None)
    if try_set is None:
        cache.set(key, value, timeout)
        return True
    return bool(try_set(key, value, timeout, even_if_unavailable=forced))


def delete_confirmed(key: str, *, forced: bool) -> bool:
    """Delete ``key``; whether the cache answered (whether or not the key was there);
    ``forced`` as for ``set_confirmed``."""
    try_delete = getattr(cache, "try_delete", None)
    if try_delete is None:
        cache.delete(key)
        return True
    return bool(try_delete(key, even_if_unavailable=forced))
