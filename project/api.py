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
        """The body as a JSON object; raises ``ParseError`` (a 400) for a charset other than
        UTF-8 (RFC 8259 §8.1), a body that is not an object, and unpaired surrogates
        (``"\\ud800"``), which no answer could echo back."""
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            utf8 = codecs.lookup(encoding).name == "utf-8"
        except LookupError:
            utf8 = False
        if not utf8:
            raise ParseError("JSON bodies are UTF-8; send charset=utf-8 or none.")
        try:
            data = json.load(
                codecs.getreader("utf-8")(stream),
                parse_constant=_refuse_constant,
                parse_float=_finite_float,
            )
            if not isinstance(data, dict):
                raise ParseError("The JSON body must be an object.")
            _refuse_surrogates(data)
        except RecursionError as error:
            raise ParseError("JSON parse error - the body is nested too deeply.") from error
        except ValueError as error:
            raise ParseError(f"JSON parse error - {error}") from error
        return data


def _refuse_surrogates(value: Any) -> None:
    """Raise ``ValueError`` when a key or string of ``value`` holds an unpaired surrogate."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise ValueError("a string holds an unpaired surrogate") from error
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_surrogates(key)
            _refuse_surrogates(item)
    elif isinstance(value, list):
        for item in value:
            _refuse_surrogates(item)


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


# The errors every operation may answer, each as problem details. 400: the input does not
# parse or validate; 401: no valid token for this organisation; 403: visible but not allowed;
# 404: not found or not visible; 409: the complaint's state refuses the change, or a request
# with the same Idempotency-Key is still being answered; 411: a chunked body; 412: If-Match
# names an old version; 415: a body type the operation does not take; 422: an
# Idempotency-Key reused for another request; 429: too many requests (see Retry-After);
# 503: briefly unavailable (retry).
ERROR_STATUSES = {
    "400": "The input does not parse or is not valid; `errors` names each field's problems.",
    "401": "No valid token for this organisation.",
    "403": "You may see this but not do this.",
    "404": "Not found, or not visible to you.",
    "409": "The complaint's state refuses the change, or a request with the same "
    "Idempotency-Key is still being answered.",
    "411": "The body was sent chunked; send it with a Content-Length.",
    "412": "If-Match names a version of the complaint that is no longer current.",
    "415": "The body is not of a type this operation takes.",
    "422": "This Idempotency-Key was used for another request.",
    "429": "Too many requests; retry after the seconds in Retry-After.",
    "500": "An error on our side; quote request_id.",
    "503": "Briefly unavailable; retry.",
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "properties": {
        "type": {"type": "string", "description": "about:blank: the status says the kind."},
        "title": {"type": "string", "description": "The status's phrase."},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "What went wrong, readable."},
        "code": {"type": "string", "description": "A stable code for programs."},
        "errors": {
            "type": "object",
            "description": "Each field's messages (non_field_errors for the whole input).",
            "additionalProperties": {},
        },
        "request_id": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
    "example": {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": "subject: This field may not be blank.",
        "code": "invalid",
        "errors": {"subject": ["This field may not be blank."]},
    },
}


def document_errors(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: one ``Problem`` component, and every error
    status an operation may answer documented on it with that component; the ``ETag`` of
    the complaint on the successful answers about one complaint."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    problem = {"$ref": "#/components/schemas/Problem"}
    content = {"application/problem+json": {"schema": problem}}
    etag = {
        "ETag": {
            "description": "The complaint's version: send it as If-Match with a change.",
            "schema": {"type": "string"},
        }
    }
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            if "{reference}" in path and "attachments/{" not in path:
                for status in ("200", "201"):
                    if status in operation["responses"]:
                        operation["responses"][status].setdefault("headers", etag)
            for status, description in ERROR_STATUSES.items():
                operation["responses"].setdefault(
                    status, {"description": description, "content": content}
                )
    return result
