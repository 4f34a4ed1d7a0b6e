"""A tenant's configuration that rarely changes, kept in the shared cache between requests.

Every complaint logged reads the tenant's settings, its default team, categories, closures,
SLA targets and letter wording. Each is read from the database once, kept in the cache, and
forgotten by whatever changes it: a save or delete of its rows (signals, connected with
``forget_on_change``) or a service that writes them in bulk (``forget``). The key names the
tenant's schema (and the cache's key function names it again), so one tenant's entry is never
read for another.

Each entry of each tenant has a *generation* in the shared cache, a random token that every
change of the entry replaces; the value is kept under it. A request reads the generations of
all the tenant's entries at once (one round trip to the cache) and then each entry of its
generation from the process's own memory, read from the shared cache or the database only
the first time in each process. A change replaces the entry's generation at once and again
when its transaction commits, so every process reads afresh and a value refilled meanwhile
from the row before the change is kept under a generation no one reads any more. Until the
commit the changing request reads the database: it must neither fill the cache with a row it
has not committed (a rollback would leave it there) nor read the entry another request
filled. While the cache is unreachable there are no generations, and every read goes to the
database.

A change must reach every process even when the cache fails as it is announced. The new
generation is written even while this process leaves the cache alone after an error (one
connection timeout at worst); when Redis cannot take it, the process reads the entry from the
database and writes the generation again at each request until Redis takes it. Should the
process end first, no copy outlives ``MAX_AGE_SECONDS`` from when it was read from the
database: every process then reads the entry again. Bulk writes send no signal
(``update()``, and so ``bulk_update()``; ``bulk_create()``): the models an entry is built from use ``ConfigurationQuerySet``, whose
bulk writes forget it too. A bulk ``delete()`` sends the signal for each row it deletes.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, ClassVar, Generic, TypeVar

from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models.signals import post_delete, post_save

from tenancy import current
from tenancy.confirmed_cache import set_confirmed

logger = logging.getLogger(__name__)

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

# The longest a value read from the database is used, in seconds (wall clock, every process):
# a bound on staleness should a change's announcement be lost with the process that made it.
# Every change through the services or the models' signals drops the entry at once.
MAX_AGE_SECONDS = 60

_ABSENT = object()

# An entry's generation token, and when the value kept under it was read from the database
# (``time.time``).
Generation = tuple[str, float]

# (schema, name) of the entries forgotten in a transaction not yet committed. Reset when a
# request or a task starts (``forget_pending_changes``).
_changing: ContextVar[frozenset[tuple[str, str]]] = ContextVar(
    "configuration_changing", default=frozenset()
)


# The generations of each tenant's entries (by schema, then name) as this request or task
# read them, and when (``time.monotonic``); read again after ``GENERATION_SECONDS``, so a
# long-running command sees other processes' changes.
GENERATION_SECONDS = 1.0
_generations: ContextVar[dict[str, tuple[dict[str, str], float]] | None] = ContextVar(
    "configuration_generations", default=None
)

# Values this process has read, by (schema, name): (generation, read at, value), "read at"
# being when the value was read from the database (``time.time``). Cleared whole when it holds
# more than ``LOCAL_ENTRIES`` (a node serving many tenants reads them again).
LOCAL_ENTRIES = 4096
_local: dict[tuple[str, str], tuple[str, float, Any]] = {}
_local_lock = threading.Lock()

# (schema, name) of the entries this process changed while the cache could not take their new
# generation: read from the database, and announced again, until the cache takes it.
_unannounced: set[tuple[str, str]] = set()


def forget_pending_changes() -> None:
    """Start afresh: nothing is being changed, and the generations are read again (a request
    or task begins)."""
    _changing.set(frozenset())
    _generations.set(None)


def generation_key(schema: str, name: str) -> str:
    return f"configuration:{schema}:{name}:generation"


def generations(schema: str) -> dict[str, str]:
    """The generation of each of the tenant's entries, by name: read from the shared cache in
    one round trip per request or task (a missing one is made); empty while the cache is
    unreachable."""
    seen = _generations.get()
    if seen is None:
        seen = {}
        _generations.set(seen)
    now = time.monotonic()
    known = seen.get(schema)
    if (
        known is not None
        and now - known[1] < GENERATION_SECONDS
        and len(known[0]) == len(TenantCached.every)
    ):
        return known[0]
    if _unannounced:
        _announce_again()
    keys = {entry.name: generation_key(schema, entry.name) for entry in TenantCached.every}
    found = cache.get_many(list(keys.values()))
    tokens = {name: found[key] for name, key in keys.items() if key in found}
    for name in keys.keys() - tokens.keys():
        cache.add(keys[name], uuid.uuid4().hex, None)
    if len(tokens) < len(keys):  # ours, or those another process made first
        found = cache.get_many([keys[name] for name in keys.keys() - tokens.keys()])
        tokens.update({name: found[keys[name]] for name in keys if keys[name] in found})
    for unannounced_schema, name in list(_unannounced):
        if unannounced_schema == schema:
            tokens.pop(name, None)  # read from the database until announced
    seen[schema] = (tokens, now)
    return tokens


def fingerprint() -> tuple[tuple[str, str], ...] | None:
    """The current generation of every entry of the tenant the connection works in, as one
    hashable value: whatever is built from the configuration alone (a rendered form with its
    choices) can be kept under it, and is never read again once any entry changes. None
    while some entry has no generation (the cache is unreachable, a change is not yet
    announced) or this transaction changed one: then nothing may be kept."""
    schema = current.schema_name()
    if any(changed == schema for changed, _name in _changing.get()):
        return None
    tokens = generations(schema)
    if len(tokens) < len(TenantCached.every):
        return None
    return (("schema", schema), *sorted(tokens.items()))


def _renew_generation(schema: str, name: str) -> None:
    """Give an entry a new generation: every process reads it afresh. When the cache cannot
    take it, this process reads the entry from the database and announces it again at each
    request (``_announce_again``) until the cache takes it."""
    token = uuid.uuid4().hex
    if set_confirmed(generation_key(schema, name), token, None, forced=True):
        with _local_lock:
            _unannounced.discard((schema, name))
    else:
        with _local_lock:
            _unannounced.add((schema, name))
            _local.pop((schema, name), None)
        logger.error(
            "configuration change of %s in %s not announced (the cache did not take it); "
            "announced again by this process's requests once it tries the cache again, "
            "other processes read it within %d s",
            name,
            schema,
            MAX_AGE_SECONDS,
        )
    seen = _generations.get()
    if seen is not None and schema in seen:
        if (schema, name) in _unannounced:
            seen[schema][0].pop(name, None)
        else:
            seen[schema][0][name] = token


def _announce_again() -> None:
    """Write a new generation for each change the cache could not take, unless this process
    still leaves the cache alone after an error."""
    with _local_lock:
        waiting = list(_unannounced)
    for schema, name in waiting:
        if not set_confirmed(generation_key(schema, name), uuid.uuid4().hex, None, forced=False):
            return
        with _local_lock:
            _unannounced.discard((schema, name))
        logger.info("configuration change of %s in %s announced", name, schema)


class TenantCached(Generic[T]):
    """One piece of each tenant's configuration, computed by ``load`` in the tenant's schema.

    The value must pickle (model instances, tuples, dicts of them) and be treated as
    read-only by whoever gets it: the same object is handed to every request of the process
    until the entry's generation changes.
    """

    every: ClassVar[list[TenantCached[Any]]] = []
    # The entries built from each model's rows (``forget_on_change``).
    built_from: ClassVar[dict[type[models.Model], list[TenantCached[Any]]]] = {}

    def __init__(self, name: str, load: Callable[[], T]) -> None:
        self.name = name
        self.load = load
        # Called whenever the entry is forgotten, to drop copies kept for the request.
        self.listeners: list[Callable[[], None]] = []
        TenantCached.every.append(self)

    def key(self, schema: str, generation: str) -> str:
        """The shared cache's key of the entry's value of ``generation``: (read at, value)."""
        return f"configuration:{schema}:{generation}:{self.name}:aged"

    def changing(self) -> bool:
        """Whether the current transaction changed this tenant's entry (it reads the database
        until the change is committed)."""
        return (current.schema_name(), self.name) in _changing.get()

    def get(self) -> T:
        """The value for the tenant the connection is working in: from the process's memory,
        else the shared cache, else ``load``."""
        return self.read()[1]

    def read(self) -> tuple[Generation | None, T]:
        """The entry's generation (with when its value was read from the database) and its
        value, as ``get``; the generation is ``None`` when the value was read from the
        database without the cache (the cache is unreachable, or this transaction changed the
        entry). Give it to ``put`` with a value built from this one."""
        schema = current.schema_name()
        if (schema, self.name) in _changing.get():
            return None, self.load()
        token = generations(schema).get(self.name)
        if token is None:  # the cache is unreachable, or the change not yet announced
            return None, self.load()
        now = time.time()
        kept = _local.get((schema, self.name))
        if kept is not None and kept[0] == token and 0 <= now - kept[1] < MAX_AGE_SECONDS:
            return (token, kept[1]), kept[2]
        key = self.key(schema, token)
        stored = cache.get(key, _ABSENT)
        if stored is _ABSENT or not 0 <= now - stored[0] < MAX_AGE_SECONDS:
            stored = (now, self.load())
            cache.set(key, stored, MAX_AGE_SECONDS)
        self._keep(schema, token, stored)
        return (token, stored[0]), stored[1]

    def _keep(self, schema: str, token: str, stored: tuple[float, Any]) -> None:
        with _local_lock:
            if len(_local) >= LOCAL_ENTRIES:
                _local.clear()
            _local[(schema, self.name)] = (token, *stored)

    def put(self, value: T, generation: Generation | None) -> None:
        """Keep ``value`` as the current tenant's entry of ``generation``, the one ``read``
        gave with the value it was built from (a later generation may reflect a change the
        value does not), until that value's age ends; nothing is kept without a generation,
        or when this transaction changed the entry (it is not committed yet, so it must not be
        shared)."""
        if generation is None or self.changing():
            return
        token, read_at = generation
        left = MAX_AGE_SECONDS - (time.time() - read_at)
        if left < 1:
            return
        schema = current.schema_name()
        cache.set(self.key(schema, token), (read_at, value), int(left))
        self._keep(schema, token, (read_at, value))

    def forget(self) -> None:
        """Drop the current tenant's entry now and again when the transaction commits (a new
        generation each time)."""
        for listener in self.listeners:
            listener()
        schema = current.schema_name()
        _renew_generation(schema, self.name)
        if not connection.in_atomic_block:
            return
        entry = (schema, self.name)
        _changing.set(_changing.get() | {entry})

        def committed() -> None:
            _renew_generation(schema, self.name)
            _changing.set(_changing.get() - {entry})

        transaction.on_commit(committed)

    def forget_on_bulk_write(self, *senders: type[models.Model]) -> None:
        """Forget the entry whenever rows of ``senders`` are written in bulk
        (``ConfigurationQuerySet``); for an entry whose saves are told apart by a signal
        receiver of its own (only some rows' saves change it)."""
        for sender in senders:
            TenantCached.built_from.setdefault(sender, []).append(self)

    def forget_on_change(self, *senders: type[models.Model]) -> None:
        """Forget the entry whenever a row of ``senders`` is saved or deleted, or written in
        bulk."""

        def changed(**kwargs: Any) -> None:
            self.forget()

        self.forget_on_bulk_write(*senders)
        for sender in senders:
            uid = f"configuration.cache:{self.name}:{sender._meta.label}"
            post_save.connect(changed, sender=sender, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(changed, sender=sender, weak=False, dispatch_uid=f"{uid}:delete")


class CachedRows(TenantCached[dict[int, M]]):
    """Rows of a model by id, one entry per tenant: the rows of ``rows()`` that ``keep``
    selects (all of them without it). The instances are shared with other requests: read
    them, never change them."""

    def __init__(
        self, name: str, rows: Callable[[], models.QuerySet[M]], keep: models.Q | None = None
    ) -> None:
        self.rows = rows
        super().__init__(name, lambda: (rows() if keep is None else rows().filter(keep)).in_bulk())

    def by_id(self, ids: set[int]) -> dict[int, M]:
        """The rows of ``ids``: from the entry, and those it lacks (written since it was read,
        or not kept) from ``rows()`` in one query."""
        known = self.get()
        found = {pk: known[pk] for pk in ids if pk in known}
        if missing := ids - found.keys():
            found.update(self.rows().in_bulk(missing))
        return found


class ConfigurationQuerySet(models.QuerySet[M]):
    """The rows of a model cached configuration is built from: a bulk write forgets the
    entries built from them (``TenantCached.forget``), as saving one row does.

    An update of bookkeeping only, the fields the model names in ``UNCACHED_FIELDS`` (a
    counter, a pointer read under a lock, never from the cache), forgets nothing: it happens
    on hot paths and would keep the entries from ever being read.
    """

    def update(self, **kwargs: Any) -> int:
        rows = super().update(**kwargs)
        if rows and not kwargs.keys() <= getattr(self.model, "UNCACHED_FIELDS", frozenset()):
            self._forget()
        return rows

    def bulk_create(self, objs: Iterable[M], *args: Any, **kwargs: Any) -> list[M]:
        made = super().bulk_create(objs, *args, **kwargs)
        if made:
            self._forget()
        return made

    def _forget(self) -> None:
        for cached in TenantCached.built_from.get(self.model, []):
            cached.forget()


def forget_all() -> None:
    """Forget every entry of the current tenant (its schema was just created or copied)."""
    for cached in TenantCached.every:
        cached.forget()
