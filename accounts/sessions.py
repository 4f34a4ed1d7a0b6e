"""A signed-in request's three reads (session, account, second-factor device) in lean SQL.

Every page a person is signed in to reads their session, their account and, for staff, the
device that passed their second factor: three single-row reads by a unique key. Through the
ORM each took about 0.35 ms of processor time to build and compile its statement (as much
as a whole queue page's rows), so here each statement is composed once per process and
then only run (about 0.1 ms): the same SQL, the same rows and the same model instances
(``Model.from_db``), through the same connection and the current schema's search path.

- ``SessionStore`` (``SESSION_ENGINE = "accounts.sessions"``): Django's database sessions.
- ``AccountBackend`` and ``AccountAuthenticationBackend``: Django's and allauth's backends,
  reading the signed-in account this way.
- ``accounts.middleware.SecondFactorMiddleware``: django-otp's middleware, reading the device.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, TypeVar, cast

from allauth.account.auth_backends import AuthenticationBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends import db
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import connections, models, router
from django.utils import timezone

M = TypeVar("M", bound=models.Model)
# A composed read: SQL, attribute names, converters by position, the key's integer range.
Statement = tuple[
    str, list[str], list[tuple[int, list[Callable[..., Any]], Any]], tuple[int, int] | None
]


@lru_cache(maxsize=64)
def _statement(model: type[models.Model], key: str, alias: str) -> Statement:
    """The SELECT of every concrete column of ``model`` where the ``key`` column equals a
    parameter; the columns' attribute names; the converters the ORM would apply to them (by
    position); and the key's range when it is an integer column."""
    connection = connections[alias]
    quote = connection.ops.quote_name
    meta = model._meta
    fields = list(meta.concrete_fields)
    key_field = cast("models.Field[Any, Any]", meta.get_field(key))
    column = key_field.column
    table = quote(meta.db_table)
    columns = ", ".join(f"{table}.{quote(field.column)}" for field in fields)
    # Names from the model's metadata, quoted; the value is a parameter.
    sql = f"SELECT {columns} FROM {table} WHERE {quote(column)} = %s"  # noqa: S608
    converters = []
    for position, field in enumerate(fields):
        expression = field.get_col(meta.db_table)
        found = connection.ops.get_db_converters(expression) + field.get_db_converters(  # type: ignore[attr-defined]
            connection
        )
        if found:
            converters.append((position, found, expression))
    bounds = connection.ops.integer_field_ranges.get(key_field.get_internal_type())
    return sql, [field.attname for field in fields], converters, bounds


def row_by_key(model: type[M], key: str, value: Any) -> M | None:
    """The row of ``model`` whose unique field ``key`` (a field name, ``pk`` for the primary
    key) equals ``value``, as the ORM's ``model.objects.filter(key=value).first()`` would
    give it (every column, converted the same way), or None. Read from the database the
    router names for reading, in the current schema (PostgreSQL's search path).

    An integer beyond the column's range finds nothing (as the ORM's lookup). Raises
    ``ValueError``/``TypeError`` when ``value`` does not fit the field (as the ORM does for
    a lookup), and what the database raises.
    """
    meta = model._meta
    field = cast("models.Field[Any, Any]", meta.pk if key == "pk" else meta.get_field(key))
    assert field.concrete, key
    alias = router.db_for_read(model)
    connection = connections[alias]
    sql, names, converters, bounds = _statement(model, field.name, alias)
    parameter = field.get_db_prep_value(value, connection, prepared=False)
    if bounds is not None and not bounds[0] <= parameter <= bounds[1]:
        return None
    with connection.cursor() as cursor:
        cursor.execute(sql, [parameter])
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = list(row)
        for position, functions, expression in converters:
            for convert in functions:
                row[position] = convert(row[position], expression, connection)
    return model.from_db(alias, names, row)


class SessionStore(db.SessionStore):
    """Django's database sessions, with the session read by one statement composed once
    (``row_by_key``); an expired or unknown session is empty and gets a new key when saved,
    as in Django's own. A key is letters and digits (ASCII, as Django makes them): any other
    cookie value, a NUL byte that PostgreSQL would refuse included, is no session."""

    def _validate_session_key(self, key: str | None) -> bool:
        return bool(super()._validate_session_key(key)) and key.isascii() and key.isalnum()  # type: ignore[misc,union-attr]

    def _get_session_from_db(self) -> AbstractBaseSession | None:
        session = row_by_key(self.model, "session_key", self.session_key)
        if session is None or session.expire_date <= timezone.now():
            self._session_key = None
            return None
        return session


class LeanUserRead:
    """``get_user`` of Django's ``ModelBackend``, with the account read by ``row_by_key``:
    the account with this id when it may sign in (``user_can_authenticate``: active), else
    None. An id that does not fit the key reads as no account."""

    def get_user(self, user_id: Any) -> Any:
        try:
            user = row_by_key(get_user_model(), "pk", user_id)
        except (TypeError, ValueError):
            return None
        return user if user is not None and self.user_can_authenticate(user) else None  # type: ignore[attr-defined]


class AccountBackend(LeanUserRead, ModelBackend):
    """Django's ``ModelBackend`` (password sign-in), reading the signed-in account lean."""


class AccountAuthenticationBackend(LeanUserRead, AuthenticationBackend):
    """allauth's backend, reading the signed-in account lean."""
