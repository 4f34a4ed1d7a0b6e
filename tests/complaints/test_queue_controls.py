"""The queue's controls (tabs, saved views, filters, the save-view and bulk forms) are rendered
once for everything they show and kept by the process (``complaints.views.queue_controls``): a
page with kept controls reads exactly as one rendered afresh, carries its own request's CSRF
token, and shows any change of what they show at the next request."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from django.test import Client

from accounts.models import Role, User
from complaints import views
from complaints.models import Complaint, SavedView, Team
from tenancy.models import Tenant
from tests.conftest import sign_in, tenant_client

PAGES = [
    "/console/",
    "/console/?view=mine",
    "/console/?view=unassigned&priority=urgent",
    "/console/?q=card&sort=-received",
    "/console/?status=open&status=new&received_from=2026-01-01",
    "/console/?age_min=3&channel=phone&responded=no",
]
TOKEN = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")([A-Za-z0-9]+)')


@pytest.fixture(autouse=True)
def _nothing_kept() -> Iterator[None]:
    views._controls.clear()
    yield
    views._controls.clear()


@pytest.fixture
def queue(make_complaint: Callable[..., Complaint], front_line: Team) -> list[Complaint]:
    made = [make_complaint(subject=f"Card complaint {n}") for n in range(3)]
    Complaint.objects.filter(pk__in=[c.pk for c in made]).update(team=front_line)
    return made


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def without_tokens(html: str) -> str:
    return TOKEN.sub(r"\1T", html)


@pytest.mark.parametrize("client_name", ["manager_client", "agent_client"])
@pytest.mark.parametrize("url", PAGES)
def test_a_page_with_kept_controls_reads_as_one_rendered_afresh(
    request: pytest.FixtureRequest, queue: list[Complaint], client_name: str, url: str
) -> None:
    client: Client = request.getfixturevalue(client_name)
    fresh = page(client, url)
    assert len(views._controls) == 1

    kept = page(client, url)

    assert without_tokens(kept) == without_tokens(fresh)
    assert "<!-- csrf -->" not in kept


def test_kept_controls_carry_this_requests_token_which_the_forms_post_with(
    bank: Tenant, manager: User, queue: list[Complaint]
) -> None:
    client = sign_in(tenant_client(bank), manager)
    client.handler.enforce_csrf_checks = True
    page(client, "/console/")
    kept = page(client, "/console/")
    form = kept[kept.index('action="/console/views/"') :]
    token = TOKEN.search(form)
    assert token is not None

    response = client.post(
        "/console/views/",
        {"name": "Mine", "query": "view=mine", "csrfmiddlewaretoken": token.group(2)},
    )

    assert response.status_code == 302
    assert SavedView.objects.filter(owner=manager, name="Mine").exists()


def test_a_new_team_and_a_renamed_colleague_show_at_the_next_request(
    manager_client: Client, agent: User, queue: list[Complaint]
) -> None:
    before = page(manager_client, "/console/")
    assert ">Disputes<" not in before and "Alex Agent" in before

    Team.objects.create(name="Disputes")
    agent.full_name = "Alexandra Agent"
    agent.save()
    after = page(manager_client, "/console/")

    assert ">Disputes<" in after
    assert "Alexandra Agent" in after and "Alex Agent<" not in after


def test_each_person_gets_their_own_controls(
    bank: Tenant, manager_client: Client, make_user: Callable[..., User], queue: list[Complaint]
) -> None:
    specialist = make_user(Role.SPECIALIST, "sam@example.com", full_name="Sam Specialist")
    specialist_client = sign_in(tenant_client(bank), specialist)
    manager_page = page(manager_client, "/console/")
    specialist_page = page(specialist_client, "/console/")

    assert 'id="bulk-form"' in manager_page
    assert 'id="bulk-form"' not in specialist_page
    assert len(views._controls) == 2


def test_a_saved_view_renamed_or_counted_again_shows_at_once(
    agent_client: Client, agent: User, queue: list[Complaint]
) -> None:
    view = SavedView.objects.create(owner=agent, name="Cards", query="view=team&q=card")
    page(agent_client, "/console/")
    view.name = "Card payments"
    view.save()

    assert ">Card payments <" in page(agent_client, "/console/")


def test_refused_filters_are_shown_and_never_kept(
    manager_client: Client, queue: list[Complaint]
) -> None:
    for _ in range(2):
        html = page(manager_client, "/console/?status=bogus")
        assert "Nothing is listed until the filters are corrected" in html
    assert len(views._controls) == 0
