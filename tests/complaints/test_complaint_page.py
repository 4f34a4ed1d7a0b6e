"""The complaint page for a working day: drafts that survive a sign-in, changes on the version
the person saw, a reply sent once, the status set with a reply, messages beside the form,
and the evidence of merged duplicates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
import time_machine
from django.test import Client

from accounts.models import User
from complaints.models import Complaint, Draft, Event, Status
from complaints.services import (
    ComplaintError,
    StaleComplaint,
    add_internal_note,
    change_priority,
    merge_complaint,
    reply_to_complaint,
    unchanged_since,
)
from tests.complaints.conftest import as_request_user, put_in_status
from tests.complaints.test_concurrency import World, in_bank, loaded, race, world  # noqa: F401
from tests.conftest import PASSWORD, current_code

HTMX = {"HTTP_HX_REQUEST": "true"}
LOGIN = "/accounts/login/"
VERIFY = "/account/two-factor/"
TEXT = "We have refunded the second payment of £42.10 to your card."


def page_of(complaint: Complaint) -> str:
    return f"/console/complaints/{complaint.reference}/"


def version_on(client: Client, url: str) -> int:
    """The version the page's forms carry (the newest timeline entry shown)."""
    content = client.get(url).content.decode()
    return int(content.split('name="seen" value="', 1)[1].split('"', 1)[0])


# --- Drafts across an expired session --------------------------------------------------------


def test_reply_posted_after_the_session_expired_is_back_in_the_box_after_sign_in_and_2fa(
    agent_client: Client, complaint: Complaint, agent: User
) -> None:
    url = page_of(complaint)
    assert agent_client.get(url).status_code == 200
    agent_client.cookies.pop("sessionid")  # the session expired

    posted = agent_client.post(f"{url}reply/", {"body": TEXT}, **HTMX)

    # The whole page goes to sign-in, and back to the complaint page, not the POST-only action.
    assert posted.status_code == 200
    assert posted["HX-Redirect"] == f"{LOGIN}?next={quote(url, safe='')}"
    assert not complaint.events.filter(kind=Event.Kind.REPLY).exists()

    signed_in = agent_client.post(
        posted["HX-Redirect"], {"login": agent.email, "password": PASSWORD}
    )
    assert signed_in.status_code == 302
    second_factor = agent_client.get(signed_in["Location"])
    assert second_factor["Location"].startswith(VERIFY)
    verified = agent_client.post(VERIFY, {"code": current_code(), "next": url})
    assert verified["Location"] == url

    page = agent_client.get(url).content.decode()
    assert f"{TEXT}</textarea>" in page
    assert Draft.objects.get(user=agent, complaint=complaint, box="reply").body == TEXT

    sent = agent_client.post(f"{url}reply/", {"body": TEXT}, **HTMX)
    assert sent.status_code == 200
    assert complaint.events.filter(kind=Event.Kind.REPLY, body=TEXT).count() == 1
    assert not Draft.objects.filter(user=agent, complaint=complaint).exists()


def test_a_plain_post_without_a_session_returns_to_the_complaint_page(
    anonymous_client: Client, complaint: Complaint
) -> None:
    response = anonymous_client.post(f"{page_of(complaint)}note/", {"body": "Checked."})
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={quote(page_of(complaint), safe='')}"


def test_an_unverified_post_is_sent_to_the_second_factor_with_the_page_as_next(
    unverified_agent_client: Client, complaint: Complaint
) -> None:
    response = unverified_agent_client.post(f"{page_of(complaint)}reply/", {"body": TEXT})
    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next={quote(page_of(complaint), safe='')}"


def test_consumer_reply_survives_an_expired_session_too(
    consumer_client: Client, complaint: Complaint, consumer: User
) -> None:
    url = f"/complaints/{complaint.reference}/"
    consumer_client.cookies.pop("sessionid")
    posted = consumer_client.post(f"{url}reply/", {"body": "Any news?"}, **HTMX)
    assert posted["HX-Redirect"] == f"{LOGIN}?next={quote(url, safe='')}"
    consumer_client.post(posted["HX-Redirect"], {"login": consumer.email, "password": PASSWORD})
    assert "Any news?</textarea>" in consumer_client.get(url).content.decode()


def test_draft_is_saved_while_typing_restored_and_kept_apart_per_person(
    agent_client: Client, manager_client: Client, complaint: Complaint
) -> None:
    url = page_of(complaint)
    assert (
        agent_client.post(f"{url}draft/note/", {"body": "Half a note"}, **HTMX).status_code == 204
    )
    assert agent_client.post(f"{url}draft/reply/", {"body": "Half a reply"}).status_code == 204
    page = agent_client.get(url).content.decode()
    assert "Half a reply</textarea>" in page and "Half a note</textarea>" in page
    assert "Half a" not in manager_client.get(url).content.decode()
    agent_client.post(f"{url}draft/reply/", {"body": "  "})
    assert "Half a reply" not in agent_client.get(url).content.decode()
    assert agent_client.post(f"{url}draft/letter/", {"body": "x"}).status_code == 404


@pytest.mark.parametrize(
    ("client_name", "status_code"),
    [("other_agent_client", 404), ("consumer_client", 403), ("anonymous_client", 302)],
)
def test_drafts_are_refused_to_those_not_working_the_complaint(
    request: pytest.FixtureRequest, complaint: Complaint, client_name: str, status_code: int
) -> None:
    client: Client = request.getfixturevalue(client_name)
    response = client.post(f"{page_of(complaint)}draft/reply/", {"body": "x"})
    assert response.status_code == status_code
    assert not Draft.objects.exists()


# --- Versions ----------------------------------------------------------------------------------


def test_stale_priority_change_is_refused_with_what_changed_and_nothing_written(
    agent_client: Client, complaint: Complaint, manager: User
) -> None:
    url = page_of(complaint)
    seen = version_on(agent_client, url)
    change_priority(complaint, "urgent", actor=as_request_user(manager))
    events = complaint.events.count()

    response = agent_client.post(f"{url}priority/", {"priority": "low", "seen": seen}, **HTMX)

    content = response.content.decode()
    assert "This complaint changed since you opened it" in content
    assert "Priority changed: Normal → Urgent by Morgan Manager" in content
    complaint.refresh_from_db()
    assert complaint.priority == "urgent"
    assert complaint.events.count() == events
    # The page now shows the change; sending again acts on what the person now sees.
    again = agent_client.post(
        f"{url}priority/", {"priority": "low", "seen": version_on(agent_client, url)}, **HTMX
    )
    assert "Priority changed." in again.content.decode()
    complaint.refresh_from_db()
    assert complaint.priority == "low"


def test_the_stale_change_message_dates_the_change_as_every_page_does(
    agent_client: Client, complaint: Complaint, manager: User
) -> None:
    url = page_of(complaint)
    seen = version_on(agent_client, url)
    # 07:25 UTC is 08:25 in London in summer: the message is in the tenant's time zone.
    with time_machine.travel(datetime(2026, 6, 1, 7, 25, tzinfo=UTC), tick=False):
        change_priority(complaint, "urgent", actor=as_request_user(manager))

    response = agent_client.post(f"{url}priority/", {"priority": "low", "seen": seen}, **HTMX)

    assert "Priority changed: Normal → Urgent by Morgan Manager (1 Jun 2026, 08:25)." in (
        response.content.decode()
    )


def test_an_internal_note_never_makes_a_consumers_tab_stale(
    consumer_client: Client, complaint: Complaint, agent: User
) -> None:
    url = f"/complaints/{complaint.reference}/"
    seen = version_on(consumer_client, url)
    add_internal_note(complaint, "Checking with payments.", actor=as_request_user(agent))
    response = consumer_client.post(f"{url}reply/", {"body": "Thank you", "seen": seen}, **HTMX)
    assert "Your reply was sent." in response.content.decode()


def test_consumer_rejection_in_a_stale_tab_is_refused_with_a_message(
    consumer_client: Client, complaint: Complaint, agent: User
) -> None:
    put_in_status(complaint, Status.RESOLVED)
    url = f"/complaints/{complaint.reference}/"
    seen = version_on(consumer_client, url)
    reply_to_complaint(
        complaint, "One more thing: a cheque is on its way.", actor=as_request_user(agent)
    )

    response = consumer_client.post(f"{url}reject/", {"reason": "Not enough", "seen": seen}, **HTMX)

    content = response.content.decode()
    assert "This complaint changed since you opened it" in content
    assert "Reply (" in content
    assert "Alex Agent" not in content  # consumers never see staff names
    complaint.refresh_from_db()
    assert complaint.status == Status.RESOLVED


def test_reply_when_a_newer_message_arrived_asks_to_read_it_first_then_sends(
    agent_client: Client, complaint: Complaint, consumer: User
) -> None:
    url = page_of(complaint)
    seen = version_on(agent_client, url)
    reply_to_complaint(
        complaint, "Actually it was three payments.", actor=as_request_user(consumer)
    )

    refused = agent_client.post(f"{url}reply/", {"body": TEXT, "seen": seen}, **HTMX)

    content = refused.content.decode()
    assert "A newer message arrived" in content
    assert "Actually it was three payments." in content  # on the timeline shown again
    assert f"{TEXT}</textarea>" in content  # the typed text stays in the box
    assert not complaint.events.filter(body=TEXT).exists()
    new_seen = int(content.split('name="seen" value="', 1)[1].split('"', 1)[0])
    sent = agent_client.post(f"{url}reply/", {"body": TEXT, "seen": new_seen}, **HTMX)
    assert "Your reply was sent." in sent.content.decode()
    assert complaint.events.filter(body=TEXT).count() == 1


def test_two_staff_changing_priority_on_the_same_version_one_wins(world: World) -> None:  # noqa: F811
    complaint = in_bank(world.complaint)
    seen = in_bank(lambda: complaint.events.order_by("-pk").values_list("pk", flat=True)[0])

    def change(agent: User, priority: str) -> Callable[[], Any]:
        def prepare() -> Callable[[], Any]:
            page = loaded(complaint.pk)

            def act() -> Any:
                with unchanged_since(page, seen, actor=agent):
                    return change_priority(page, priority, actor=agent)

            return act

        return prepare

    in_bank(lambda: Complaint.objects.filter(pk=complaint.pk).update(assignee=world.alex))
    outcomes = race(change(world.alex, "urgent"), change(world.manager, "low"))

    assert len(outcomes.results) == 1
    assert len(outcomes.refusals) == 1
    assert outcomes.refusals[0].startswith("This complaint changed since you opened it")
    changes = in_bank(
        lambda: list(complaint.events.filter(kind=Event.Kind.PRIORITY_CHANGED).values("data"))
    )
    assert len(changes) == 1
    final = in_bank(lambda: Complaint.objects.get(pk=complaint.pk).priority)
    assert changes[0]["data"]["value"].lower() == final


def test_stale_complaint_error_is_a_complaint_error() -> None:
    assert issubclass(StaleComplaint, ComplaintError)


# --- Double submission, refusal keeps the text -----------------------------------------------


def test_a_double_clicked_reply_is_sent_once(agent_client: Client, complaint: Complaint) -> None:
    url = page_of(complaint)
    token = agent_client.get(url).content.decode().split('name="token" value="', 1)[1][:32]
    data = {"body": TEXT, "token": token}
    first = agent_client.post(f"{url}reply/", data, **HTMX)
    second = agent_client.post(f"{url}reply/", data, **HTMX)
    assert "Your reply was sent." in first.content.decode()
    assert "it was not sent twice" in second.content.decode()
    assert complaint.events.filter(kind=Event.Kind.REPLY, body=TEXT).count() == 1
    assert 'hx-disabled-elt="find button"' in first.content.decode()


def test_a_refused_reply_keeps_the_text_in_the_box_and_may_be_sent_again(
    agent_client: Client, complaint: Complaint
) -> None:
    put_in_status(complaint, Status.CLOSED)
    url = page_of(complaint)
    data = {"body": TEXT, "token": "a" * 32}
    response = agent_client.post(f"{url}reply/", data, **HTMX)
    content = response.content.decode()
    assert "it no longer takes replies" in content
    assert f"{TEXT}</textarea>" in content
    put_in_status(complaint, Status.OPEN)
    again = agent_client.post(f"{url}reply/", data, **HTMX)
    assert "Your reply was sent." in again.content.decode()


# --- Send and set status ----------------------------------------------------------------------


def test_send_and_mark_awaiting_consumer_is_one_change_with_one_event(
    agent_client: Client, complaint: Complaint
) -> None:
    put_in_status(complaint, Status.OPEN)
    url = page_of(complaint)
    assert 'name="then" value="await_consumer"' in agent_client.get(url).content.decode()
    before = complaint.events.count()

    response = agent_client.post(f"{url}reply/", {"body": TEXT, "then": "await_consumer"}, **HTMX)

    assert "Your reply was sent and the complaint is now awaiting consumer." in (
        response.content.decode()
    )
    assert complaint.events.count() == before + 1
    event = complaint.events.latest("pk")
    assert (event.kind, event.from_status, event.to_status) == (
        "reply",
        "open",
        "awaiting_consumer",
    )
    complaint.refresh_from_db()
    assert complaint.status == Status.AWAITING_CONSUMER
    assert complaint.sla_paused_since is not None


def test_consumer_cannot_set_a_status_with_a_reply(
    consumer_client: Client, complaint: Complaint
) -> None:
    response = consumer_client.post(
        f"/complaints/{complaint.reference}/reply/",
        {"body": "Hello", "then": "await_consumer"},
        **HTMX,
    )
    assert "Only staff change the status with a reply." in response.content.decode()
    assert not complaint.events.filter(body="Hello").exists()


# --- Feedback beside the form ------------------------------------------------------------------


def test_priority_change_confirms_in_a_status_region_tied_to_its_form(
    agent_client: Client, complaint: Complaint
) -> None:
    url = page_of(complaint)
    response = agent_client.post(f"{url}priority/", {"priority": "high"}, **HTMX)
    content = response.content.decode()
    region = content.split('id="feedback"', 1)[1].split("</div>", 1)[0]
    assert 'role="status"' in region and 'aria-live="polite"' in region
    assert f'data-acted="{url}priority/"' in region
    assert "Priority changed." in region


# --- Merged evidence ---------------------------------------------------------------------------


def test_the_surviving_complaint_shows_the_duplicates_correspondence(
    agent_client: Client,
    consumer_client: Client,
    make_complaint: Callable[..., Complaint],
    complaint: Complaint,
    agent: User,
    consumer: User,
) -> None:
    duplicate = make_complaint()
    Complaint.objects.filter(pk=duplicate.pk).update(team=complaint.team)
    reply_to_complaint(duplicate, "Here is my statement again.", actor=as_request_user(consumer))
    add_internal_note(duplicate, "Statement checked.", actor=as_request_user(agent))
    merge_complaint(duplicate, complaint, actor=as_request_user(agent))

    staff = agent_client.get(page_of(complaint)).content.decode()
    assert "Here is my statement again." in staff and "Statement checked." in staff
    assert f"on {duplicate.reference}, merged into this complaint" in staff

    own = consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()
    assert "Here is my statement again." in own
    assert "Statement checked." not in own


def test_draft_beacon_without_a_session_keeps_the_text_without_interrupting_the_person(
    agent_client: Client, complaint: Complaint, agent: User
) -> None:
    url = page_of(complaint)
    agent_client.cookies.pop("sessionid")
    posted = agent_client.post(f"{url}draft/note/", {"body": "Half a note"}, **HTMX)
    assert posted.status_code == 204
    assert "HX-Redirect" not in posted
    assert not Draft.objects.exists()
    agent_client.post(
        f"{LOGIN}?next={quote(url, safe='')}", {"login": agent.email, "password": PASSWORD}
    )
    agent_client.post(VERIFY, {"code": current_code(), "next": url})
    assert "Half a note</textarea>" in agent_client.get(url).content.decode()


def test_a_post_only_action_without_its_own_page_returns_to_the_page_it_was_sent_from(
    anonymous_client: Client,
) -> None:
    response = anonymous_client.post(
        "/console/bulk/",
        {"action": "claim"},
        HTTP_REFERER="http://bank.localhost/console/?view=mine",
    )
    assert response["Location"] == f"{LOGIN}?next={quote('/console/?view=mine', safe='')}"
    foreign = anonymous_client.post(
        "/console/bulk/", {"action": "claim"}, HTTP_REFERER="https://evil.example/console/"
    )
    assert "evil" not in foreign["Location"]


def test_the_actions_come_before_a_compact_deadlines_panel_that_keeps_every_rule(
    agent_client: Client, complaint: Complaint
) -> None:
    page = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()

    aside = page[page.index('<aside aria-label="Details and actions">') :]
    assert aside.index('<div class="card actions">') < aside.index('<div class="card deadlines">')
    panel = aside[aside.index('<div class="card deadlines">') :]
    shown, folded = panel.split('<details class="all-deadlines">', 1)
    folded = folded[: folded.index("</details>")]
    assert shown.count('<li class="deadline') == 1
    assert "DISP 1.6.2R" in folded
    assert folded.count('<li class="deadline') == complaint.deadlines.count()
