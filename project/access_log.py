"""gunicorn's access log as one JSON object per request (``deploy/gunicorn.conf.py``).

The application leaves the request id, tenant, user id, view and query count in the WSGI
environ (``project.observability``); this logger adds what only the server knows (status as
sent, bytes, total time) and writes the request's one log line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from gunicorn.glogging import Logger

from project.logging import scrub
from project.observability import ENVIRON_PREFIX

APPLICATION_FACTS = ("request_id", "tenant", "user_id", "view", "queries", "db_ms")


def access_record(
    environ: dict[str, Any], status: int | None, sent: int | None, duration: timedelta
) -> dict[str, Any]:
    """The fields of one access-log line; the path is scrubbed of tokens and the query string."""
    record: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": "INFO",
        "logger": "gunicorn.access",
        "message": "request",
        "method": environ.get("REQUEST_METHOD", "-"),
        "path": scrub(environ.get("PATH_INFO", "")),
        "status": status,
        "bytes": sent,
        "duration_ms": round(duration.total_seconds() * 1000, 1),
        "remote_addr": environ.get("REMOTE_ADDR", "-"),
    }
    for fact in APPLICATION_FACTS:
        record[fact] = environ.get(ENVIRON_PREFIX + fact, "-")
    return record


class JsonAccessLogger(Logger):
    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: timedelta) -> None:
        if not self.access_log_enabled:
            return
        record = access_record(environ, resp.status_code, getattr(resp, "sent", None), request_time)
        self.access_log.info(json.dumps(record))
