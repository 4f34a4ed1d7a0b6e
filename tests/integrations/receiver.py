"""A webhook receiver as an integration would write one: a real HTTP server on a local port.

It checks each POST's signature (HMAC-SHA256 of ``<timestamp>.<body>`` with the endpoint's
secret) and refuses an old timestamp (a replay), can be told to answer 500 a few times, and
processes each delivery id once however often it is sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE_SECONDS = 300


@dataclass
class Received:
    """One POST as the receiver saw it, and what it answered."""

    delivery_id: str
    event: str
    body: dict[str, Any]
    answered: int


@dataclass
class Receiver:
    secret: str = ""
    failures_to_give: int = 0
    always_fail: bool = False
    received: list[Received] = field(default_factory=list)
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/complaints"

    def verify(self, headers: Any, raw: bytes) -> bool:
        timestamp = headers.get("Complaints-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
            return False
        expected = hmac.new(
            self.secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(headers.get("Complaints-Signature", ""), f"sha256={expected}")

    def answer(self, headers: Any, raw: bytes) -> int:
        with self.lock:
            if not self.verify(headers, raw):
                status = 401
            elif self.always_fail or self.failures_to_give > 0:
                self.failures_to_give = max(self.failures_to_give - 1, 0)
                status = 500
            else:
                status = 200
                # Each delivery is processed once, however often it arrives.
                self.processed.setdefault(headers["Complaints-Delivery"], json.loads(raw))
            self.received.append(
                Received(
                    headers.get("Complaints-Delivery", ""),
                    headers.get("Complaints-Event", ""),
                    json.loads(raw),
                    status,
                )
            )
            return status

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = receiver.answer(self.headers, raw)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
