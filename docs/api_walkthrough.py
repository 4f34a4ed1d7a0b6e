"""A chatbot carries a consumer from "I want to complain" to an accepted resolution, using
only the HTTP API; an agent proposes the resolution and a manager approves it.

Run against a server (``make run`` serves the demo tenants on :8000)::

    python docs/api_walkthrough.py http://localhost:8000 bank.localhost \\
        consumer@bank.example agent@bank.example manager@bank.example \\
        demo-complaints-2026 <agent's TOTP code> <manager's TOTP code>

Only the standard library is used. The tests run ``walk`` with the same steps through the
test client (``tests/api/test_walkthrough.py``).
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Sends one request: (method, path, token or None, JSON body or None, extra headers) and
#: answers (status, headers, JSON body).
Send = Callable[[str, str, str | None, Any, dict[str, str]], tuple[int, dict[str, str], Any]]


def http_sender(base_url: str, host: str) -> Send:
    """A ``Send`` over HTTP to ``base_url``, naming the organisation's ``host``."""

    def send(
        method: str, path: str, token: str | None, body: Any, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{base_url}{path}", data=data, method=method)  # noqa: S310
        request.add_header("Host", host)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in headers.items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, dict(response.headers), json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), json.loads(error.read() or b"null")

    return send


@dataclass
class Person:
    email: str
    password: str
    otp: str | None = None


class Refused(Exception):
    """The API answered with a problem where the walk expected success."""


def walk(send: Send, consumer: Person, agent: Person, manager: Person) -> dict[str, Any]:
    """The whole walk; returns the closed complaint as the consumer reads it."""

    def call(
        method: str,
        path: str,
        token: str | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[dict[str, str], Any]:
        status, answer_headers, answer = send(method, f"/api/v1/{path}", token, body, headers or {})
        if status >= 400:
            raise Refused(f"{method} {path}: {status} {answer}")
        return answer_headers, answer

    def token(person: Person) -> str:
        body = {"email": person.email, "password": person.password}
        if person.otp:
            body["otp"] = person.otp
        return str(call("POST", "auth/token/", body=body)[1]["access"])

    # 1. The consumer signs in and the chatbot offers the products and their causes.
    consumer_token = token(consumer)
    _, products = call("GET", "categories/", consumer_token)
    cause = next((c for p in products for c in p["causes"]), None)

    # 2. The complaint is logged; a retry after a timeout sends the same Idempotency-Key.
    complaint_body = {
        "subject": "Card payment taken twice",
        "description": "I paid £84.20 once at a shop and it left my account twice.",
        "desired_outcome": "Refund the second payment.",
        "category_id": cause["id"] if cause else None,
    }
    _, complaint = call(
        "POST",
        "complaints/",
        consumer_token,
        complaint_body,
        {"Idempotency-Key": str(uuid.uuid4())},
    )
    reference = complaint["reference"]

    # 3. The consumer adds a message.
    call(
        "POST",
        f"complaints/{reference}/messages/",
        consumer_token,
        {"body": "The second payment was on the 3rd."},
    )

    # 4. An agent proposes a resolution, with If-Match so nobody's change is overwritten.
    agent_token = token(agent)
    _, root_causes = call("GET", "root-causes/", agent_token)
    headers, _ = call("GET", f"complaints/{reference}/", agent_token)
    _, proposed = call(
        "POST",
        f"complaints/{reference}/actions/propose-resolution/",
        agent_token,
        {
            "outcome": "upheld",
            "summary": "We refunded the duplicate payment of £84.20.",
            "root_cause": root_causes[0]["id"],
            "redress_amount": "84.20",
            "redress_currency": "GBP",
        },
        {"If-Match": headers["ETag"]},
    )

    # 5. Where the organisation asks for it, a manager approves the resolution.
    if proposed["status"] != "resolved":
        call(
            "POST",
            f"complaints/{reference}/actions/approve-resolution/",
            token(manager),
            {},
        )

    # 6. The consumer accepts it; the complaint closes.
    _, closed = call("POST", f"complaints/{reference}/actions/accept/", consumer_token, {})
    return dict(closed)


if __name__ == "__main__":
    base_url, host, consumer_email, agent_email, manager_email, password, *codes = sys.argv[1:]
    agent_code, manager_code = [*codes, None, None][:2]
    result = walk(
        http_sender(base_url, host),
        Person(consumer_email, password),
        Person(agent_email, password, agent_code),
        Person(manager_email, password, manager_code),
    )
    print(f"{result['reference']}: {result['status']}")
