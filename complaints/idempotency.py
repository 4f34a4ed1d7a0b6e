"""``Idempotency-Key`` on API POSTs: a client that times out and retries never changes twice.

The first request with a key claims it in its own short transaction (so a concurrent
duplicate sees the claim at once), runs, and stores its answer. A retry with the same key and
body gets that answer again, its status, body and ``REPLAYED_HEADERS`` (plus
``Idempotent-Replayed: true``); the same key with another
body gets 422; a duplicate arriving while the first is still running gets 409. A claim whose
request died (no answer after ``ABANDONED_AFTER``) may be taken over; keys last ``KEPT_FOR``.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.request import Request
from rest_framework.response import Response

from complaints.models import IdempotencyKey

HEADER = "Idempotency-Key"
# Printable ASCII, as the IETF draft on the header suggests; a UUID is typical.
VALID_KEY = re.compile(r"[\x21-\x7e]{1,255}")
# Longer than any request may run (the web server restarts a worker after WEB_TIMEOUT, 30 s):
# a claim still unanswered after this belongs to a request that died.
ABANDONED_AFTER = timedelta(seconds=40)
KEPT_FOR = timedelta(hours=24)
# Headers of the first answer that a replay repeats: the version it reported and where the
# created thing lives. A replay is the first answer again, so its ETag may be older than the
# resource's; an If-Match with it then gets 412, as a stale ETag should.
REPLAYED_HEADERS = ("ETag", "Location", "Content-Location")

Handler = Callable[..., Response]


class KeyReused(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = f"This {HEADER} was used for another request; use a new key for a new request."
    default_code = "idempotency_key_reused"


class StillAnswering(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = f"A request with this {HEADER} is still being answered; retry in a moment."
    default_code = "idempotency_key_in_use"


def _fingerprint(request: Request) -> str:
    """The request's method, path and body. A multipart body is taken as its fields and the
    name, type and content digest of each file (its raw bytes may be too large to keep)."""
    digest = hashlib.sha256()
    digest.update(f"{request.method} {request.path}\n".encode())
    if request.content_type.startswith("multipart/"):
        for name, value in sorted(request.POST.lists()):
            digest.update(f"{name}={value}\n".encode())
        for name, uploads in sorted(request.FILES.lists()):
            for upload in uploads:
                content = hashlib.sha256()
                for chunk in upload.chunks():
                    content.update(chunk)
                upload.seek(0)
                digest.update(f"{name}:{upload.name}:{content.hexdigest()}\n".encode())
    else:
        digest.update(request.body)
    return digest.hexdigest()


def idempotent(handler: Handler) -> Handler:
    """Make a DRF view method honour ``Idempotency-Key`` as described in this module."""

    @wraps(handler)
    def wrapped(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not VALID_KEY.fullmatch(key):
            raise ParseError(f"{HEADER} must be 1 to 255 printable characters, such as a UUID.")
        fingerprint = _fingerprint(request)
        record, answer = _claim(request.user, key, fingerprint)
        if answer is not None:
            return answer
        try:
            # The answer is stored in the same transaction as the change it reports, so a
            # request that dies before its commit leaves neither, and one that dies after
            # leaves both: a retry never makes the change twice.
            with transaction.atomic():
                response = handler(view, request, *args, **kwargs)
                if response.status_code < 500:
                    record.status_code = response.status_code
                    record.response_body = response.data
                    record.response_headers = {
                        name: response[name] for name in REPLAYED_HEADERS if name in response
                    }
                    record.save(update_fields=["status_code", "response_body", "response_headers"])
        except BaseException:
            _release(record)
            raise
        if response.status_code >= 500:
            _release(record)
        return response

    return wrapped


def _release(record: IdempotencyKey) -> None:
    """Give the key back after a failure; if the database is gone too, the claim is
    abandoned and taken over after ``ABANDONED_AFTER``."""
    with contextlib.suppress(DatabaseError):
        record.delete()


def _claim(user: Any, key: str, fingerprint: str) -> tuple[IdempotencyKey, Response | None]:
    """The key's record, claimed for this request; or the answer a repeat gets instead."""
    now = timezone.now()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                user=user, key=key, request_hash=fingerprint, created_at=now
            ), None
    except IntegrityError:
        pass
    with transaction.atomic():
        record = IdempotencyKey.objects.select_for_update().get(user=user, key=key)
        expired = record.created_at < now - KEPT_FOR
        abandoned = record.status_code is None and record.created_at < now - ABANDONED_AFTER
        if expired or abandoned:
            record.request_hash, record.created_at = fingerprint, now
            record.status_code, record.response_body = None, None
            record.response_headers = {}
            record.save()
            return record, None
    if record.request_hash != fingerprint:
        raise KeyReused()
    if record.status_code is None:
        raise StillAnswering()
    replay = Response(record.response_body, status=record.status_code)
    for name, value in record.response_headers.items():
        replay[name] = value
    replay["Idempotent-Replayed"] = "true"
    return record, replay
