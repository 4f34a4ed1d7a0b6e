"""A page link whose cursor cannot be read shows the first page and says so."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from complaints.models import Complaint

NOTICE = "That page link does not fit this list"

# (signed-in client, list page, the sort or filters beside the cursor)
LISTS = [
    ("manager_client", "/console/", ""),
    ("manager_client", "/console/", "&sort=due"),
    ("manager_client", "/console/", "&q=payment"),  # a ranked search's cursor
    ("consumer_client", "/complaints/", ""),
    ("admin_client", "/settings/staff/", ""),
    ("admin_client", "/settings/audit/", ""),
]


def unreadable_cursors() -> list[str]:
    return [
        "garbage",
        base64.urlsafe_b64encode(b"received_at|not a date|1").decode(),
        base64.urlsafe_b64encode(b"reference|C-1|1").decode(),  # made for another order
    ]


@pytest.mark.parametrize(("client_name", "path", "rest"), LISTS)
def test_an_unreadable_cursor_shows_the_first_page_with_a_notice(
    request: pytest.FixtureRequest, complaint: Complaint, client_name: str, path: str, rest: str
) -> None:
    client: Client = request.getfixturevalue(client_name)
    first = client.get(f"{path}?x=1{rest}")
    assert first.status_code == 200
    assert NOTICE not in first.content.decode()

    for cursor in unreadable_cursors():
        response = client.get(f"{path}?x=1{rest}&after={cursor}")
        assert response.status_code == 200
        assert NOTICE in response.content.decode()
