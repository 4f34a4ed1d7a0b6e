"""Shared pieces of the JSON API."""

from __future__ import annotations

import codecs
import json
import math
from typing import IO, Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from project.problems import PROBLEM_JSON, problem


class BoundedJSONParser(JSONParser):
    """JSON bodies parsed with bounds: nesting too deep for the decoder, numbers beyond a
    float's range (``1e999``) and the non-standard ``NaN``/``Infinity`` are a 400, never a 500.
    """

    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.load(
                codecs.getreader(encoding)(stream),
                parse_constant=_refuse_constant,
                parse_float=_finite_float,
            )
        except RecursionError as error:
            raise ParseError("JSON parse error - the body is nested too deeply.") from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:20]} is out of range")
    return value


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every API error is RFC 9457 problem details (``application/problem+json``) with a
    readable ``detail``; field errors also come under ``errors`` (field → messages)."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    status = response.status_code
    if isinstance(data, dict) and "detail" in data:
        code = getattr(data["detail"], "code", None)
        response.data = problem(status, str(data["detail"]), code)
    else:
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        first_field, first_messages = next(iter(errors.items()))
        first = first_messages[0] if isinstance(first_messages, list) else first_messages
        prefix = "" if first_field == "non_field_errors" else f"{first_field}: "
        response.data = problem(status, f"{prefix}{first}", "invalid", errors=errors)
    response.content_type = PROBLEM_JSON
    return response
