"""Who else has a complaint open in the console, kept in the cache for about a minute.

The cache key is bound to the tenant by django-tenants' ``make_key``, so presence never
crosses tenants. Entries are refreshed by the page's polling and by the reply-box beacon;
two writers may race and one update be lost, which the next poll repairs.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache

from complaints.models import Complaint

PRESENCE_SECONDS = 60


@dataclass(frozen=True)
class Presence:
    name: str
    replying: bool


def _key(complaint: Complaint) -> str:
    return f"console-presence:{complaint.pk}"


def _fresh(entries: dict[int, dict[str, Any]], now: float) -> dict[int, dict[str, Any]]:
    return {pk: entry for pk, entry in entries.items() if now - entry["at"] < PRESENCE_SECONDS}


def record_presence(
    complaint: Complaint, user: Any, *, replying: bool | None = None
) -> list[Presence]:
    """Note that ``user`` has the complaint open; ``replying=None`` keeps what was known.

    Returns the others with it open (``others_present``), read in the same round trip."""
    now = time.time()
    entries = _fresh(cache.get(_key(complaint)) or {}, now)
    if replying is None:
        replying = bool(entries.get(user.pk, {}).get("replying"))
    entries[user.pk] = {"name": user.display_name, "replying": replying, "at": now}
    cache.set(_key(complaint), entries, PRESENCE_SECONDS)
    return _others(entries, user)


def others_present(complaint: Complaint, user: Any) -> list[Presence]:
    """The other staff members with the complaint open, those replying first."""
    return _others(_fresh(cache.get(_key(complaint)) or {}, time.time()), user)


def _others(entries: dict[int, dict[str, Any]], user: Any) -> list[Presence]:
    others = [
        Presence(name=entry["name"], replying=entry["replying"])
        for pk, entry in entries.items()
        if pk != user.pk
    ]
    return sorted(others, key=lambda presence: (not presence.replying, presence.name))
