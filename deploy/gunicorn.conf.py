"""gunicorn settings for production, read from the environment.

    gunicorn -c deploy/gunicorn.conf.py project.wsgi

| variable | default | meaning |
|---|---|---|
| `WEB_BIND` | `127.0.0.1:8000` | address nginx proxies to |
| `WEB_WORKERS` | 2 | processes; each holds up to `DATABASE_POOL_MAX` database connections |
| `WEB_THREADS` | 4 | threads per process (gthread worker) |
| `WEB_TIMEOUT` | 30 | seconds a request may take before its worker is restarted |
| `WEB_GRACEFUL_TIMEOUT` | 30 | seconds running requests get to finish on restart or stop |
| `WEB_KEEPALIVE` | 5 | seconds an idle keep-alive connection from nginx stays open |
| `WEB_MAX_REQUESTS` | 2000 | requests after which a worker is replaced (with jitter) |
| `WEB_ACCESS_LOG` | `-` | file for the JSON access log (`-` standard output, empty: off) |
| `FORWARDED_ALLOW_IPS` | `127.0.0.1` | proxies whose `X-Forwarded-*` headers are trusted |
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from project.env import env_int, env_str

wsgi_app = "project.wsgi:application"
bind = env_str("WEB_BIND", "127.0.0.1:8000").split(",")
worker_class = "gthread"
workers = env_int("WEB_WORKERS", 2)
threads = env_int("WEB_THREADS", 4)
timeout = env_int("WEB_TIMEOUT", 30)
graceful_timeout = env_int("WEB_GRACEFUL_TIMEOUT", 30)
keepalive = env_int("WEB_KEEPALIVE", 5)
max_requests = env_int("WEB_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "complaints-web"

errorlog = "-"
loglevel = env_str("LOG_LEVEL", "info").lower()
accesslog = env_str("WEB_ACCESS_LOG", "-") or None
logger_class = "project.access_log.JsonAccessLogger"
# The access log writes each request's one line; the application's own request log would
# repeat it.
raw_env = ["REQUEST_LOG=off"] if accesslog else []


def child_exit(server: object, worker: object) -> None:
    """Forget a dead worker's live gauges in the shared metrics folder."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
