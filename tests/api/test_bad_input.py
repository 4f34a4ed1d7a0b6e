"""Values parsed with bounds: bad input to the API is a clear 4xx in JSON and changes nothing."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest
from django.test import Client

from accounts.models import Invitation, User
from complaints.api.views import ComplaintListView
from complaints.models import Category, Complaint
from tenancy.models import Tenant
from tests.api.conftest import COMPLAINTS_URL, TOKEN_URL, post_json


def body(subject: str = "Card payment taken twice", **fields: object) -> dict[str, object]:
    return {"subject": subject, "description": "The payment left my account twice.", **fields}


def assert_refused_as_json(response: object, status: int = 400) -> dict[str, object]:
    assert response.status_code == status, response.content  # type: ignore[attr-defined]
    assert response["Content-Type"].startswith("application/problem+json")  # type: ignore[index]
    data = response.json()  # type: ignore[attr-defined]
    assert data["detail"]
    return data


@pytest.mark.parametrize("url", [TOKEN_URL, COMPLAINTS_URL])
def test_json_nested_beyond_the_decoder_is_a_400_even_unauthenticated(
    bank: Tenant, consumer_api: Client, url: str
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    client = consumer_api if url == COMPLAINTS_URL else Client(HTTP_HOST=bank.host)

    response = client.post(url, deep, content_type="application/json")

    assert "nested too deeply" in str(assert_refused_as_json(response)["detail"])
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("raw", ["1e999", "1.5", "true", "NaN", "-1", "9223372036854775808"])
def test_a_category_id_must_be_a_whole_number_in_range(
    consumer_api: Client, category: Category, raw: str
) -> None:
    text = '{"subject": "Fees", "description": "Charged twice.", "category_id": ' + raw + "}"

    response = consumer_api.post(COMPLAINTS_URL, text, content_type="application/json")

    assert_refused_as_json(response)
    assert not Complaint.objects.exists()


def test_a_category_id_as_a_whole_number_is_accepted(
    consumer_api: Client, category: Category
) -> None:
    response = post_json(consumer_api, COMPLAINTS_URL, body(category_id=category.pk))

    assert response.status_code == 201, response.content
    assert response.json()["category"] == category.name


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64!",
        base64.b64encode(b"r=0&p=not-a-date").decode(),
        base64.b64encode(b"o=1&p=" + b"2026" * 50).decode(),
    ],
)
def test_a_forged_or_broken_cursor_is_a_400(consumer_api: Client, cursor: str) -> None:
    response = consumer_api.get(f"{COMPLAINTS_URL}?cursor={quote(cursor)}")

    assert "cursor is not valid" in str(assert_refused_as_json(response)["detail"])


# Both dates lie decades before any day the suite runs on: no clock to freeze. Year 1 does
# not even fit the tenant's time zone, so the field refuses it before the service does.
@pytest.mark.parametrize(
    ("received_at", "reason"),
    [("0001-01-01T00:00:00Z", "out of range"), ("1970-01-01T00:00:00Z", "2000 or later")],
)
def test_staff_cannot_log_a_complaint_received_long_ago(
    manager_api: Client, consumer: User, received_at: str, reason: str
) -> None:
    response = post_json(
        manager_api,
        COMPLAINTS_URL,
        body(consumer_email=consumer.email, channel="letter", received_at=received_at),
    )

    assert reason in str(assert_refused_as_json(response)["detail"])
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("subject", ["\u200b", " \u200b\u200d ", "\ufeff", "\x00"])
def test_a_subject_of_invisible_characters_is_blank(consumer_api: Client, subject: str) -> None:
    response = post_json(consumer_api, COMPLAINTS_URL, body(subject=subject))

    assert_refused_as_json(response)
    assert not Complaint.objects.exists()


def test_lengths_count_the_normalised_text(consumer_api: Client) -> None:
    # 200 letters é written as e + combining accent: 400 code points sent, 200 kept.
    decomposed = "e\u0301" * 200

    response = post_json(consumer_api, COMPLAINTS_URL, body(subject=decomposed))

    assert response.status_code == 201, response.content
    assert Complaint.objects.get().subject == "\u00e9" * 200


def test_a_chunked_body_is_refused_not_dropped(consumer_api: Client) -> None:
    response = consumer_api.post(
        COMPLAINTS_URL,
        '{"subject": "x", "description": "y"}',
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )

    assert_refused_as_json(response, status=411)
    assert not Complaint.objects.exists()


def test_a_megabyte_password_is_refused_before_hashing(bank: Tenant, consumer: User) -> None:
    response = post_json(
        Client(HTTP_HOST=bank.host),
        TOKEN_URL,
        {"email": consumer.email, "password": "x" * 1_000_000},
    )

    assert_refused_as_json(response)


def test_the_tenant_host_is_found_whatever_its_case(bank: Tenant) -> None:
    response = Client(HTTP_HOST=bank.host.upper()).get(COMPLAINTS_URL)

    # The bank answers (asking for a token), not "no organisation at this address".
    assert_refused_as_json(response, status=401)


def test_a_server_error_under_the_api_is_json_with_the_request_id(
    consumer_api: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the list broke")

    monkeypatch.setattr(ComplaintListView, "get", fail)
    consumer_api.raise_request_exception = False

    response = consumer_api.get(COMPLAINTS_URL)

    data = assert_refused_as_json(response, status=500)
    assert data["request_id"] == response["X-Request-ID"]
    assert "the list broke" not in response.content.decode()


def test_the_consumer_api_names_the_organisation_not_the_staff_member(
    consumer_api: Client, consumer: User, agent: User, make_complaint: object
) -> None:
    from complaints.services import reply_to_complaint

    complaint = make_complaint()  # type: ignore[operator]
    reply_to_complaint(complaint, "We are on it.", actor=agent)

    timeline = consumer_api.get(f"{COMPLAINTS_URL}{complaint.reference}/").json()["timeline"]

    reply = next(entry for entry in timeline if entry["kind"] == "reply")
    assert reply["actor"] == "Northwind Bank"
    assert agent.display_name not in str(timeline)


# --- retries ------------------------------------------------------------------------------


def create_with_key(client: Client, key: str, subject: str = "Card payment taken twice") -> object:
    return client.post(
        COMPLAINTS_URL,
        body(subject=subject),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


def test_a_retried_create_with_the_same_key_gets_the_first_answer_and_logs_once(
    consumer_api: Client,
) -> None:
    first = create_with_key(consumer_api, "4b1f6a0e-retry")
    again = create_with_key(consumer_api, "4b1f6a0e-retry")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["reference"] == first.json()["reference"]
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"]
    assert again["Location"] == first["Location"] == f"{COMPLAINTS_URL}{first.json()['reference']}/"
    assert Complaint.objects.count() == 1
    assert Complaint.objects.get().events.filter(kind="letter").count() == 1


def test_the_same_key_with_another_body_is_refused(consumer_api: Client) -> None:
    create_with_key(consumer_api, "key-1", subject="First subject")

    other = create_with_key(consumer_api, "key-1", subject="Another subject")

    assert_refused_as_json(other, status=422)
    assert Complaint.objects.count() == 1


def test_keys_are_per_user(consumer_api: Client, other_consumer_api: Client) -> None:
    create_with_key(consumer_api, "shared-key")

    response = create_with_key(other_consumer_api, "shared-key")

    assert response.status_code == 201
    assert Complaint.objects.count() == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "with space", "caf\u00e9"])
def test_a_malformed_key_is_refused(consumer_api: Client, key: str) -> None:
    assert_refused_as_json(create_with_key(consumer_api, key), status=400)
    assert not Complaint.objects.exists()


def test_a_refused_request_is_replayed_as_refused_and_changes_nothing(consumer_api: Client) -> None:
    first = create_with_key(consumer_api, "blank-subject", subject="\u200b")
    again = create_with_key(consumer_api, "blank-subject", subject="\u200b")

    assert (first.status_code, again.status_code) == (400, 400)
    assert again.json() == first.json()
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("charset", ["rot13", "latin-1", "utf-16"])
def test_a_json_body_in_another_charset_is_a_400_even_unauthenticated(
    bank: Tenant, charset: str
) -> None:
    # ``generic`` sends the bytes as they are (``post`` would encode them in the charset).
    response = Client(HTTP_HOST=bank.host).generic(
        "POST", TOKEN_URL, b'{"email": "a@b.c", "password": "x"}',
        content_type=f"application/json; charset={charset}",
    )  # fmt: skip

    assert "UTF-8" in str(assert_refused_as_json(response)["detail"])


@pytest.mark.parametrize(
    "raw",
    [
        '{"email": "\\ud800", "password": "x"}',
        '{"\\udfff": 1, "email": "a@b.c", "password": "x"}',
        '{"email": "a@b.c", "password": ["\\ud800"]}',
    ],
)
def test_an_unpaired_surrogate_anywhere_in_json_is_a_400(bank: Tenant, raw: str) -> None:
    response = Client(HTTP_HOST=bank.host).post(TOKEN_URL, raw, content_type="application/json")

    assert "surrogate" in str(assert_refused_as_json(response)["detail"])


def test_a_surrogate_sent_to_a_choice_field_is_a_400(consumer_api: Client) -> None:
    raw = '{"subject": "Fees", "description": "Charged twice.", "channel": "\\ud800"}'

    response = consumer_api.post(COMPLAINTS_URL, raw, content_type="application/json")

    assert_refused_as_json(response)
    assert not Complaint.objects.exists()


def test_a_field_the_create_endpoint_does_not_take_is_a_400_and_logs_nothing(
    consumer_api: Client, category: Category
) -> None:
    response = post_json(consumer_api, COMPLAINTS_URL, body(category=category.pk))

    assert "category" in assert_refused_as_json(response)["errors"]  # type: ignore[operator]
    assert not Complaint.objects.exists()


@pytest.mark.parametrize("query", ["at_risk=maybe", "breached=2", "at_risk=yes"])
def test_a_yes_no_filter_that_says_neither_is_a_400(agent_api: Client, query: str) -> None:
    assert_refused_as_json(agent_api.get(f"{COMPLAINTS_URL}?{query}"))


@pytest.mark.parametrize(
    "query", ["at_risk=true", "breached=0", "at_risk=", "at_risk=ON", "breached=%20off%20"]
)
def test_a_yes_no_filter_reads_the_api_s_one_yes_no_vocabulary(
    agent_api: Client, query: str
) -> None:
    assert agent_api.get(f"{COMPLAINTS_URL}?{query}").status_code == 200


LONGER_THAN_ANY_MAILBOX = "a" * 245 + "@x.example"  # 255 characters, one past RFC 5321's 254


def test_staff_cannot_log_for_an_address_longer_than_any_mailbox(manager_api: Client) -> None:
    response = post_json(
        manager_api,
        COMPLAINTS_URL,
        body(consumer_email=LONGER_THAN_ANY_MAILBOX, channel="letter"),
    )

    assert "consumer_email" in assert_refused_as_json(response)["errors"]  # type: ignore[operator]
    assert not Complaint.objects.exists()


def test_the_staff_page_refuses_an_invitation_longer_than_any_mailbox(
    admin_client: Client,
) -> None:
    response = admin_client.post(
        "/settings/staff/", {"email": LONGER_THAN_ANY_MAILBOX, "role": "agent"}
    )

    assert response.status_code == 400
    assert not Invitation.objects.exists()
