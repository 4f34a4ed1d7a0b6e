"""The complaint lifecycle over the API: correspondence, files, actions, clocks, filters,
ETags and If-Match, Idempotency-Key on actions; for each role, the outsider and nobody."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import User
from complaints.models import Complaint, Event, RootCause, Status, Team
from complaints.services import add_internal_note
from tests.api.conftest import COMPLAINTS_URL, post_json

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def url(complaint: Complaint, rest: str = "") -> str:
    return f"{COMPLAINTS_URL}{complaint.reference}/{rest}"


def action(complaint: Complaint, verb: str) -> str:
    return url(complaint, f"actions/{verb}/")


def problem(response: object, status: int) -> dict:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/problem+json"  # type: ignore[index]
    body = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    return body


# --- representations --------------------------------------------------------------------------


def test_consumer_representation_has_no_priority_team_or_staff_names(
    consumer_api: Client, complaint: Complaint, agent: User
) -> None:
    complaint.assignee = agent
    complaint.save(update_fields=["assignee"])

    detail = consumer_api.get(url(complaint)).json()
    row = consumer_api.get(COMPLAINTS_URL).json()["results"][0]

    for shown in (detail, row):
        assert not {"priority", "team", "assignee", "specialist"} & shown.keys()
    assert agent.display_name not in str(detail)


def test_staff_representation_has_priority_team_and_assignee(
    agent_api: Client, complaint: Complaint, agent: User
) -> None:
    complaint.assignee = agent
    complaint.save(update_fields=["assignee"])

    detail = agent_api.get(url(complaint)).json()

    assert detail["priority"] == complaint.priority
    assert detail["team"]["name"] == complaint.team.name  # type: ignore[union-attr]
    assert detail["assignee"] == {"id": agent.pk, "name": agent.display_name}


# --- messages ---------------------------------------------------------------------------------


def test_consumer_replies_and_reads_replies_but_never_internal_notes(
    consumer_api: Client, complaint: Complaint, agent: User
) -> None:
    add_internal_note(complaint, "Customer seems upset", actor=agent)

    posted = post_json(consumer_api, url(complaint, "messages/"), {"body": "Any news?"})
    listed = consumer_api.get(url(complaint, "messages/"))

    assert posted.status_code == 201, posted.content
    assert posted.json()["body"] == "Any news?"
    assert posted.json()["actor"] == "consumer"
    assert posted["ETag"]
    assert [m["body"] for m in listed.json()] == ["Any news?"]


def test_staff_add_internal_notes_that_staff_read(
    agent_api: Client, consumer_api: Client, complaint: Complaint
) -> None:
    posted = post_json(
        agent_api, url(complaint, "messages/"), {"body": "Check the ledger", "internal": True}
    )

    assert posted.status_code == 201, posted.content
    assert posted.json()["is_internal"] is True
    assert [m["body"] for m in agent_api.get(url(complaint, "messages/")).json()] == [
        "Check the ledger"
    ]
    assert consumer_api.get(url(complaint, "messages/")).json() == []


def test_a_consumer_may_not_add_an_internal_note(
    consumer_api: Client, complaint: Complaint
) -> None:
    response = post_json(consumer_api, url(complaint, "messages/"), {"body": "x", "internal": True})

    problem(response, 403)
    assert not complaint.events.filter(kind=Event.Kind.NOTE).exists()


def test_another_consumers_complaint_is_not_found(
    other_consumer_api: Client, complaint: Complaint
) -> None:
    for path in ("", "messages/", "attachments/", "deadlines/"):
        problem(other_consumer_api.get(url(complaint, path)), 404)
    problem(post_json(other_consumer_api, url(complaint, "messages/"), {"body": "Hi"}), 404)
    problem(post_json(other_consumer_api, action(complaint, "withdraw"), {}), 404)


def test_an_empty_message_is_a_400_naming_the_field(
    consumer_api: Client, complaint: Complaint
) -> None:
    body = problem(post_json(consumer_api, url(complaint, "messages/"), {"body": " \u200b"}), 400)

    assert body["errors"] == {"non_field_errors": ["A reply cannot be empty."]}


# --- attachments ------------------------------------------------------------------------------


def test_consumer_uploads_a_file_and_downloads_it_others_cannot(
    consumer_api: Client, other_consumer_api: Client, complaint: Complaint
) -> None:
    upload = SimpleUploadedFile("statement.pdf", PDF, content_type="application/pdf")

    posted = consumer_api.post(
        url(complaint, "attachments/"), {"body": "My statement", "attachments": [upload]}
    )

    assert posted.status_code == 201, posted.content
    (attachment,) = posted.json()["attachments"]
    assert attachment["content_type"] == "application/pdf"
    download = consumer_api.get(attachment["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF  # type: ignore[attr-defined]
    problem(other_consumer_api.get(attachment["download_url"]), 404)
    assert [a["id"] for a in consumer_api.get(url(complaint, "attachments/")).json()] == [
        attachment["id"]
    ]


def test_a_file_that_is_not_an_accepted_type_is_refused_by_content(
    consumer_api: Client, complaint: Complaint
) -> None:
    upload = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00\x03" + bytes(200))

    response = consumer_api.post(
        url(complaint, "attachments/"), {"body": "See attached", "attachments": [upload]}
    )

    body = problem(response, 400)
    assert "not a file type we accept" in body["detail"]
    assert not complaint.attachments.exists()


def test_an_upload_without_files_is_a_400(consumer_api: Client, complaint: Complaint) -> None:
    problem(consumer_api.post(url(complaint, "attachments/"), {"body": "Nothing"}), 400)


# --- actions ----------------------------------------------------------------------------------


def test_agent_claims_and_gets_the_updated_complaint(
    agent_api: Client, complaint: Complaint, agent: User
) -> None:
    response = post_json(agent_api, action(complaint, "claim"), {})

    assert response.status_code == 200, response.content
    assert response.json()["assignee"]["id"] == agent.pk
    assert response["ETag"]


def test_a_consumer_may_see_but_not_claim(consumer_api: Client, complaint: Complaint) -> None:
    problem(post_json(consumer_api, action(complaint, "claim"), {}), 403)


def test_change_priority_validates_with_the_pages_form(
    agent_api: Client, complaint: Complaint
) -> None:
    bad = problem(
        post_json(agent_api, action(complaint, "change-priority"), {"priority": "x"}), 400
    )
    good = post_json(agent_api, action(complaint, "change-priority"), {"priority": "high"})

    assert "priority" in bad["errors"]
    assert good.status_code == 200
    assert good.json()["priority"] == "high"


def test_a_refused_move_is_a_409_with_the_services_message(
    consumer_api: Client, complaint: Complaint
) -> None:
    body = problem(post_json(consumer_api, action(complaint, "accept"), {}), 409)

    assert body["detail"]
    complaint.refresh_from_db()
    assert complaint.status != Status.CLOSED


def test_consumer_withdraws_their_complaint(consumer_api: Client, complaint: Complaint) -> None:
    response = post_json(consumer_api, action(complaint, "withdraw"), {})

    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.WITHDRAWN


def test_escalate_move_team_and_refer(
    manager_api: Client, complaint: Complaint, specialist: User
) -> None:
    other = Team.objects.create(name="Mortgages")

    escalated = post_json(manager_api, action(complaint, "escalate"), {"reason": "Slow"})
    moved = post_json(manager_api, action(complaint, "move-team"), {"team": other.pk})
    referred = post_json(
        manager_api,
        action(complaint, "refer"),
        {"specialist": specialist.pk, "note": "Check the card ledger"},
    )

    assert escalated.json()["escalation_level"] == 1
    assert moved.json()["team"]["id"] == other.pk
    assert referred.json()["specialist"]["id"] == specialist.pk


def test_ids_are_whole_numbers_in_range(manager_api: Client, complaint: Complaint) -> None:
    for value in (1.5, 2**70, [1], {"id": 1}):
        response = post_json(manager_api, action(complaint, "move-team"), {"team": value})
        problem(response, 400)


def test_deadlines_list_every_clock_with_its_rule(
    consumer_api: Client, complaint: Complaint
) -> None:
    response = consumer_api.get(url(complaint, "deadlines/"))

    assert response.status_code == 200
    clocks = response.json()
    assert clocks
    assert all(clock["rule"] and clock["due_at"] for clock in clocks)
    assert {clock["met"] for clock in clocks} <= {True, False}


# --- the list's filters -----------------------------------------------------------------------


def test_list_filters_by_status_including_closed_ones(
    agent_api: Client, make_complaint: Callable[..., Complaint], complaint: Complaint
) -> None:
    withdrawn = make_complaint(subject="Changed my mind")
    withdrawn.team = complaint.team
    withdrawn.status = Status.WITHDRAWN
    withdrawn.save(update_fields=["team", "status"])

    response = agent_api.get(COMPLAINTS_URL, {"status": "withdrawn"})

    assert [row["reference"] for row in response.json()["results"]] == [withdrawn.reference]


def test_consumers_may_not_filter_by_staff_fields(
    consumer_api: Client, complaint: Complaint
) -> None:
    body = problem(consumer_api.get(COMPLAINTS_URL, {"priority": "high"}), 400)

    assert "priority" in body["errors"]


@pytest.mark.parametrize(
    ("params", "field", "error"),
    [
        ({"q": "\x00"}, "q", "Null characters are not allowed."),
        ({"q": "fees\x00"}, "q", "Null characters are not allowed."),
        ({"status": "lost"}, "status", "Select a valid choice."),
        ({"priority": "extreme"}, "priority", "Select a valid choice."),
        ({"received_from": "0001-01-01"}, "received_from", "between 2000 and 2099"),
        ({"received_to": "soon"}, "received_to", "valid date"),
        (
            {"received_from": "2026-03-02", "received_to": "2026-03-01"},
            "received_to",
            "must be on or after Received from",
        ),
        ({"page_size": "0"}, "page_size", "Give a whole number from 1"),
    ],
)
def test_a_filter_value_that_does_not_fit_is_a_400_naming_it(
    agent_api: Client, complaint: Complaint, params: dict[str, str], field: str, error: str
) -> None:
    body = problem(agent_api.get(COMPLAINTS_URL, params), 400)

    assert list(body["errors"]) == [field]
    assert error in " ".join(body["errors"][field])


def test_list_sorted_by_next_deadline(
    agent_api: Client, make_complaint: Callable[..., Complaint], complaint: Complaint
) -> None:
    later = make_complaint(subject="Later")
    Complaint.objects.filter(pk=later.pk).update(
        team=complaint.team, next_due_at=timezone.now() + timedelta(days=30)
    )
    Complaint.objects.filter(pk=complaint.pk).update(next_due_at=timezone.now() + timedelta(days=1))

    rows = agent_api.get(COMPLAINTS_URL, {"sort": "due"}).json()["results"]

    assert [row["reference"] for row in rows] == [complaint.reference, later.reference]


# --- If-Match ---------------------------------------------------------------------------------


def test_an_action_with_a_stale_etag_is_a_412_and_changes_nothing(
    agent_api: Client, complaint: Complaint
) -> None:
    etag = agent_api.get(url(complaint))["ETag"]
    post_json(agent_api, action(complaint, "change-priority"), {"priority": "high"})

    stale = agent_api.post(
        action(complaint, "change-priority"),
        {"priority": "low"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )

    problem(stale, 412)
    complaint.refresh_from_db()
    assert complaint.priority == "high"


def test_an_action_with_the_current_etag_goes_through(
    agent_api: Client, complaint: Complaint
) -> None:
    etag = agent_api.get(url(complaint))["ETag"]

    response = agent_api.post(
        action(complaint, "change-priority"),
        {"priority": "high"},
        content_type="application/json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 200
    assert response["ETag"] != etag


# --- Idempotency-Key on actions ---------------------------------------------------------------


def test_a_retried_reply_with_the_same_key_is_answered_once(
    consumer_api: Client, complaint: Complaint
) -> None:
    def send(body: str) -> object:
        return consumer_api.post(
            url(complaint, "messages/"),
            {"body": body},
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="reply-1",
        )

    first, again = send("Any news?"), send("Any news?")
    other = send("Something else")

    assert first.status_code == again.status_code == 201  # type: ignore[attr-defined]
    assert again["Idempotent-Replayed"] == "true"  # type: ignore[index]
    assert again.json() == first.json()  # type: ignore[attr-defined]
    problem(other, 422)
    assert complaint.events.filter(kind=Event.Kind.REPLY).count() == 1


@pytest.fixture
def root_cause(bank: object) -> RootCause:
    return RootCause.objects.create(name="Processing error")


@pytest.mark.parametrize(
    "fields",
    [
        {"internal": "yes"},
        {"internal": 2},
        {"internal": "TRUE-ish"},
        {"internal": None},
        {"is_internal": True},
        {"internal": True, "visibility": "private"},
    ],
)
def test_a_note_flag_that_is_not_plainly_yes_or_no_is_refused_and_nothing_reaches_the_consumer(
    agent_api: Client, consumer_api: Client, complaint: Complaint, fields: dict[str, object]
) -> None:
    before = Event.objects.count()

    response = post_json(
        agent_api, url(complaint, "messages/"), {"body": "Fraud risk, keep internal", **fields}
    )

    problem(response, 400)
    assert Event.objects.count() == before
    assert consumer_api.get(url(complaint, "messages/")).json() == []


@pytest.mark.parametrize("raw", ["[]", "null", '"text"', "3"])
def test_a_message_body_that_is_not_an_object_is_a_400(
    consumer_api: Client, complaint: Complaint, raw: str
) -> None:
    response = consumer_api.post(url(complaint, "messages/"), raw, content_type="application/json")

    problem(response, 400)


def test_a_consumer_sees_only_the_regulators_clocks_never_the_priority_behind_the_others(
    agent_api: Client, consumer_api: Client, complaint: Complaint
) -> None:
    staff = agent_api.get(url(complaint, "deadlines/")).json()
    consumer = consumer_api.get(url(complaint, "deadlines/")).json()

    assert staff
    assert consumer == [clock for clock in staff if clock["regulatory"]]
    assert all("priority" not in clock["rule"] for clock in consumer)
