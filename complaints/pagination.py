"""Keyset pagination: pages are found by the last row seen, never by OFFSET."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, F, OrderBy, Value
from django.db.models.sql.compiler import SQLCompiler

Row = TypeVar("Row", bound=models.Model)
Item = TypeVar("Item", covariant=True)


class Sliceable(Protocol[Item]):
    """Rows in a fixed order that can be read a slice at a time (a queryset, or the ranked
    matches of a search)."""

    def __getitem__(self, window: slice, /) -> Iterable[Item]: ...


class CursorError(ValueError):
    """A cursor that this list did not hand out (forged, truncated or for another order)."""


@dataclass
class KeysetPage(Generic[Row]):
    """A page of rows and the cursor of the next (``None`` on the last page); ``restarted``
    when the cursor asked for could not be read, so this is the first page instead."""

    rows: list[Row]
    next_cursor: str | None
    restarted: bool = False


class RowBeyond(Expression):
    """``(a, b) > (x, y)`` (or ``<``): the rows after a position in one row comparison.

    Written as one row comparison rather than ``a > x OR (a = x AND b > y)`` so that
    PostgreSQL seeks a B-tree index on ``(a, b)`` to the position (an *Index Cond*) instead
    of reading from the start and filtering.
    """

    conditional = True
    output_field = BooleanField()

    def __init__(self, columns: list[str], values: list[Any], *, descending: bool) -> None:
        super().__init__()
        self.columns: list[Any] = [F(column) for column in columns]
        self.values: list[Any] = [Value(value) for value in values]
        self.operator = "<" if descending else ">"

    def get_source_expressions(self) -> list[Any]:
        return [*self.columns, *self.values]

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        half = len(exprs) // 2
        self.columns, self.values = list(exprs[:half]), list(exprs[half:])

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, tuple[Any, ...]]:
        parts: list[list[str]] = [[], []]
        params: list[Any] = []
        sides: tuple[list[Any], list[Any]] = (self.columns, self.values)
        for side, expressions in enumerate(sides):
            for expression in expressions:
                sql, expression_params = compiler.compile(expression)
                parts[side].append(sql)
                params.extend(expression_params)
        left, right = (", ".join(side) for side in parts)
        return f"({left}) {self.operator} ({right})", tuple(params)


# The longest value a cursor carries: an ISO date and time, a row id or a short text column.
CURSOR_VALUE_MAX = 40


# The largest row id PostgreSQL's bigint holds.
MAX_ROW_ID = 2**63 - 1


def _order_name(field: str, descending: bool) -> str:
    return f"-{field}" if descending else field


def cursor_for(
    field: str, value: datetime | int | str | None, pk: int, *, descending: bool = False
) -> str:
    """The cursor of the page that starts after the row (``value``, ``pk``) in ``field``
    order, ascending or ``descending`` (a cursor of one direction is refused by the other)."""
    text = value.isoformat() if isinstance(value, datetime) else "" if value is None else value
    name = _order_name(field, descending)
    return base64.urlsafe_b64encode(f"{name}|{text}|{pk}".encode()).decode()


def _decode(
    cursor: str, field: str, model_field: Any, *, descending: bool
) -> tuple[datetime | int | str | None, int] | None:
    """The position a cursor names, if it is readable and was made for ``field`` in this
    direction (a column of ``model_field``'s kind: a date and time, an integer or a text;
    no value only where the column allows none), after a row id a bigint holds."""
    try:
        name, rest = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        text, pk = rest.rsplit("|", 1)
        if name != _order_name(field, descending) or len(text) > CURSOR_VALUE_MAX:
            return None
        if not (pk.isascii() and pk.isdigit()) or not 0 < int(pk) <= MAX_ROW_ID:
            return None
        value = _position_value(text, model_field)
        if value is None and not getattr(model_field, "null", False):
            return None
        return value, int(pk)
    except (ValueError, OverflowError, binascii.Error, UnicodeDecodeError):
        return None


def _position_value(text: str, model_field: Any) -> datetime | int | str | None:
    """The column value a cursor wrote as ``text``; ``ValueError`` when it is not one."""
    if not text:
        return None
    kind = getattr(model_field, "output_field", None) or getattr(
        model_field, "target_field", model_field
    )
    if isinstance(kind, models.DateTimeField):
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError(text)
        # In UTC: PostgreSQL refuses offsets beyond ±15:59, which Python reads (OverflowError
        # at the ends of the calendar).
        return moment.astimezone(UTC)
    if isinstance(kind, models.IntegerField | models.AutoField):
        digits = text.removeprefix("-")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 18:
            raise ValueError(text)
        return int(text)
    if "\x00" in text:
        raise ValueError(text)
    return text


def keyset_page(
    queryset: models.QuerySet[Row],
    *,
    field: str,
    after: str | None,
    size: int,
    descending: bool,
    strict: bool = False,
) -> KeysetPage[Row]:
    """One page of ``queryset`` ordered by (``field``, id); an unreadable cursor starts over
    (the page says it ``restarted``), or with ``strict`` (the API) raises ``CursorError``.

    ``field`` is a column of the model (``assignee_id`` for a foreign key's id) holding a
    date and time, an integer or a text. A page after a cursor is one row comparison
    ``(field, id) > (value, id)`` that an index on ``(field, id)`` seeks to. When ``field``
    is nullable, rows without a value come after all the others (in id order), whichever the
    direction, so a queue sorted by deadline ends with the complaints that have none (or by
    assignee, with the unassigned): the page that runs out of valued rows reads the others
    with a second query (``field IS NULL``, seekable by id in the same index).
    """
    model_field = queryset.model._meta.get_field(field)
    nullable = bool(getattr(model_field, "null", False))
    direction = "-" if descending else ""
    primary: str | OrderBy = f"{direction}{field}"
    if nullable:
        primary = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    ordered = queryset.order_by(primary, f"{direction}id")
    position = _decode(after, field, model_field, descending=descending) if after else None
    if strict and after and position is None:
        raise CursorError(after)
    if position is None:
        rows = list(ordered[: size + 1])
    else:
        value, pk = position
        if value is None:
            rows = list(_undated(queryset, field, pk, descending)[: size + 1])
        else:
            beyond = RowBeyond([field, "id"], [value, pk], descending=descending)
            rows = list(ordered.filter(beyond)[: size + 1])
            if nullable and len(rows) <= size:
                rows += _undated(queryset, field, None, descending)[: size + 1 - len(rows)]
    restarted = bool(after) and position is None
    if position is not None and not rows and not strict:
        # Nothing after the cursor (its rows are gone, or it was made up): the first page.
        rows, restarted = list(ordered[: size + 1]), True
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = cursor_for(field, getattr(last, field), last.pk, descending=descending)
    return KeysetPage(rows=rows, next_cursor=next_cursor, restarted=restarted)


def _undated(
    queryset: models.QuerySet[Row], field: str, after_pk: int | None, descending: bool
) -> models.QuerySet[Row]:
    """The rows without a value for ``field``, in id order, after ``after_pk`` if given."""
    undated = queryset.filter(**{f"{field}__isnull": True})
    if after_pk is not None:
        undated = undated.filter(**{f"id__{'lt' if descending else 'gt'}": after_pk})
    return undated.order_by(f"{'-' if descending else ''}id")


def bounded_page(
    rows: Sliceable[Row], *, after: str | None, size: int, strict: bool = False
) -> KeysetPage[Row]:
    """One page of rows that are already ordered and bounded (a ranked search).

    A rank is not a stable position to seek from, so the cursor is the number of rows read
    so far; that is safe only because there is a bounded number of rows (for search,
    ``SEARCH_CANDIDATES``). An unreadable cursor starts over (the page says it
    ``restarted``), or with ``strict`` raises ``CursorError``.
    """
    start = _decode_offset(after) if after else 0
    restarted = bool(after) and start == 0
    if strict and restarted:
        raise CursorError(after)
    page = list(rows[start : start + size + 1])
    if start and not page and not strict:  # past the last match: the first page
        start, restarted = 0, True
        page = list(rows[: size + 1])
    next_cursor = None
    if len(page) > size:
        page = page[:size]
        next_cursor = base64.urlsafe_b64encode(f"{OFFSET_CURSOR}|{start + size}".encode()).decode()
    return KeysetPage(rows=page, next_cursor=next_cursor, restarted=restarted)


OFFSET_CURSOR = "rows-read"


def _decode_offset(cursor: str) -> int:
    try:
        name, start = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        readable = name == OFFSET_CURSOR and start.isascii() and start.isdigit() and len(start) < 10
        return int(start) if readable else 0
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return 0
