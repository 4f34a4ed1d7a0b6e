"""RFC 9457 problem details: the one shape of every error under /api/.

Kept free of DRF imports, so the middleware can answer with it before DRF is loaded."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.http import JsonResponse

PROBLEM_JSON = "application/problem+json"


def problem(status: int, detail: str, code: str | None = None, **extra: Any) -> dict[str, Any]:
    """An RFC 9457 problem details object: ``type`` (``about:blank``: the status says what
    kind of problem it is), ``title`` (the status's phrase), ``status``, ``detail`` (this
    occurrence, readable), plus ``code`` (stable, for programs) and any ``extra`` members
    (``errors``: the messages of each field; ``request_id`` for a server error)."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error",
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    return body | extra


def problem_response(
    status: int, detail: str, code: str | None = None, **extra: Any
) -> JsonResponse:
    """A problem details answer outside DRF (middleware, server errors)."""
    return JsonResponse(
        problem(status, detail, code, **extra), status=status, content_type=PROBLEM_JSON
    )
