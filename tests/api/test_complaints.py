"""/api/v1/complaints/: list, detail and create, for every role, the outsider and nobody."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.models import Role, User
from complaints.models import Category, Channel, Complaint, Event, Team
from complaints.services import add_internal_note, submit_complaint
from tenancy.models import Tenant
from tests.api.conftest import COMPLAINTS_URL, bearer_client, post_json
from tests.conftest import create_user


def detail_url(reference: str) -> str:
    return f"{COMPLAINTS_URL}{reference}/"


def references(response_json: dict) -> list[str]:
    return [row["reference"] for row in response_json["results"]]


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.fixture
def mortgages(bank: Tenant) -> Team:
    return Team.objects.create(name="Mortgages")


@pytest.fixture
def queues(
    make_complaint: Callable[..., Complaint],
    complaint: Complaint,
    other_consumer: User,
    mortgages: Team,
    agent: User,
) -> dict[str, Complaint]:
    """One complaint in each place an agent's visibility depends on."""
    unrouted = make_complaint(owner=other_consumer, subject="Unrouted")
    elsewhere = make_complaint(owner=other_consumer, subject="Other team")
    elsewhere.team = mortgages
    elsewhere.save(update_fields=["team"])
    assigned = make_complaint(owner=other_consumer, subject="Other team, assigned to agent")
    assigned.team, assigned.assignee = mortgages, agent
    assigned.save(update_fields=["team", "assignee"])
    return {"team": complaint, "unrouted": unrouted, "elsewhere": elsewhere, "assigned": assigned}


def newest_first(*complaints: Complaint) -> list[str]:
    ordered = sorted(complaints, key=lambda c: (c.received_at, c.pk), reverse=True)
    return [c.reference for c in ordered]


# --- list ---------------------------------------------------------------------------------


def test_consumer_lists_only_their_own_complaints(
    consumer_api: Client, consumer: User, queues: dict[str, Complaint]
) -> None:
    response = consumer_api.get(COMPLAINTS_URL)

    assert response.status_code == 200
    assert references(response.json()) == [queues["team"].reference]
    assert response.json()["results"][0]["consumer_email"] == consumer.email


def test_agent_lists_their_team_queue_unrouted_and_assigned_but_not_other_teams(
    agent_api: Client, queues: dict[str, Complaint]
) -> None:
    response = agent_api.get(COMPLAINTS_URL)

    assert response.status_code == 200
    assert references(response.json()) == newest_first(
        queues["team"], queues["unrouted"], queues["assigned"]
    )


def test_specialist_lists_only_complaints_referred_to_them(
    specialist_api: Client, specialist: User, queues: dict[str, Complaint]
) -> None:
    referred = queues["elsewhere"]
    referred.specialist = specialist
    referred.save(update_fields=["specialist"])

    response = specialist_api.get(COMPLAINTS_URL)

    assert response.status_code == 200
    assert references(response.json()) == [referred.reference]


@pytest.mark.parametrize("client_fixture", ["manager_api", "admin_api"])
def test_manager_and_admin_list_every_complaint(
    client_fixture: str, queues: dict[str, Complaint], request: pytest.FixtureRequest
) -> None:
    client: Client = request.getfixturevalue(client_fixture)

    response = client.get(COMPLAINTS_URL)

    assert response.status_code == 200
    assert references(response.json()) == newest_first(*queues.values())


def test_outsider_token_is_refused_on_the_bank_list(
    outsider_on_bank: Client, queues: dict[str, Complaint]
) -> None:
    response = outsider_on_bank.get(COMPLAINTS_URL)

    assert response.status_code == 401
    assert "detail" in response.json()
    assert "results" not in response.json()


def test_list_without_a_token_is_a_401_json_asking_for_a_bearer_token(
    anonymous_api: Client, complaint: Complaint
) -> None:
    response = anonymous_api.get(COMPLAINTS_URL)

    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Authentication credentials were not provided."
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_list_with_a_malformed_authorization_header_is_a_401(
    bank: Tenant, complaint: Complaint
) -> None:
    client = Client(HTTP_HOST=bank.host, HTTP_AUTHORIZATION="Bearer not.a.jwt")

    response = client.get(COMPLAINTS_URL)

    assert response.status_code == 401
    assert "detail" in response.json()


def test_list_pages_with_a_cursor_beyond_25_rows(
    consumer_api: Client, make_complaint: Callable[..., Complaint]
) -> None:
    start = timezone.now() - timedelta(days=40)
    made = [make_complaint(received_at=start + timedelta(hours=n)) for n in range(30)]

    first = consumer_api.get(COMPLAINTS_URL).json()
    assert len(first["results"]) == 25
    assert "cursor=" in first["next"]
    second = consumer_api.get(path_of(first["next"])).json()

    assert len(second["results"]) == 5
    assert second["next"] is None
    assert references(first) + references(second) == newest_first(*made)


def test_list_page_size_is_capped_at_100(
    consumer_api: Client, make_complaint: Callable[..., Complaint]
) -> None:
    for _ in range(3):
        make_complaint()

    response = consumer_api.get(f"{COMPLAINTS_URL}?page_size=2")

    assert len(response.json()["results"]) == 2
    assert response.json()["next"] is not None


def test_list_query_count_does_not_grow_with_rows(
    manager_api: Client, make_complaint: Callable[..., Complaint], category: Category
) -> None:
    make_complaint(category=category)
    manager_api.get(COMPLAINTS_URL)  # warms the cached tenant lookup
    with CaptureQueriesContext(connection) as few:
        assert len(manager_api.get(COMPLAINTS_URL).json()["results"]) == 1
    for _ in range(6):
        make_complaint(category=category)

    with CaptureQueriesContext(connection) as many:
        assert len(manager_api.get(COMPLAINTS_URL).json()["results"]) == 7

    assert len(many) == len(few)


# --- detail -------------------------------------------------------------------------------


@pytest.fixture
def noted_complaint(complaint: Complaint, agent: User) -> Complaint:
    add_internal_note(complaint, "Customer has called three times; check fraud flag.", actor=agent)
    return complaint


def test_consumer_detail_timeline_never_contains_internal_notes(
    consumer_api: Client, noted_complaint: Complaint
) -> None:
    response = consumer_api.get(detail_url(noted_complaint.reference))

    assert response.status_code == 200
    timeline = response.json()["timeline"]
    # The acknowledgement letter is correspondence the consumer sees; the note is not.
    assert [event["kind"] for event in timeline] == [Event.Kind.SUBMITTED, Event.Kind.LETTER]
    assert "fraud flag" not in response.content.decode()
    assert timeline[0]["actor"] == "consumer"
    assert not any(event["is_internal"] for event in timeline)


@pytest.mark.parametrize("client_fixture", ["agent_api", "manager_api", "admin_api"])
def test_staff_detail_timeline_includes_internal_notes(
    client_fixture: str, noted_complaint: Complaint, request: pytest.FixtureRequest
) -> None:
    client: Client = request.getfixturevalue(client_fixture)

    response = client.get(detail_url(noted_complaint.reference))

    assert response.status_code == 200
    timeline = response.json()["timeline"]
    assert [event["kind"] for event in timeline] == [
        Event.Kind.SUBMITTED,
        Event.Kind.LETTER,
        Event.Kind.NOTE,
    ]
    assert timeline[2]["is_internal"] is True
    assert timeline[2]["actor"] == "Alex Agent"
    assert "fraud flag" in timeline[2]["body"]


def test_referred_specialist_sees_internal_notes_but_not_other_complaints(
    specialist_api: Client,
    specialist: User,
    noted_complaint: Complaint,
    queues: dict[str, Complaint],
) -> None:
    noted_complaint.specialist = specialist
    noted_complaint.save(update_fields=["specialist"])

    referred = specialist_api.get(detail_url(noted_complaint.reference))
    other = specialist_api.get(detail_url(queues["unrouted"].reference))

    assert referred.status_code == 200
    assert [event["kind"] for event in referred.json()["timeline"]] == [
        "submitted",
        "letter",
        "note",
    ]
    assert other.status_code == 404


def test_consumer_gets_404_for_another_consumers_reference(
    other_consumer_api: Client, complaint: Complaint
) -> None:
    response = other_consumer_api.get(detail_url(complaint.reference))

    assert response.status_code == 404
    assert response.json()["detail"]
    assert complaint.subject not in response.content.decode()


def test_agent_gets_404_for_another_teams_complaint(
    agent_api: Client, queues: dict[str, Complaint]
) -> None:
    assert agent_api.get(detail_url(queues["elsewhere"].reference)).status_code == 404
    assert agent_api.get(detail_url(queues["assigned"].reference)).status_code == 200


def test_outsider_token_is_refused_on_a_bank_complaint(
    outsider_on_bank: Client, complaint: Complaint
) -> None:
    response = outsider_on_bank.get(detail_url(complaint.reference))

    assert response.status_code == 401
    assert complaint.subject not in response.content.decode()


def test_detail_without_a_token_is_401(anonymous_api: Client, complaint: Complaint) -> None:
    response = anonymous_api.get(detail_url(complaint.reference))

    assert response.status_code == 401
    assert "detail" in response.json()


def test_unknown_reference_is_a_404_json(consumer_api: Client) -> None:
    response = consumer_api.get(detail_url("C-1999-999999"))

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"]


def test_bank_manager_token_gets_no_telco_complaint(
    manager: User,
    tokens_for: Callable[..., dict[str, str]],
    outsider_manager: User,
    telco_tenant: Tenant,
    outsider: User,
    activate: Callable[[Tenant], Tenant],
) -> None:
    """Telco's manager is the bank manager's twin: only the token's tenant tells them apart."""
    access = tokens_for(manager)["access"]
    bank = connection.tenant
    activate(telco_tenant)
    foreign = submit_complaint(
        consumer=outsider, actor=outsider, subject="Roaming charges", description="Too high."
    )
    activate(bank)

    response = bearer_client(telco_tenant, access).get(detail_url(foreign.reference))

    assert response.status_code == 401
    assert "Roaming charges" not in response.content.decode()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_complaints_cannot_be_changed_or_deleted_through_the_api(
    manager_api: Client, complaint: Complaint, method: str
) -> None:
    response = getattr(manager_api, method)(
        detail_url(complaint.reference), {"subject": "Changed"}, content_type="application/json"
    )

    assert response.status_code == 405
    assert "detail" in response.json()
    complaint.refresh_from_db()
    assert complaint.subject == "Card payment taken twice"


# --- create -------------------------------------------------------------------------------

NEW_COMPLAINT = {
    "subject": "Overdraft fee charged in error",
    "description": "I was charged £25 although I never went overdrawn.",
}


def test_consumer_creates_a_complaint_through_the_api_channel(
    consumer_api: Client, consumer: User, category: Category
) -> None:
    response = post_json(
        consumer_api,
        COMPLAINTS_URL,
        {**NEW_COMPLAINT, "category_id": category.pk, "desired_outcome": "A refund."},
    )

    assert response.status_code == 201
    body = response.json()
    created = Complaint.objects.get(reference=body["reference"])
    assert created.consumer == consumer
    assert created.channel == Channel.API
    assert created.category == category
    assert body["channel"] == "api"
    assert body["status"] == "new"
    assert body["category"] == "Fees and charges"
    assert body["consumer_email"] == consumer.email
    assert [event["kind"] for event in body["timeline"]] == ["submitted", "letter"]
    assert body["timeline"][0]["actor"] == "consumer"
    assert body["timeline"][1]["actor"] is None
    assert timezone.now() - created.received_at < timedelta(minutes=1)


@pytest.mark.parametrize(
    "staff_field",
    [
        {"consumer_email": "jordan@example.com"},
        {"channel": "phone"},
        {"channel": "api"},
        {"received_at": "2024-01-02T09:00:00Z"},
    ],
)
def test_consumer_may_not_set_staff_only_fields(
    consumer_api: Client, other_consumer: User, staff_field: dict[str, str]
) -> None:
    response = post_json(consumer_api, COMPLAINTS_URL, {**NEW_COMPLAINT, **staff_field})

    assert response.status_code == 400
    (field,) = staff_field
    assert response.json()["errors"][field] == ["Only staff may set this field."]
    assert response.json()["detail"] == f"{field}: Only staff may set this field."
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("role", ["agent", "manager"])
def test_staff_log_a_phone_complaint_on_behalf_of_a_consumer_with_its_clock_start(
    role: str, consumer: User, request: pytest.FixtureRequest
) -> None:
    client: Client = request.getfixturevalue(f"{role}_api")
    staff: User = request.getfixturevalue(role)
    received = (timezone.now() - timedelta(days=3)).replace(microsecond=0)

    response = post_json(
        client,
        COMPLAINTS_URL,
        {
            **NEW_COMPLAINT,
            "consumer_email": "CASEY@example.com",
            "channel": "phone",
            "received_at": received.isoformat(),
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    created = Complaint.objects.get(reference=body["reference"])
    assert created.consumer == consumer
    assert created.channel == Channel.PHONE
    assert created.received_at == received
    assert parse_datetime(body["received_at"]) == received
    assert body["reference"].startswith(f"C-{received:%Y}-")
    assert body["consumer_email"] == consumer.email
    assert created.events.get(kind=Event.Kind.SUBMITTED).actor == staff
    # The acknowledgement states the deadline counted from the call, not from the logging.
    letter = created.events.get(kind=Event.Kind.LETTER)
    assert letter.data["letter"] == "acknowledgement"
    received_locally = received.astimezone(ZoneInfo("Europe/London"))
    assert f"received on {received_locally:%-d %B %Y}" in letter.body


def test_staff_must_name_the_consumer(agent_api: Client) -> None:
    response = post_json(agent_api, COMPLAINTS_URL, NEW_COMPLAINT)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("consumer_email: ")


@pytest.mark.parametrize("email", ["nobody@example.com", "morgan@example.com", "robin@example.com"])
def test_staff_get_400_for_an_email_that_is_no_consumer_of_this_tenant(
    agent_api: Client,
    manager: User,
    telco_tenant: Tenant,
    activate: Callable[[Tenant], Tenant],
    email: str,
) -> None:
    """Neither an unknown address, a staff member's, nor a telco consumer's (Robin) counts."""
    bank = connection.tenant
    activate(telco_tenant)
    create_user(Role.CONSUMER, "robin@example.com")
    activate(bank)

    response = post_json(agent_api, COMPLAINTS_URL, {**NEW_COMPLAINT, "consumer_email": email})

    assert response.status_code == 400
    assert (
        response.json()["detail"] == "consumer_email: No consumer account has this e-mail address."
    )
    assert not Complaint.objects.exists()


def test_staff_get_400_for_a_received_at_in_the_future(agent_api: Client, consumer: User) -> None:
    tomorrow = timezone.now() + timedelta(days=1)

    response = post_json(
        agent_api,
        COMPLAINTS_URL,
        {**NEW_COMPLAINT, "consumer_email": consumer.email, "received_at": tomorrow.isoformat()},
    )

    assert response.status_code == 400
    assert (
        response.json()["detail"] == "The time the complaint was received cannot be in the future."
    )
    assert not Complaint.objects.exists()


def test_staff_get_400_for_an_unknown_channel(agent_api: Client, consumer: User) -> None:
    response = post_json(
        agent_api,
        COMPLAINTS_URL,
        {**NEW_COMPLAINT, "consumer_email": consumer.email, "channel": "carrier-pigeon"},
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("channel: ")


def test_subject_of_more_than_200_characters_is_a_400(consumer_api: Client) -> None:
    response = post_json(consumer_api, COMPLAINTS_URL, {**NEW_COMPLAINT, "subject": "x" * 201})

    assert response.status_code == 400
    assert response.json()["detail"].startswith("subject: ")
    assert "200" in response.json()["detail"]
    assert not Complaint.objects.exists()


def test_subject_of_exactly_200_characters_is_accepted(consumer_api: Client) -> None:
    response = post_json(consumer_api, COMPLAINTS_URL, {**NEW_COMPLAINT, "subject": "x" * 200})

    assert response.status_code == 201


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": "   "}, "subject"),
        ({"description": ""}, "description"),
        ({"subject": None}, "subject"),
        ({"category_id": 987_654}, "category_id"),
    ],
)
def test_invalid_complaint_fields_are_a_400_naming_the_field(
    consumer_api: Client, change: dict[str, object], field: str
) -> None:
    response = post_json(consumer_api, COMPLAINTS_URL, {**NEW_COMPLAINT, **change})

    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"{field}: ")


def test_retired_category_is_refused(consumer_api: Client, category: Category) -> None:
    category.is_active = False
    category.save(update_fields=["is_active"])

    response = post_json(
        consumer_api, COMPLAINTS_URL, {**NEW_COMPLAINT, "category_id": category.pk}
    )

    assert response.status_code == 400
    assert response.json()["detail"].startswith("category_id: ")


def test_create_with_a_body_that_is_not_json_is_a_400(consumer_api: Client) -> None:
    response = consumer_api.post(COMPLAINTS_URL, "subject=Hi", content_type="application/json")

    assert response.status_code == 400
    assert "JSON parse error" in response.json()["detail"]


@pytest.mark.parametrize("client_fixture", ["specialist_api", "admin_api"])
def test_specialist_and_admin_may_not_log_complaints(
    client_fixture: str, consumer: User, request: pytest.FixtureRequest
) -> None:
    client: Client = request.getfixturevalue(client_fixture)

    response = post_json(
        client, COMPLAINTS_URL, {**NEW_COMPLAINT, "consumer_email": consumer.email}
    )

    assert response.status_code == 403
    assert response.json()["detail"] == "You may not log complaints."
    assert not Complaint.objects.exists()


def test_outsider_token_cannot_log_a_complaint_on_the_bank(
    outsider_on_bank: Client, consumer: User
) -> None:
    response = post_json(outsider_on_bank, COMPLAINTS_URL, NEW_COMPLAINT)

    assert response.status_code == 401
    assert not Complaint.objects.exists()


def test_create_without_a_token_is_a_401(anonymous_api: Client, consumer: User) -> None:
    response = post_json(anonymous_api, COMPLAINTS_URL, NEW_COMPLAINT)

    assert response.status_code == 401
    assert not Complaint.objects.exists()


# Authentication; for staff, the consumer named by e-mail (one look-up) and their proven
# address; the transaction's savepoint; the complaint (its reference drawn by the INSERT, with
# its next deadline, its acknowledgement and its words); its event; the acknowledgement (event,
# outbox); its deadlines (the acknowledgement's met) in one statement; the report counts; then
# the answer: the complaint and its timeline. The category, the tenant settings, the default
# team, the calendar, the SLA targets and the letter wording come from the tenant's cache.
API_CREATE_QUERIES = {"consumer_api": 12, "manager_api": 14}


@pytest.mark.parametrize("client_name", list(API_CREATE_QUERIES))
def test_creating_through_the_api_costs_a_fixed_number_of_queries(
    request: pytest.FixtureRequest,
    client_name: str,
    consumer: User,
    category: Category,
    django_assert_num_queries: Callable[..., Any],
) -> None:
    client: Client = request.getfixturevalue(client_name)
    staff = {} if client_name == "consumer_api" else {"consumer_email": consumer.email.upper()}
    body = {**NEW_COMPLAINT, "category_id": category.pk, **staff}
    assert post_json(client, COMPLAINTS_URL, body).status_code == 201  # warm caches
    with django_assert_num_queries(API_CREATE_QUERIES[client_name]):
        assert post_json(client, COMPLAINTS_URL, body).status_code == 201


def test_staff_create_finds_the_consumer_by_e_mail_through_indexes(
    manager_api: Client, consumer: User
) -> None:
    body = {**NEW_COMPLAINT, "consumer_email": consumer.email.upper()}
    with CaptureQueriesContext(connection) as captured:
        assert post_json(manager_api, COMPLAINTS_URL, body).status_code == 201
    by_email = [query["sql"] for query in captured.captured_queries if "UPPER(" in query["sql"]]

    # The account and its proven address; sequential scans are off (the tables are tiny),
    # so the plan says whether an index *can* serve the look-up.
    assert len(by_email) == 2, by_email
    for sql in by_email:
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(line for (line,) in cursor.fetchall())
        assert "email_upper_idx" in plan, plan
