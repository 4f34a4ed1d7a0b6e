"""Letter wording checked against the regulator's rules, and the searchable audit log."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from django.test import Client

from audit.models import AuditEvent
from audit.services import record_event
from complaints.letters import default_letter
from complaints.models import LetterKind, LetterTemplate

FINAL = "/settings/letters/final_response/"


def test_letters_page_shows_default_and_own_wording(admin_client: Client) -> None:
    LetterTemplate.objects.create(
        kind=LetterKind.ACKNOWLEDGEMENT, subject="Got it {reference}", body="x"
    )

    page = admin_client.get("/settings/letters/").content.decode()

    assert "Got it {reference}" in page
    assert default_letter("uk_fca", LetterKind.FINAL_RESPONSE)[0] in page


def test_edit_page_shows_placeholders_and_a_sample_preview(admin_client: Client) -> None:
    page = admin_client.get(FINAL).content.decode()

    assert "{consumer_name}" in page and "{fos_website}" in page
    assert "Jane Example" in page


def test_admin_saves_compliant_wording_and_it_is_audited(admin_client: Client) -> None:
    subject, body = default_letter("uk_fca", LetterKind.FINAL_RESPONSE)
    body = "Hello {consumer_name}.\n\n" + body

    response = admin_client.post(FINAL, {"subject": subject, "body": body})

    assert response.status_code == 302
    assert LetterTemplate.objects.get(kind=LetterKind.FINAL_RESPONSE).body == body
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LETTER_TEMPLATE_SAVED).exists()


@pytest.mark.parametrize(
    ("subject", "body", "message"),
    [
        (
            "Final {reference}",
            "Dear {consumer_name}, your complaint {reference} is {outcome}.",
            "must mention",
        ),
        (
            "Final {reference}",
            "Dear {customer}, see {reference}",
            "Unknown placeholder {customer}. Use {consumer_name}, {reference}, {subject}",
        ),
        (
            "Final {Reference}",
            "{reference}",
            "Unknown placeholder {Reference}. Use {consumer_name}",
        ),
        ("", "body", "This field is required"),
    ],
)
def test_wording_missing_required_content_or_with_unknown_placeholders_is_refused(
    admin_client: Client, subject: str, body: str, message: str
) -> None:
    response = admin_client.post(FINAL, {"subject": subject, "body": body})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not LetterTemplate.objects.exists()


def test_preview_does_not_save_and_htmx_gets_only_the_preview(admin_client: Client) -> None:
    response = admin_client.post(
        FINAL,
        {"subject": "S {reference}", "body": "Dear {consumer_name}", "preview": "1"},
        HTTP_HX_REQUEST="true",
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="preview"')
    assert "must mention" in page
    assert not LetterTemplate.objects.exists()


def test_reset_to_default_deletes_the_own_wording(admin_client: Client) -> None:
    LetterTemplate.objects.create(kind=LetterKind.FINAL_RESPONSE, subject="S", body="B")

    admin_client.post(f"{FINAL}reset/")

    assert not LetterTemplate.objects.exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.LETTER_TEMPLATE_RESET).exists()


def test_an_unknown_letter_kind_is_not_found(admin_client: Client) -> None:
    assert admin_client.get("/settings/letters/love_letter/").status_code == 404


@pytest.fixture
def events(bank: object) -> None:
    record_event(
        AuditEvent.Action.ROLE_CHANGED, actor_email="root@example.com", target="alex@example.com"
    )
    record_event(
        AuditEvent.Action.CATEGORY_SAVED, actor_email="avery@example.com", target="Mortgages"
    )
    record_event(AuditEvent.Action.SIGN_IN_FAILED, actor_email="=cmd|calc", target="=SUM(A1)")


def test_audit_log_filters_by_action_actor_and_target(admin_client: Client, events: None) -> None:
    by_action = admin_client.get("/settings/audit/", {"action": "role_changed"}).content.decode()
    by_actor = admin_client.get("/settings/audit/", {"actor": "AVERY@"}).content.decode()
    by_target = admin_client.get("/settings/audit/", {"target": "mortg"}).content.decode()

    assert "root@example.com" in by_action and "Mortgages" not in by_action
    assert "Mortgages" in by_actor and "root@example.com" not in by_actor
    assert "Mortgages" in by_target and "alex@example.com" not in by_target


def test_audit_log_date_range(admin_client: Client, events: None) -> None:
    future = admin_client.get("/settings/audit/", {"since": "2099-01-01"}).content.decode()
    backwards = admin_client.get("/settings/audit/", {"since": "2027-01-02", "until": "2027-01-01"})

    assert "No events match." in future
    assert "before the start date" in backwards.content.decode()


@pytest.mark.parametrize(
    "params",
    [{"since": "2027-01-02", "until": "2027-01-01"}, {"since": "2026-02-30"}, {"action": "x"}],
)
def test_a_wrong_audit_filter_lists_and_exports_nothing(
    admin_client: Client, events: None, params: dict[str, str]
) -> None:
    page = admin_client.get("/settings/audit/", params).content.decode()
    export = admin_client.get("/settings/audit/export.csv", params)

    assert "Nothing listed: correct the filters." in page
    assert "root@example.com" not in page
    assert b"root@example.com" not in b"".join(export.streaming_content)


def test_audit_log_pages_newest_first_by_keyset(admin_client: Client, bank: object) -> None:
    for number in range(60):
        record_event(
            AuditEvent.Action.CATEGORY_SAVED,
            actor_email="a@example.com",
            target=f"cat-{number:02d}",
        )

    first = admin_client.get("/settings/audit/", {"action": "category_saved"})
    page = first.context["page"]
    assert [row.target for row in page.rows[:2]] == ["cat-59", "cat-58"]
    assert page.next_cursor
    second = admin_client.get(
        "/settings/audit/",
        {"action": "category_saved", "after": page.next_cursor},
        HTTP_HX_REQUEST="true",
    )
    rest = second.content.decode()
    assert "cat-09" in rest and "cat-00" in rest and "cat-10" not in rest
    assert "<html" not in second.content.decode()


def test_audit_log_queries_are_bounded_and_never_offset_or_count(
    admin_client: Client, bank: object, django_assert_max_num_queries: Callable
) -> None:
    for number in range(120):
        record_event(AuditEvent.Action.SIGNED_IN, actor_email=f"u{number}@example.com")

    # 9: the console header's unread-notification count, read once here, cached afterwards.
    with django_assert_max_num_queries(9) as queries:
        assert admin_client.get("/settings/audit/").status_code == 200
    sql = " ".join(
        query["sql"] for query in queries.captured_queries if "audit_auditevent" in query["sql"]
    )
    assert "OFFSET" not in sql.upper() and "COUNT(" not in sql.upper()


def test_csv_export_streams_the_filtered_events_safely(admin_client: Client, events: None) -> None:
    response = admin_client.get("/settings/audit/export.csv", {"action": "sign_in_failed"})

    assert response.streaming
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["time", "action", "actor", "ip_address", "target", "detail"]
    assert len(rows) == 2
    assert rows[1][2] == "'=cmd|calc" and rows[1][4] == "'=SUM(A1)"


def test_settings_changes_record_who_and_from_where(admin_client: Client) -> None:
    admin_client.post(
        "/settings/security/", {"frontline_two_factor_required": "no"}, REMOTE_ADDR="203.0.113.9"
    )

    page = admin_client.get("/settings/audit/").content.decode()
    assert (
        "203.0.113.9" in page
        and "avery@example.com" in page
        and "Two-factor policy changed" in page
    )
