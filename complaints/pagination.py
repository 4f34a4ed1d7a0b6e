"""Keyset pagination: pages are found by the last row seen, never by OFFSET."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from django.db import models
from django.db.models import Q

Row = TypeVar("Row", bound=models.Model)


@dataclass
class KeysetPage(Generic[Row]):
    rows: list[Row]
    next_cursor: str | None


def _encode(moment: datetime, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{moment.isoformat()}|{pk}".encode()).decode()


def _decode(cursor: str) -> tuple[datetime, int] | None:
    try:
        moment, pk = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
        return datetime.fromisoformat(moment), int(pk)
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
    """One page of ``queryset`` ordered by (``field``, id); an unreadable cursor starts over."""
    direction = "-" if descending else ""
    queryset = queryset.order_by(f"{direction}{field}", f"{direction}id")
    position = _decode(after) if after else None
    if position is not None:
        moment, pk = position
        beyond = "lt" if descending else "gt"
        queryset = queryset.filter(
            Q(**{f"{field}__{beyond}": moment}) | Q(**{field: moment, f"id__{beyond}": pk})
        )
    rows = list(queryset[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode(getattr(last, field), last.pk)
    return KeysetPage(rows=rows, next_cursor=next_cursor)
