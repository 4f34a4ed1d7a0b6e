"""Keyset pagination: pages are found by the last row seen, never by OFFSET."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.db import models
from django.db.models import F, OrderBy, Q

Row = TypeVar("Row", bound=models.Model)


@dataclass
class KeysetPage(Generic[Row]):
    rows: list[Row]
    next_cursor: str | None


def _encode(field: str, moment: datetime | None, pk: int) -> str:
    value = moment.isoformat() if moment is not None else ""
    return base64.urlsafe_b64encode(f"{field}|{value}|{pk}".encode()).decode()


def _decode(cursor: str, field: str) -> tuple[datetime | None, int] | None:
    """The position a cursor names, if it is readable and was made for ``field``."""
    try:
        name, moment, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        if name != field:
            return None
        return (datetime.fromisoformat(moment) if moment else None), int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def keyset_page(
    queryset: models.QuerySet[Row],
    *,
    field: str,
    after: str | None,
    size: int,
    descending: bool,
) -> KeysetPage[Row]:
    """One page of ``queryset`` ordered by (``field``, id); an unreadable cursor starts over.

    When ``field`` is nullable, rows without a value come after all the others (in id
    order), whichever the direction, so a queue sorted by deadline ends with the complaints
    that have none.
    """
    nullable = bool(getattr(queryset.model._meta.get_field(field), "null", False))
    direction = "-" if descending else ""
    beyond = "lt" if descending else "gt"
    primary: str | OrderBy = f"{direction}{field}"
    if nullable:
        primary = F(field).desc(nulls_last=True) if descending else F(field).asc(nulls_last=True)
    queryset = queryset.order_by(primary, f"{direction}id")
    position = _decode(after, field) if after else None
    if position is not None:
        moment, pk = position
        if moment is None:
            queryset = queryset.filter(**{f"{field}__isnull": True, f"id__{beyond}": pk})
        else:
            later = Q(**{f"{field}__{beyond}": moment}) | Q(**{field: moment, f"id__{beyond}": pk})
            if nullable:
                later |= Q(**{f"{field}__isnull": True})
            queryset = queryset.filter(later)
    rows = list(queryset[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode(field, getattr(last, field), last.pk)
    return KeysetPage(rows=rows, next_cursor=next_cursor)
