"""A tenant's configuration that rarely changes, kept in the shared cache between requests.

Every complaint logged reads the tenant's settings, its default team, categories, closures,
SLA targets and letter wording. Each is read from the database once, kept in the cache, and
forgotten by whatever changes it: a save or delete of its rows (signals, connected with
``forget_on_change``) or a service that writes them in bulk (``forget``). The key names the
tenant's schema (and the cache's key function names it again), so one tenant's entry is never
read for another.

A change forgets the entry at once and again when its transaction commits, so a reader that
refilled it meanwhile from the row before the change does not keep it. Until then the
changing request reads the database: it must neither fill the cache with a row it has not
committed (a rollback would leave it there) nor read the entry another request filled.
Bulk writes send no signal (``update()``, and so ``bulk_update()``; ``bulk_create()``): the
models an entry is built from use ``ConfigurationQuerySet``, whose bulk writes forget it too.
A bulk ``delete()`` sends the signal for each row it deletes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, ClassVar, Generic, TypeVar

from django.core.cache import cache
from django.db import connection, models, transaction
from django.db.models.signals import post_delete, post_save

from tenancy import current

T = TypeVar("T")
M = TypeVar("M", bound=models.Model)

# A safety net only: every change through the services or the models' signals drops the entry.
CACHE_SECONDS = 10 * 60

_ABSENT = object()

# (schema, name) of the entries forgotten in a transaction not yet committed. Reset when a
# request or a task starts (``forget_pending_changes``).
_changing: ContextVar[frozenset[tuple[str, str]]] = ContextVar(
    "configuration_changing", default=frozenset()
)


def forget_pending_changes() -> None:
    """Start afresh: nothing is being changed (a request or task begins)."""
    _changing.set(frozenset())


class TenantCached(Generic[T]):
    """One piece of each tenant's configuration, computed by ``load`` in the tenant's schema.

    The value must pickle (model instances, tuples, dicts of them) and be treated as
    read-only by whoever gets it: each read from the cache is a copy, but a value read from
    the database in this request is handed out as it is.
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

    def key(self, schema: str) -> str:
        return f"configuration:{schema}:{self.name}"

    def changing(self) -> bool:
        """Whether the current transaction changed this tenant's entry (it reads the database
        until the change is committed)."""
        return (current.schema_name(), self.name) in _changing.get()

    def get(self) -> T:
        """The value for the tenant the connection is working in."""
        schema = current.schema_name()
        if (schema, self.name) in _changing.get():
            return self.load()
        key = self.key(schema)
        value = cache.get(key, _ABSENT)
        if value is _ABSENT:
            value = self.load()
            cache.set(key, value, CACHE_SECONDS)
        return value  # type: ignore[no-any-return]

    def put(self, value: T) -> None:
        """Keep ``value`` as the current tenant's entry, unless this transaction changed the
        entry (it is not committed yet, so it must not be shared)."""
        if not self.changing():
            cache.set(self.key(current.schema_name()), value, CACHE_SECONDS)

    def forget(self) -> None:
        """Drop the current tenant's entry now and again when the transaction commits."""
        for listener in self.listeners:
            listener()
        schema = current.schema_name()
        key = self.key(schema)
        cache.delete(key)
        if not connection.in_atomic_block:
            return
        entry = (schema, self.name)
        _changing.set(_changing.get() | {entry})

        def committed() -> None:
            cache.delete(key)
            _changing.set(_changing.get() - {entry})

        transaction.on_commit(committed)

    def forget_on_change(self, *senders: type[models.Model]) -> None:
        """Forget the entry whenever a row of ``senders`` is saved or deleted."""

        def changed(**kwargs: Any) -> None:
            self.forget()

        for sender in senders:
            TenantCached.built_from.setdefault(sender, []).append(self)
            uid = f"configuration.cache:{self.name}:{sender._meta.label}"
            post_save.connect(changed, sender=sender, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(changed, sender=sender, weak=False, dispatch_uid=f"{uid}:delete")


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
