"""Serializer fields of the complaints API that parse what clients send with bounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers

from complaints.text import clean_text

# The largest id a bigint column holds.
MAX_ID = 2**63 - 1


class TextField(serializers.CharField):
    """Free text as the product keeps it (``complaints.text.clean_text``): NFC, no leading or
    trailing blanks or invisible characters; a text of nothing but those is blank, and the
    length limit counts the cleaned text."""

    def to_internal_value(self, data: Any) -> str:
        value = clean_text(super().to_internal_value(data))
        if not value and not self.allow_blank:
            self.fail("blank")
        return value


class IdField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A related object by its id: a whole JSON number (or a string of digits) from 1 to the
    largest bigint. ``1.5``, ``true`` and ``1e999`` are refused, never rounded or overflowed.
    With ``lookup`` the object is found by it (None: no such object), not by the queryset."""

    default_error_messages = {
        **serializers.PrimaryKeyRelatedField.default_error_messages,
        "incorrect_type": "Give the id as a whole number.",
    }

    def __init__(self, *, lookup: Callable[[int], Any] | None = None, **kwargs: Any) -> None:
        self.lookup = lookup
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data.isascii() and data.isdigit() and len(data) < 20:
            data = int(data)
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        if not 1 <= data <= MAX_ID:
            self.fail("does_not_exist", pk_value=data)
        if self.lookup is not None:
            found = self.lookup(data)
            if found is None:
                self.fail("does_not_exist", pk_value=data)
            return found
        return super().to_internal_value(data)
