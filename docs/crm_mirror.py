"""A CRM that mirrors complaints from webhooks: the walk-through of API clients and webhooks.

Run against a tenant (``make run`` serves the demo bank at http://bank.localhost:8000):

    python docs/crm_mirror.py --base http://bank.localhost:8000 \\
        --admin admin@bank.example --password demo-complaints-2026 \\
        --otp "$(.venv/bin/python manage.py demo_code)"

As the organisation's administrator it creates an API client (read and log complaints) and
registers a webhook pointing at a receiver this script starts on a local port (the product
allows loopback receivers outside production). Then, as the CRM, it logs a complaint with
the client's own token and mirrors every change of it: each webhook is checked (signature,
timestamp, delivery id seen before), and the complaint is read again through the API. Work
the complaint in the console and watch the mirror follow. Only the standard library is used.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Deliveries signed longer ago than this are refused as replays.
TOLERANCE_SECONDS = 300

Transport = Callable[[str, str, Any, str | None], tuple[int, Any]]


def http_transport(base_url: str) -> Transport:
    """Calls the API at ``base_url`` over HTTP: (method, path, JSON body, bearer token) →
    (status, decoded JSON or None). A ``*.localhost`` host is reached at 127.0.0.1 with its
    name in the Host header (browsers and curl do the same; Python's resolver does not)."""
    parts = urllib.parse.urlsplit(base_url)
    host = parts.hostname or ""
    connect_to = base_url
    if host == "localhost" or host.endswith(".localhost"):
        connect_to = parts._replace(netloc=parts.netloc.replace(host, "127.0.0.1", 1)).geturl()

    def call(method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{connect_to}{path}", data=data, method=method)  # noqa: S310
        request.add_header("Host", parts.netloc)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            raw, status = error.read(), error.code
        return status, json.loads(raw) if raw else None

    return call


@dataclass
class Receiver:
    """The CRM's webhook receiver: checks each POST, keeps new deliveries for the mirror."""

    secret: str = ""
    events: queue.Queue[dict[str, Any]] = field(default_factory=queue.Queue)
    seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    def accept(self, headers: Any, raw: bytes) -> int:
        timestamp = headers.get("Complaints-Timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
            return 400
        expected = hmac.new(
            self.secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(headers.get("Complaints-Signature", ""), f"sha256={expected}"):
            return 401
        with self.lock:
            delivery = headers.get("Complaints-Delivery", "")
            if delivery not in self.seen:
                self.seen.add(delivery)
                self.events.put(json.loads(raw))
        return 204

    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1:``port`` (0: any free port); returns the URL to register."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self.send_response(receiver.accept(self.headers, raw))
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{self.server.server_address[1]}/crm/webhooks"

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def check(status: int, body: Any, expected: int, what: str) -> Any:
    if status != expected:
        raise SystemExit(f"{what} failed: {status} {body}")
    return body


def set_up(call: Transport, *, admin: str, password: str, otp: str, receiver_url: str) -> dict:
    """As the administrator: an API client for the CRM and a webhook to its receiver.
    Returns the client's id and secret and the webhook's signing secret (each shown once)."""
    token = check(
        *call(
            "POST", "/api/v1/auth/token/", {"email": admin, "password": password, "otp": otp}, None
        ),
        200,
        "administrator sign-in",
    )["access"]
    client = check(
        *call(
            "POST",
            "/api/v1/integrations/api-clients/",
            {"name": "CRM mirror", "scopes": ["complaints.read", "complaints.log"]},
            token,
        ),
        201,
        "creating the API client",
    )
    events = [
        "complaint.created",
        "complaint.status_changed",
        "complaint.consumer_message",
        "complaint.assigned",
        "complaint.deadline_at_risk",
        "complaint.deadline_breached",
        "complaint.resolved",
        "complaint.closed",
    ]
    webhook = check(
        *call(
            "POST",
            "/api/v1/integrations/webhooks/",
            {"url": receiver_url, "events": events, "description": "CRM mirror"},
            token,
        ),
        201,
        "registering the webhook",
    )
    return {
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        "webhook_secret": webhook["secret"],
    }


@dataclass
class CrmMirror:
    """The CRM's copy of each complaint, brought up to date by every webhook it receives."""

    call: Transport
    client_id: str
    client_secret: str
    receiver: Receiver
    token: str = ""
    complaints: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: dict[str, list[str]] = field(default_factory=dict)

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Call the API as the client, asking for a new token when the old one ran out."""
        for _ in range(2):
            if not self.token:
                self.token = check(
                    *self.call(
                        "POST",
                        "/api/v1/auth/client-token/",
                        {
                            "grant_type": "client_credentials",
                            "client_id": self.client_id,
                            "client_secret": self.client_secret,
                        },
                        None,
                    ),
                    200,
                    "client credentials",
                )["access"]
            status, answer = self.call(method, path, body, self.token)
            if status != 401:
                return status, answer
            self.token = ""
        return status, answer

    def log_complaint(self, consumer_email: str, subject: str, description: str) -> str:
        """Log a complaint for a consumer, as a CRM does for a call it took; its reference."""
        body = {"consumer_email": consumer_email, "subject": subject, "description": description}
        return str(
            check(*self.api("POST", "/api/v1/complaints/", body), 201, "logging")["reference"]
        )

    def process_pending(self) -> list[str]:
        """Apply every webhook received so far: read the complaint again, remember the event.
        Returns the events applied as "<type> <reference>"."""
        applied: list[str] = []
        while True:
            try:
                event = self.receiver.events.get_nowait()
            except queue.Empty:
                return applied
            reference = event["complaint"]["reference"]
            status, complaint = self.api("GET", f"/api/v1/complaints/{reference}/")
            if status == 200:
                self.complaints[reference] = complaint
            self.history.setdefault(reference, []).append(event["type"])
            applied.append(f"{event['type']} {reference}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://bank.localhost:8000")
    parser.add_argument("--admin", default="admin@bank.example")
    parser.add_argument("--password", default="demo-complaints-2026")
    parser.add_argument("--otp", required=True, help="the administrator's current 2FA code")
    parser.add_argument("--consumer", default="consumer@bank.example")
    parser.add_argument("--port", type=int, default=0, help="receiver port (default: any)")
    options = parser.parse_args()

    call = http_transport(options.base)
    receiver = Receiver()
    url = receiver.start(options.port)
    credentials = set_up(
        call, admin=options.admin, password=options.password, otp=options.otp, receiver_url=url
    )
    receiver.secret = credentials["webhook_secret"]
    mirror = CrmMirror(call, credentials["client_id"], credentials["client_secret"], receiver)
    reference = mirror.log_complaint(
        options.consumer, "Card payment taken twice", "Logged by the CRM walk-through."
    )
    print(f"Logged {reference}; receiving webhooks at {url}. Work it in the console; Ctrl-C ends.")
    try:
        while True:
            for line in mirror.process_pending():
                ref = line.split()[-1]
                print(f"{line}: now {mirror.complaints.get(ref, {}).get('status', '?')}")
            time.sleep(0.5)
    except KeyboardInterrupt:
        receiver.stop()


if __name__ == "__main__":
    main()
