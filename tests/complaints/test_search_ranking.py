"""A search in the queue reads best match first: text rank, then recency, over bounded matches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from complaints.models import Complaint, Team
from complaints.services.correspondence import refresh_search_vector
from tests.complaints.conftest import references_in

NOW = datetime(2026, 3, 2, 12, tzinfo=UTC)


def made(make: Callable[..., Complaint], team: Team, subject: str, days_old: int) -> Complaint:
    complaint = make(subject=subject, description="Nothing else to say.")
    Complaint.objects.filter(pk=complaint.pk).update(
        team=team, received_at=NOW - timedelta(days=days_old)
    )
    refresh_search_vector(complaint)
    return complaint


@pytest.fixture
def matches(make_complaint: Callable[..., Complaint], front_line: Team) -> dict[str, Complaint]:
    with time_machine.travel(NOW, tick=False):
        return {
            "title_recent": made(make_complaint, front_line, "Refund refused", 1),
            "title_old": made(make_complaint, front_line, "Refund refused", 300),
            "body_recent": made(make_complaint, front_line, "Card problem", 1),
            "unrelated": made(make_complaint, front_line, "Branch closed", 1),
        }


def test_search_lists_the_best_recent_match_first(
    agent_client: Client, matches: dict[str, Complaint]
) -> None:
    with time_machine.travel(NOW, tick=False):
        found = references_in(agent_client.get("/console/", {"q": "refund"}))
    assert found == [matches["title_recent"].reference, matches["title_old"].reference]


def test_an_asked_order_still_wins_over_best_match(
    agent_client: Client, matches: dict[str, Complaint]
) -> None:
    with time_machine.travel(NOW, tick=False):
        found = references_in(agent_client.get("/console/", {"q": "refund", "sort": "received"}))
    assert found == [matches["title_old"].reference, matches["title_recent"].reference]


def test_best_match_without_words_is_the_queue_default(
    agent_client: Client, matches: dict[str, Complaint]
) -> None:
    with time_machine.travel(NOW, tick=False):
        found = references_in(agent_client.get("/console/", {"sort": "best"}))
    assert found[0] == matches["title_old"].reference  # oldest received first
    assert len(found) == 4


def test_only_the_most_recent_matches_are_ranked(
    monkeypatch: pytest.MonkeyPatch, agent: User, matches: dict[str, Complaint]
) -> None:
    monkeypatch.setattr("complaints.models.SEARCH_CANDIDATES", 1)
    found = Complaint.objects.visible_to(agent).search("refund", actor=agent)
    ranked = found.best_matches("refund", actor=agent, now=NOW)
    assert ranked[0:26] == [matches["title_recent"]]


def test_ranked_search_pages_through_every_match_once(
    agent_client: Client, make_complaint: Callable[..., Complaint], front_line: Team
) -> None:
    with time_machine.travel(NOW, tick=False):
        every = {made(make_complaint, front_line, "Refund late", n).reference for n in range(30)}
        first = agent_client.get("/console/", {"q": "refund"})
        link = first.content.decode().split('">Next page</a>')[0].rsplit('href="', 1)[1]
        second = agent_client.get(f"/console/{link.replace('&amp;', '&')}")
    pages: list[Any] = [references_in(first), references_in(second)]
    assert len(pages[0]) == 25
    assert set(pages[0]) | set(pages[1]) == every
    assert not set(pages[0]) & set(pages[1])
    assert pages[0][0] == min(every)  # received most recently (n=0), same text rank
