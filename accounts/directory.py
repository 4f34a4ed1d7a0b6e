"""Staff pickers: the tenant's active staff, listed from a cache and rendered once per request.

A queue page carries several pickers of the same people (the assignee filter, the bulk
action's assignee) and a complaint page several more (assign, refer). Rendering hundreds of
``<option>``s through Django's template widgets for each of them, from a query each, costs
more than the page's own query. Here the staff list is kept in the tenant's configuration
cache (``configuration.cache.TenantCached``), forgotten whenever a staff account is saved or
deleted (and read from the database by a transaction that changed one, until it commits),
and each role set's options are rendered to HTML at most once per request.
Validation never trusts the cache: a chosen person is read from the database.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.signals import request_started
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from accounts.models import Role, User
from configuration.cache import CachedRows, TenantCached
from tenancy import current


def is_row_id(value: Any) -> bool:
    """Whether ``value`` reads as a row id: 1 to 18 ASCII digits (``str.isdigit`` also takes
    "²" or "①", which ``int`` refuses, and a longer number passes a bigint)."""
    text = str(value)
    return text.isascii() and text.isdigit() and len(text) <= 18


@dataclass(frozen=True)
class StaffOptions:
    """The ``<option>`` elements of one set of roles, in name order, and how many there are."""

    html: SafeString
    count: int

    def marked(self, value: Any) -> SafeString:
        """The options with ``value`` (a user id) selected, if it is one of them."""
        if value in (None, ""):
            return self.html
        option = f'<option value="{int(value)}">' if is_row_id(value) else None
        if option is None or option not in self.html:
            return self.html
        selected = option.replace(">", " selected>", 1)
        return mark_safe(self.html.replace(option, selected, 1))  # noqa: S308 - built escaped


# Options rendered in this request, per (schema, roles). Dropped when a request starts and
# when a staff account changes.
_rendered: ContextVar[dict[tuple[str, tuple[str, ...]], StaffOptions] | None] = ContextVar(
    "staff_options", default=None
)


def forget_rendered_options() -> None:
    """Drop this request's rendered options, so the next picker reads the directory again."""
    _rendered.set(None)


def _read_directory() -> list[tuple[int, str, str]]:
    """(id, name shown, role) of every active staff member, by name, from the database."""
    rows = (
        User.objects.filter(role__in=[role.value for role in Role if role != Role.CONSUMER])
        .filter(is_active=True)
        .order_by("full_name", "email")
        .values_list("pk", "full_name", "email", "role")
    )
    return [(pk, name or email, role) for pk, name, email, role in rows]


DIRECTORY: TenantCached[list[tuple[int, str, str]]] = TenantCached(
    "staff-directory", _read_directory
)
DIRECTORY.listeners.append(forget_rendered_options)


# Every staff account, active or not, by id, with what a list row shows of a person (the
# e-mail, the name and the role).
STAFF: CachedRows[User] = CachedRows(
    "staff-by-id",
    lambda: User.objects.only("email", "full_name", "role"),
    keep=~Q(role=Role.CONSUMER),
)


def staff_options(roles: tuple[str, ...]) -> StaffOptions:
    """The active staff with one of ``roles`` as ``<option>``s, rendered once per request."""
    key = (current.schema_name(), roles)
    rendered = _rendered.get()
    if rendered is None:
        rendered = {}
        _rendered.set(rendered)
    if key not in rendered:
        people = [(pk, name) for pk, name, role in DIRECTORY.get() if role in roles]
        html = "".join(
            format_html('<option value="{}">{}</option>', pk, name) for pk, name in people
        )
        rendered[key] = StaffOptions(html=mark_safe(html), count=len(people))  # noqa: S308
    return rendered[key]


def forget_directory() -> None:
    """Drop the cached staff lists now and again after commit (``TenantCached.forget``)."""
    DIRECTORY.forget()
    STAFF.forget()


# A bulk write of accounts (``update()``, ``bulk_create()``) forgets both lists; a save of a
# staff account does too (``staff_changed``), a consumer's does not.
DIRECTORY.forget_on_bulk_write(User)
STAFF.forget_on_bulk_write(User)


@receiver(post_save, sender=User, dispatch_uid="accounts.directory.saved")
@receiver(post_delete, sender=User, dispatch_uid="accounts.directory.deleted")
def staff_changed(sender: type[User], instance: User, **kwargs: Any) -> None:
    # Consumers are most accounts and never appear in a picker; a staff sign-in (last_login)
    # drops the list too, which is cheap.
    if instance.role != Role.CONSUMER:
        forget_directory()


@receiver(request_started, dispatch_uid="accounts.directory.per_request")
def forget_per_request(**kwargs: Any) -> None:
    forget_rendered_options()


class StaffSelect(forms.Select):
    """A ``<select>`` of staff written from the request's rendered options, not per option."""

    def __init__(self, roles: tuple[str, ...], empty_label: str | None) -> None:
        super().__init__()
        self.roles = roles
        self.empty_label = empty_label

    def use_required_attribute(self, initial: Any) -> bool:
        # Without an empty choice the browser always has a value to send.
        return self.empty_label is not None and not self.is_hidden

    def subwidgets(self, name: str, value: Any, attrs: dict[str, Any] | None = None) -> Any:
        # One widget, as for any input: the options are not widgets of their own here (and a
        # form's ``{% if form.field %}`` stays true).
        yield {"name": name, "value": value, "attrs": self.build_attrs(self.attrs, attrs)}

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = {"name": name, **self.build_attrs(self.attrs, attrs)}
        empty = (
            format_html('<option value="">{}</option>', self.empty_label)
            if self.empty_label is not None
            else ""
        )
        options = staff_options(self.roles).marked(value)
        return format_html("<select{}>{}{}</select>", flatatt(final), empty, options)


class StaffChoiceField(forms.Field):
    """One active staff member with one of ``roles``; cleans to the ``User``, read afresh."""

    default_error_messages = {"invalid_choice": "Choose someone from the list."}

    def __init__(self, *roles: Role, empty_label: str | None = "---------", **kwargs: Any) -> None:
        self.roles = tuple(role.value for role in roles)
        kwargs.setdefault("widget", StaffSelect(self.roles, empty_label))
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> User | None:
        if value in self.empty_values:
            return None
        if not is_row_id(value):
            raise forms.ValidationError(self.error_messages["invalid_choice"], "invalid_choice")
        person = User.objects.filter(pk=int(value), role__in=self.roles, is_active=True).first()
        if person is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], "invalid_choice")
        return person

    def prepare_value(self, value: Any) -> Any:
        return value.pk if isinstance(value, User) else value
