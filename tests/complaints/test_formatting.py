"""Canned responses in Markdown: rendered safely on pages, plain text without Markdown marks
in e-mails and letters."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client

from accounts.models import User
from complaints.formatting import markdown_to_plain, render_markdown
from complaints.models import CannedResponse, Complaint, Event, Outcome, RootCause
from complaints.services import reply_to_complaint, resolve_complaint
from tenancy.models import Tenant
from tests.conftest import deliver_outbox

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_markdown_gives_emphasis_lists_and_links() -> None:
    html = render_markdown(
        "**Refunded** in *two days*:\n\n- first\n- second\n\n1. one\n\n[our site](https://x.example)"
    )

    assert "<strong>Refunded</strong>" in html
    assert "<em>two days</em>" in html
    assert "<ul>\n<li>first</li>" in html
    assert "<ol>\n<li>one</li>" in html
    assert '<a href="https://x.example" rel="noopener noreferrer nofollow">our site</a>' in html


def test_a_single_line_break_stays_a_line_break_as_in_the_email() -> None:
    assert (
        render_markdown("Alex Agent\nNorthwind Bank") == "<p>Alex Agent<br>\nNorthwind Bank</p>\n"
    )


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](  javascript:alert(1))",
        "[click](vbscript:msgbox(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        '<p onclick="alert(1)">x</p>',
        "<iframe src=https://evil.example></iframe>",
        '[x](https://ok.example "title" onmouseover=alert(1))',
        "<svg onload=alert(1)>",
        "![x](https://tracker.example/pixel.png)",
        "<style>body{display:none}</style>",
    ],
)
def test_markdown_never_lets_script_handlers_or_foreign_content_through(text: str) -> None:
    elements = ElementsFound()
    elements.feed(render_markdown(text))

    assert {tag for tag, _ in elements.found} <= {"p", "a", "br"}, elements.found
    for _tag, attributes in elements.found:
        assert not [name for name in attributes if name.startswith("on")], attributes
        href = attributes.get("href")
        assert href is None or href.startswith("https://"), href


class ElementsFound(HTMLParser):
    """Every element of a piece of HTML, with its attributes, as a browser would parse it."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def test_html_written_in_a_canned_response_is_shown_as_text(bank: Tenant) -> None:
    assert render_markdown("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>\n"


def test_headings_stay_text_so_the_page_outline_is_kept() -> None:
    assert render_markdown("# Dear customer") == "<p># Dear customer</p>\n"


def test_the_preview_shows_the_text_formatted_and_filled_in(manager_client: Client) -> None:
    response = manager_client.post(
        "/console/canned-responses/",
        {
            "title": "Sorry",
            "body": "Dear {consumer_name}, **sorry** <script>x()</script>",
            "preview": "1",
        },
        **HTMX,
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="canned-preview"')
    assert "Dear Jane Example, <strong>sorry</strong> &lt;script&gt;" in page
    assert "<script>" not in page
    assert not CannedResponse.objects.exists()


def test_the_preview_says_why_a_placeholder_cannot_be_filled(manager_client: Client) -> None:
    response = manager_client.post(
        "/console/canned-responses/",
        {"title": "Sorry", "body": "Dear {consumer_name}, see {bogus}.", "preview": "1"},
        **HTMX,
    )

    page = response.content.decode()
    assert '<p class="error" role="alert">' in page
    assert "bogus" in page.split('role="alert">', 1)[1].split("</p>", 1)[0]
    assert not CannedResponse.objects.exists()


def test_the_preview_without_javascript_shows_the_whole_page_and_saves_nothing(
    manager_client: Client,
) -> None:
    canned = CannedResponse.objects.create(title="Sorry", body="Old")

    response = manager_client.post(
        f"/console/canned-responses/{canned.pk}/",
        {"title": "Sorry", "body": "*New*", "preview": "1"},
    )

    page = response.content.decode()
    assert "<em>New</em>" in page
    assert 'name="title"' in page
    canned.refresh_from_db()
    assert canned.body == "Old"


def test_the_edit_page_previews_the_stored_text(manager_client: Client) -> None:
    canned = CannedResponse.objects.create(title="Sorry", body="- one\n- two")

    page = manager_client.get(f"/console/canned-responses/{canned.pk}/").content.decode()

    assert "<li>one</li>" in page


def test_a_staff_reply_is_formatted_on_the_page_and_mailed_as_plain_text(
    bank: Tenant, agent: User, complaint: Complaint, consumer_client: Client
) -> None:
    reply_to_complaint(complaint, "We have **refunded** you.\n\n- £25", actor=agent)

    page = consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()
    (mail,) = [m for m in deliver_outbox(bank) if "refunded" in m.body]

    assert "We have <strong>refunded</strong> you." in page
    assert "<li>£25</li>" in page
    assert "We have refunded you.\n\n- £25" in mail.body
    assert "**" not in mail.body
    assert Event.objects.filter(body__contains="**refunded**").exists()


def test_markdown_becomes_plain_text_without_its_marks() -> None:
    text = (
        "Dear Jo,\n\nWe have **refunded the full amount**; within *two working days*.\n\n"
        "1. blocked your card;\n2. opened a claim.\n\n- one\n- two\n\n"
        "See [our page](https://x.example/a) or <https://y.example>.\nAlex Agent"
    )

    assert markdown_to_plain(text) == (
        "Dear Jo,\n\nWe have refunded the full amount; within two working days.\n\n"
        "1. blocked your card;\n2. opened a claim.\n\n- one\n- two\n\n"
        "See our page (https://x.example/a) or https://y.example.\nAlex Agent"
    )


def test_a_resolution_summary_from_a_canned_response_is_formatted_on_pages_and_plain_in_the_letter(
    bank: Tenant,
    manager: User,
    complaint: Complaint,
    consumer_client: Client,
    agent_client: Client,
) -> None:
    cause = RootCause.objects.create(name="Processing error")
    resolve_complaint(
        complaint,
        outcome=Outcome.UPHELD,
        summary="We have **refunded the full amount** to your account.",
        root_cause=cause,
        actor=manager,
    )

    portal = consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()
    console = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()
    letters = complaint.events.filter(kind=Event.Kind.LETTER)
    mails = deliver_outbox(bank)

    for page in (portal, console):
        assert "<strong>refunded the full amount</strong>" in page
        assert "**refunded" not in page
    assert letters.exists()
    for letter in letters:
        assert "**" not in letter.body
    assert any("refunded the full amount to your account" in mail.body for mail in mails)
    assert not any("**" in mail.body for mail in mails)


def test_a_consumers_own_words_are_never_read_as_markdown(
    bank: Tenant, complaint: Complaint, consumer: User, consumer_client: Client
) -> None:
    reply_to_complaint(complaint, "It was **not** my card", actor=consumer)

    page = consumer_client.get(f"/complaints/{complaint.reference}/").content.decode()

    assert "It was **not** my card" in page
