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


def encoded(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def unreadable_cursors() -> list[str]:
    return [
        "garbage",
        encoded("received_at|not a date|1"),
        encoded("reference|C-1|1"),  # made for another order
    ]


# Positions a person could write by hand, in offsets PostgreSQL refuses (beyond ±15:59) or
# at the ends of the calendar: read in UTC, never an error. The complaint, received now, comes
# after each of them in the queue's oldest-first order.
ODD_MOMENTS = [
    "received_at|2026-11-19T02:02:50+16:00|28",
    "received_at|2026-11-19T02:02:50-23:59|28",
    "received_at|0001-01-01T00:00:00+23:59|28",
]


@pytest.mark.parametrize("odd", ODD_MOMENTS)
def test_a_cursor_in_an_offset_postgresql_refuses_is_read_in_utc(
    manager_client: Client, complaint: Complaint, odd: str
) -> None:
    response = manager_client.get("/console/", {"after": encoded(odd)})

    assert response.status_code == 200
    assert complaint.reference in response.content.decode()


# Cursors a person could build by hand that name no row of the list; each is the first page
# with the notice, never an error.
MADE_UP = [
    "received_at|9999-12-31T23:59:59+00:00|28",  # no row after the end of the calendar
    "received_at|9999-12-31T23:59:59-01:00|28",  # past its end in UTC
    "received_at||5",  # no value, on a column that always has one
    "received_at|2026-11-19T02:02:50+00:00|9999999999999999999",  # beyond a bigint
    "received_at|2026-11-19T02:02:50+00:00|-5",
    "-received_at|2026-11-19T02:02:50+00:00|28",  # made for the other direction
]


@pytest.mark.parametrize("made_up", MADE_UP)
@pytest.mark.parametrize(
    ("client_name", "path"),
    [("manager_client", "/console/"), ("consumer_client", "/complaints/")],
)
def test_a_made_up_cursor_shows_the_first_page_with_a_notice(
    request: pytest.FixtureRequest, complaint: Complaint, client_name: str, path: str, made_up: str
) -> None:
    client: Client = request.getfixturevalue(client_name)

    response = client.get(path, {"after": encoded(made_up)})

    assert response.status_code == 200
    assert NOTICE in response.content.decode()
    assert complaint.reference in response.content.decode()


def test_a_cursor_of_the_opposite_direction_is_refused(
    manager_client: Client, complaint: Complaint
) -> None:
    newest_first = encoded(f"-received_at|{complaint.received_at.isoformat()}|{complaint.pk}")

    response = manager_client.get("/console/", {"sort": "received", "after": newest_first})

    assert NOTICE in response.content.decode()


def test_a_search_page_past_the_last_match_shows_the_first_page(
    manager_client: Client, complaint: Complaint
) -> None:
    response = manager_client.get(
        "/console/", {"q": complaint.subject.split()[0], "after": encoded("rows-read|999999999")}
    )

    assert NOTICE in response.content.decode()
    assert complaint.reference in response.content.decode()


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
