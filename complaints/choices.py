"""Choice lists of categories, teams and root causes, read from the cache instead of per form.

The queue's filters and a complaint page's action forms list the tenant's categories, teams
and root causes in several ``<select>``s; Django's ``ModelChoiceField`` reads each list with
a query of its own (through a server-side cursor: three round trips) every time a form is
rendered. :class:`CachedModelChoiceField` shows the (value, label) pairs of its queryset
from the cache, keyed by the queryset's SQL (keys are tenant-scoped by the cache's key
function) and kept for the rest of the request; any save or deletion of a row of the model
drops them at once and again after commit. Validation never trusts the cache: a chosen value
is looked up in the database, as by any ``ModelChoiceField``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django import forms
from django.core.cache import cache
from django.core.signals import request_started
from django.db import models, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.choices import BaseChoiceIterator

from complaints.models import Category, RootCause, Team
from tenancy import current

# A safety net only: every change to a row of these models drops its lists at once.
CACHE_SECONDS = 15 * 60
CACHED_MODELS: tuple[type[models.Model], ...] = (Category, Team, RootCause)

# Lists read in this request, per (schema, cache key).
_read: ContextVar[dict[tuple[str, str], list[tuple[Any, str]]] | None] = ContextVar(
    "cached_choices", default=None
)


def cache_key(model: type[models.Model]) -> str:
    return f"choices:{model._meta.label_lower}"


def forget_read_choices() -> None:
    _read.set(None)


def forget_choices(model: type[models.Model]) -> None:
    """Drop ``model``'s cached lists now and after commit (a reader may refill them meanwhile)."""
    forget_read_choices()
    key = cache_key(model)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


@receiver(post_save, dispatch_uid="complaints.choices.saved")
@receiver(post_delete, dispatch_uid="complaints.choices.deleted")
def row_changed(sender: type[models.Model], **kwargs: Any) -> None:
    if sender in CACHED_MODELS:
        forget_choices(sender)


@receiver(request_started, dispatch_uid="complaints.choices.per_request")
def forget_per_request(**kwargs: Any) -> None:
    forget_read_choices()


class CachedChoices(BaseChoiceIterator):
    """The field's choices, read only when iterated (a form that is not shown reads nothing)."""

    def __init__(self, field: CachedModelChoiceField) -> None:
        self.field = field

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from self.field._listed()

    def __len__(self) -> int:
        return len(self.field._listed()) + (self.field.empty_label is not None)


class CachedModelChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` whose options come from the cache (see the module's doc).

    Its model must be one of ``CACHED_MODELS`` (their changes drop the lists), and its labels
    must depend on rows of that model only.
    """

    def __init__(self, queryset: Any, **kwargs: Any) -> None:
        assert queryset.model in CACHED_MODELS, queryset.model
        super().__init__(queryset, **kwargs)

    def _listed(self) -> list[tuple[Any, str]]:
        queryset = self.queryset
        assert queryset is not None
        model_key = cache_key(queryset.model)
        sql = str(queryset.query)
        variant = hashlib.sha256(
            f"{sql}|{type(self).__qualname__}|{self.to_field_name}".encode()
        ).hexdigest()[:24]
        read = _read.get()
        if read is None:
            read = {}
            _read.set(read)
        key = (current.schema_name(), f"{model_key}:{variant}")
        if key not in read:
            lists: dict[str, list[tuple[Any, str]]] = cache.get(model_key) or {}
            if variant not in lists:
                lists[variant] = [
                    (self.prepare_value(row), str(self.label_from_instance(row)))
                    for row in queryset.all()
                ]
                cache.set(model_key, lists, CACHE_SECONDS)
            read[key] = lists[variant]
        return read[key]

    def _get_choices(self) -> Any:
        if hasattr(self, "_choices"):
            return self._choices
        return CachedChoices(self)

    choices = property(_get_choices, forms.ChoiceField.choices.fset)  # type: ignore[union-attr]
