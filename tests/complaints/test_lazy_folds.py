"""The console's less frequent actions sit folded, and their forms come when a fold is opened:
carrying the version of the page they are on, refused to whoever may not act, and open on a
page of their own without JavaScript."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from complaints.models import Complaint
from complaints.services import change_priority
from complaints.views import LAZY_FOLDS
from tests.complaints.conftest import as_request_user

HTMX = {"HTTP_HX_REQUEST": "true"}


def page_of(complaint: Complaint) -> str:
    return f"/console/complaints/{complaint.reference}/"


def version_in(content: str) -> int:
    return int(content.split('name="seen" value="', 1)[1].split('"', 1)[0])


def test_the_page_folds_the_actions_without_building_their_forms(
    agent_client: Client, complaint: Complaint
) -> None:
    url = page_of(complaint)
    content = agent_client.get(url).content.decode()
    version = version_in(content)
    for name in ("resolve", "team", "priority", "category", "refer", "escalate", "merge"):
        assert f'hx-get="{url}{name}/form/?seen={version}"' in content
        assert f'<a href="{url}{name}/form/">Open the form</a>' in content
        assert f'id="id_{name}_seen"' not in content
    # The frequent actions are on the page, ready.
    assert 'id="id_reply_body"' in content and 'id="id_note_body"' in content


def test_an_opened_fold_carries_the_version_of_the_page_so_a_change_since_is_caught(
    agent_client: Client, complaint: Complaint, manager: User
) -> None:
    url = page_of(complaint)
    seen = version_in(agent_client.get(url).content.decode())
    change_priority(complaint, "urgent", actor=as_request_user(manager))

    fold = agent_client.get(f"{url}priority/form/?seen={seen}", **HTMX)

    assert fold.status_code == 200
    form = fold.content.decode()
    assert form.lstrip().startswith(f'<form method="post" action="{url}priority/"')
    assert f'name="seen" value="{seen}"' in form and 'name="priority"' in form
    refused = agent_client.post(f"{url}priority/", {"priority": "low", "seen": seen}, **HTMX)
    assert "This complaint changed since you opened it" in refused.content.decode()
    # Refused, the form is shown open with what was typed, though the error is not a field's.
    assert f'<details data-action="{url}priority/" open>' in refused.content.decode()
    complaint.refresh_from_db()
    assert complaint.priority == "urgent"


def test_a_fold_opened_without_a_version_acts_on_the_newest_one(
    agent_client: Client, complaint: Complaint, manager: User
) -> None:
    url = page_of(complaint)
    change_priority(complaint, "urgent", actor=as_request_user(manager))
    for seen in ("", "?seen=", "?seen=abc", "?seen=-1", "?seen=99999999999"):
        form = agent_client.get(f"{url}priority/form/{seen}", **HTMX).content.decode()
        assert f'name="seen" value="{version_in(agent_client.get(url).content.decode())}"' in form


def test_without_javascript_a_fold_opens_on_the_complaint_page(
    manager_client: Client, complaint: Complaint
) -> None:
    url = page_of(complaint)
    page = manager_client.get(f"{url}assign/form/")
    assert page.status_code == 200
    content = page.content.decode()
    assert f'<details data-action="{url}assign/" open><summary>Assign</summary>' in content
    assert 'name="assignee"' in content
    assert f'hx-get="{url}team/form/?seen=' in content  # the other folds stay folded


def test_a_refused_folded_action_shows_its_form_open_with_the_error(
    agent_client: Client, complaint: Complaint
) -> None:
    url = page_of(complaint)
    response = agent_client.post(f"{url}priority/", {"priority": "sky-high"}, **HTMX)
    content = response.content.decode()
    assert f'<details data-action="{url}priority/" open>' in content
    assert 'class="error"' in content


@pytest.mark.parametrize("action", ["reply", "note", "status", "claim", "hand_back", "nonsense"])
def test_only_a_folded_action_has_a_form_of_its_own(
    agent_client: Client, complaint: Complaint, action: str
) -> None:
    assert action not in LAZY_FOLDS
    response = agent_client.get(f"{page_of(complaint)}{action}/form/", **HTMX)
    assert response.status_code == 404


def test_the_form_is_refused_to_whoever_may_not_take_the_action(
    specialist_client: Client, referred: Complaint
) -> None:
    url = page_of(referred)
    assert specialist_client.get(url).status_code == 200
    for name in ("assign", "merge", "escalate"):
        assert specialist_client.get(f"{url}{name}/form/", **HTMX).status_code == 403


def test_a_complaint_out_of_sight_has_no_form(
    other_agent_client: Client, consumer_client: Client, complaint: Complaint
) -> None:
    url = page_of(complaint)
    assert other_agent_client.get(url).status_code == 404  # another team's queue
    assert other_agent_client.get(f"{url}assign/form/", **HTMX).status_code == 404
    assert other_agent_client.get(f"{url}assign/form/").status_code == 404
    assert consumer_client.get(f"{url}assign/form/", **HTMX).status_code == 403


def test_the_assign_fold_starts_at_whoever_has_the_complaint_and_is_no_agents(
    manager_client: Client, agent_client: Client, complaint: Complaint, agent: User
) -> None:
    url = page_of(complaint)
    assert f'hx-get="{url}assign/form/' not in agent_client.get(url).content.decode()
    assert f'hx-get="{url}assign/form/' in manager_client.get(url).content.decode()
    unassigned = manager_client.get(f"{url}assign/form/", **HTMX).content.decode()
    # Nothing marked: the browser shows the first option, "Nobody (unassigned)".
    assert "selected" not in unassigned.split('name="assignee"', 1)[1].split("</select>", 1)[0]
    # Sent unchanged, nothing changes: nobody has it already.
    sent = manager_client.post(f"{url}assign/", {"assignee": ""}, **HTMX).content.decode()
    assert "Nobody has this complaint already." in sent

    Complaint.objects.filter(pk=complaint.pk).update(assignee=agent)
    assigned = manager_client.get(f"{url}assign/form/", **HTMX).content.decode()
    assert f'<option value="{agent.pk}" selected' in assigned
    sent = manager_client.post(f"{url}assign/", {"assignee": agent.pk}, **HTMX).content.decode()
    assert f"{agent.display_name} already has this complaint." in sent
    complaint.refresh_from_db()
    assert complaint.assignee_id == agent.pk


def test_the_resolve_fold_makes_the_outcome_and_root_cause_a_choice(
    agent_client: Client, complaint: Complaint
) -> None:
    url = page_of(complaint)
    form = agent_client.get(f"{url}resolve/form/", **HTMX).content.decode()
    outcome = form.split('name="outcome"', 1)[1].split("</select>", 1)[0]
    assert '<option value="" selected>Choose…</option>' in outcome
    cause = form.split('name="root_cause"', 1)[1].split("</select>", 1)[0]
    assert '<option value="" selected>Choose…</option>' in cause

    sent = agent_client.post(f"{url}resolve/", {"summary": "Refunded."}, **HTMX)
    content = sent.content.decode()
    assert "Choose an outcome: upheld, partly upheld or not upheld." in content
    assert "Choose the root cause, for root-cause analysis." in content
    assert f'<details data-action="{url}resolve/" open>' in content
    complaint.refresh_from_db()
    assert complaint.status != "resolved" and complaint.outcome == ""
