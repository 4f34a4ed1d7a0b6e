"""Shared pieces of the JSON API."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error body has a readable ``detail``; field errors also come under ``errors``."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" in data:
        response.data = {"detail": str(data["detail"])}
        if getattr(data["detail"], "code", None):
            response.data["code"] = data["detail"].code
    else:
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        first_field, first_messages = next(iter(errors.items()))
        first = first_messages[0] if isinstance(first_messages, list) else first_messages
        prefix = "" if first_field == "non_field_errors" else f"{first_field}: "
        response.data = {"detail": f"{prefix}{first}", "errors": errors}
    return response
