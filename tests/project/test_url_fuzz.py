"""Every URL of a tenant's site and of the platform console, given hostile path and query
values, as an anonymous visitor, a consumer and staff: answered, never a server error.

The paths come from the URL confs themselves, so a new page is fuzzed as soon as it exists.
Path parameters get values their converter accepts but no row has (a reference of a
complaint that is not there, an id past any integer column) and, for free text parameters,
the hostile values themselves; each page's query string gets the hostile values in every
parameter the product reads from a query string.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.models import User
from complaints.models import Complaint
from tenancy.models import Tenant
from tests.conftest import sign_in

HOSTILE = [
    "a\x00b",
    "x" * 5000,
    "Ünïcødé ✓ 𝄞 \u202e",
    "../../../etc/passwd",
    "' OR 1=1; DROP TABLE complaints_complaint; --",
    "1e999",
    "-1",
    "99999999999999999999999",
]
# Every name the product reads from a query string (filters, periods, cursors, pickers).
QUERY_NAMES = [
    "q", "view", "status", "priority", "category", "team", "assignee", "channel",
    "received_from", "received_to", "sort", "after", "complaints", "product", "next", "canned",
    "action", "actor", "target", "since", "until", "date_from", "date_to", "period", "year",
    "format", "saved", "clock", "outcome", "root_cause", "breached", "at_risk",
]  # fmt: skip
# Values each converter accepts that name nothing that exists, or overflow a column.
CONVERTER_VALUES = {
    "int": ["0", "2147483648", "99999999999999999999999"],
    "reference": ["C-2026-999999", "C-9999-999999999999"],
    "slug": ["reply", "x" * 300, "1e999"],
    "str": [value for value in HOSTILE if "/" not in value and value.strip()],
    "path": HOSTILE,
    "uuid": ["00000000-0000-0000-0000-000000000000", "ffffffff-ffff-ffff-ffff-ffffffffffff"],
}
PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    """Every route of a URL conf, as ``path()`` syntax (``<int:pk>``), includes flattened."""
    for entry in patterns:
        pattern = entry.pattern
        text = str(pattern)
        if getattr(pattern, "regex", None) is not None and not hasattr(pattern, "_route"):
            # A regular-expression route: its fixed text, its groups as free text.
            text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<str:\1>", text.lstrip("^").rstrip("$"))
            text = text.replace("\\", "")
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + text)
        elif isinstance(entry, URLPattern):
            yield prefix + text


def paths_of(route: str, known: dict[str, list[str]]) -> list[str]:
    """Concrete paths for ``route``: each parameter in turn given each of its values."""
    parameters = list(PARAMETER.finditer(route))
    if not parameters:
        return ["/" + route]

    def fill(choice: dict[int, str]) -> str:
        def value(match: re.Match[str]) -> str:
            index = parameters.index(next(p for p in parameters if p.start() == match.start()))
            if index in choice:
                return choice[index]
            converter = match["converter"] or "str"
            return (known.get(converter) or CONVERTER_VALUES[converter])[0]

        return "/" + PARAMETER.sub(value, route)

    paths = []
    for index, match in enumerate(parameters):
        converter = match["converter"] or "str"
        for candidate in [*known.get(converter, []), *CONVERTER_VALUES[converter]]:
            paths.append(fill({index: candidate}))
    return list(dict.fromkeys(paths))


def hostile_queries() -> list[dict[str, str]]:
    return [dict.fromkeys(QUERY_NAMES, value) for value in HOSTILE]


def assert_answered(
    client: Client, method: str, path: str, data: dict[str, str], **headers: str
) -> None:
    response = getattr(client, method)(path, data, **headers)
    assert response.status_code < 500, f"{method.upper()} {path} {list(data.values())[:1]!r}"


def walk(clients: dict[str, Client], urlconf: str, known: dict[str, list[str]]) -> int:
    """Every path of ``urlconf`` with hostile values, by each client; the requests made."""
    made = 0
    for route in routes(get_resolver(urlconf).url_patterns):
        for path in paths_of(route, known):
            for client in clients.values():
                assert_answered(client, "get", path, {})
                made += 1
            if PARAMETER.search(route):
                continue
            for data in hostile_queries():
                for client in clients.values():
                    assert_answered(client, "get", path, data)
                    made += 1
                # The htmx requests of the last client (staff): partial pages, polls.
                assert_answered(client, "get", path, data, HTTP_HX_REQUEST="true")
                made += 1
    return made


def post_everywhere(
    make_clients: Any, urlconf: str, known: dict[str, list[str]], skip: tuple[str, ...]
) -> int:
    """A hostile form posted to every path, by clients signed in afresh for each route (a
    post may have signed one out)."""
    made = 0
    for route in routes(get_resolver(urlconf).url_patterns):
        if route.startswith(skip):
            continue
        clients = make_clients()
        for path in paths_of(route, known)[:2]:
            for data in (hostile_queries()[0], hostile_queries()[1], hostile_queries()[5]):
                for client in clients.values():
                    assert_answered(client, "post", path, data)
                    made += 1
    return made


@pytest.fixture
def tenant_clients(bank: Tenant, consumer: User, manager: User) -> Any:
    """A factory of fresh clients: anonymous, a consumer, and staff (a manager sees every
    console and dashboard page an agent does, and more)."""

    def make() -> dict[str, Client]:
        return {
            "anonymous": Client(HTTP_HOST=bank.host),
            "consumer": sign_in(Client(HTTP_HOST=bank.host), consumer),
            "manager": sign_in(Client(HTTP_HOST=bank.host), manager),
        }

    return make


def test_every_tenant_url_answers_hostile_values_without_a_server_error(
    tenant_clients: Any, complaint: Complaint
) -> None:
    known = {"reference": [complaint.reference]}
    assert walk(tenant_clients(), "project.urls", known) > 1000


def test_every_tenant_url_answers_a_hostile_form_without_a_server_error(
    tenant_clients: Any, complaint: Complaint
) -> None:
    known = {"reference": [complaint.reference]}
    # Signing out and the API (JSON bodies, tested in tests/api) are left out here.
    assert post_everywhere(tenant_clients, "project.urls", known, ("accounts/logout",)) > 100


def test_every_platform_url_answers_hostile_values_without_a_server_error(
    public_tenant: Tenant, operator: User
) -> None:
    clients = {
        "anonymous": Client(HTTP_HOST="localhost"),
        "operator": sign_in(Client(HTTP_HOST="localhost"), operator),
    }
    assert walk(clients, "project.urls_public", {}) > 100
