"""Request context for log records, and scrubbing of credentials that appear in URLs."""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar

from tenancy.current import tenant_var

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

# Path segments that carry secrets (reset keys, confirmation keys, invitation tokens) are long
# runs of token characters; no ordinary path segment of ours is that long.
_TOKEN_SEGMENT = re.compile(r"/[A-Za-z0-9_\-:.]{20,}")
_QUERY = re.compile(r"\?[^\s\"']*")


def scrub(text: str) -> str:
    """Remove query strings and token-like path segments from a logged line."""
    return _TOKEN_SEGMENT.sub("/[redacted]", _QUERY.sub("?[redacted]", text))


class RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.tenant = tenant_var.get()
        if record.name in {"django.server", "django.request"}:
            record.msg = scrub(str(record.msg))
            if record.args:
                record.args = tuple(
                    scrub(arg) if isinstance(arg, str) else arg
                    for arg in (record.args if isinstance(record.args, tuple) else (record.args,))
                )
        return True
