"""Choice lists of categories, teams and root causes, read from the cache instead of per form.

The queue's filters and a complaint page's action forms list the tenant's categories, teams
and root causes in several ``<select>``s; Django's ``ModelChoiceField`` reads each list with
a query of its own (through a server-side cursor: three round trips) every time a form is
rendered. :class:`CachedModelChoiceField` shows the (value, label) pairs of its queryset
from the tenant's configuration cache (``configuration.cache.TenantCached``: one entry per
model holding a list per queryset, by the queryset's SQL) and keeps them for the rest of the
request; any save or deletion of a row of the model drops them at once and again after
commit, and a transaction that changed them reads the database until it commits. Validation
never trusts the cache: a chosen value is looked up in the database, as by any
``ModelChoiceField``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from django import forms
from django.core.signals import request_started
from django.db import models
from django.dispatch import receiver
from django.utils.choices import BaseChoiceIterator

from accounts.directory import is_row_id
from complaints.models import Category, RootCause, Team
from configuration.cache import TenantCached
from tenancy import current

Lists = dict[str, list[tuple[Any, str]]]

# Per model: its lists, by queryset variant. Any save or deletion of a row drops them.
LISTS: dict[type[models.Model], TenantCached[Lists]] = {
    model: TenantCached(f"choices:{model._meta.label_lower}", dict)
    for model in (Category, Team, RootCause)
}
CACHED_MODELS: tuple[type[models.Model], ...] = tuple(LISTS)

# Lists read in this request, per (schema, model, variant).
_read: ContextVar[dict[tuple[str, str, str], list[tuple[Any, str]]] | None] = ContextVar(
    "cached_choices", default=None
)


def forget_read_choices() -> None:
    """Drop the lists this request has read, so the next form reads the cache again."""
    _read.set(None)


for _model, _lists in LISTS.items():
    _lists.forget_on_change(_model)
    _lists.listeners.append(forget_read_choices)


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

    # The list's key among its model's lists, from the queryset's SQL: compiled once per
    # queryset given to the field, not on every form (a form's fields are copies of the
    # class's, made on each request).
    _variant: str | None = None

    def _set_queryset(self, queryset: Any) -> None:
        self._variant = None
        super()._set_queryset(queryset)  # type: ignore[misc]

    queryset = property(
        forms.ModelChoiceField._get_queryset,  # type: ignore[attr-defined]
        _set_queryset,
    )

    def __deepcopy__(self, memo: dict[int, Any]) -> CachedModelChoiceField:
        result: CachedModelChoiceField = super().__deepcopy__(memo)  # type: ignore[misc]
        # The same query (``queryset.all()``); worked out on the form class's field, once.
        result._variant = self.variant() if self.queryset is not None else None
        return result

    def variant(self) -> str:
        """Which of its model's lists this field shows: a digest of its query and labels."""
        if self._variant is None:
            assert self.queryset is not None
            sql = str(self.queryset.query)
            self._variant = hashlib.sha256(
                f"{sql}|{type(self).__qualname__}|{self.to_field_name}".encode()
            ).hexdigest()[:24]
        return self._variant

    def _listed(self) -> list[tuple[Any, str]]:
        queryset = self.queryset
        assert queryset is not None
        lists = LISTS[queryset.model]
        variant = self.variant()
        if lists.changing():  # this transaction changed the rows: read them as they stand
            return self._read_rows()
        read = _read.get()
        if read is None:
            read = {}
            _read.set(read)
        key = (current.schema_name(), lists.name, variant)
        if key not in read:
            generation, kept = lists.read()
            if variant not in kept:
                kept = {**kept, variant: self._read_rows()}
                lists.put(kept, generation)
            read[key] = kept[variant]
        return read[key]

    def to_python(self, value: Any) -> Any:
        """The chosen row; a value that is not a row id in ASCII digits (a fullwidth or an Arabic-Indic three, which
        ``int`` would read as 3 while no option shows it chosen) is not a choice."""
        if value not in self.empty_values and not is_row_id(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)

    def _read_rows(self) -> list[tuple[Any, str]]:
        assert self.queryset is not None
        return [
            (self.prepare_value(row), str(self.label_from_instance(row)))
            for row in self.queryset.all()
        ]

    def _get_choices(self) -> Any:
        if hasattr(self, "_choices"):
            return self._choices
        return CachedChoices(self)

    choices = property(_get_choices, forms.ChoiceField.choices.fset)  # type: ignore[union-attr]
