"""Consumer journeys in the portal, in a real browser."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    PHONE,
    E2EServer,
    Pages,
    document_was_kept,
    form_with_button,
    has_horizontal_scroll,
    mark_document,
    open_complaint_taking_replies,
    png_bytes,
    sign_in,
    submit_complaint,
)

pytestmark = pytest.mark.browser


def test_consumer_follows_replies_submits_and_withdraws(
    e2e_server: E2EServer, page: Any, pages: Pages
) -> None:
    sign_in(page, e2e_server, "bank", "consumer@bank.example", pages)
    expect(page.get_by_role("heading", name="My complaints")).to_be_visible()
    pages.check(page, "my-complaints")

    # Open a complaint that is still being worked and reply without leaving the page.
    open_complaint_taking_replies(page)
    expect(page.locator("#workspace")).to_be_visible()
    pages.check(page, "complaint")
    mark_document(page)
    reply = "I still see both payments on my statement today."
    reply_form = form_with_button(page, "Send reply")
    reply_form.get_by_label("Message").fill(reply)
    reply_form.get_by_role("button", name="Send reply").click()
    expect(page.get_by_role("list", name="Timeline")).to_contain_text(reply)
    expect(page.get_by_text("Your reply was sent.")).to_be_visible()
    assert document_was_kept(page), "sending a reply reloaded the whole page instead of htmx"
    pages.check(page, "complaint-after-reply", screenshot=False)

    # A new complaint with an attachment is acknowledged on its timeline straight away.
    page.goto(e2e_server.url("bank", "/complaints/new/"))
    pages.check(page, "new-complaint")
    reference = submit_complaint(page, "Cash machine kept my card", png_bytes())
    timeline = page.get_by_role("list", name="Timeline")
    expect(timeline.get_by_role("link", name="statement.png")).to_be_visible()
    expect(timeline).to_contain_text(re.compile(rf"received your complaint {reference}", re.I))
    pages.check(page, "new-complaint-acknowledged")

    # The consumer withdraws it.
    page.get_by_role("button", name="Withdraw my complaint").click()
    expect(page.locator("#workspace")).to_contain_text(re.compile("withdrawn|you withdrew", re.I))
    expect(page.get_by_role("button", name="Withdraw my complaint")).to_have_count(0)
    expect(page.get_by_role("button", name="Send reply")).to_have_count(0)
    pages.check(page, "withdrawn", screenshot=False)

    # On a phone nothing scrolls sideways.
    page.set_viewport_size(PHONE)
    page.reload()
    assert not has_horizontal_scroll(page), "the complaint page scrolls sideways on a phone"
    pages.screenshot(page, "phone-complaint")
    page.goto(e2e_server.url("bank", "/complaints/"))
    assert not has_horizontal_scroll(page), "the complaint list scrolls sideways on a phone"
    pages.check(page, "phone-my-complaints")


def test_consumer_signs_up_confirms_and_lands_signed_in(
    e2e_server: E2EServer, page: Any, pages: Pages
) -> None:
    email = f"dana.{int(time.time())}@example.com"
    page.goto(e2e_server.url("telco", "/accounts/signup/"))
    pages.check(page, "sign-up")
    page.get_by_label("Your name").fill("Dana Example")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("Blue-harbour-lantern-42")
    page.get_by_label("Password (again)").fill("Blue-harbour-lantern-42")
    page.get_by_role("button", name=re.compile(r"^sign up$", re.I)).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile("verify", re.I))
    pages.check(page, "verify-email-sent")

    link = wait_for_confirmation_link(e2e_server, email)
    page.goto(link)
    pages.check(page, "confirm-email")
    page.get_by_role("button", name=re.compile(r"^confirm$", re.I)).click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("heading", name="My complaints")).to_be_visible()
    expect(page.locator("header")).to_contain_text("Dana Example")


def wait_for_confirmation_link(server: E2EServer, email: str) -> str:
    """The confirmation link from the e-mail the server printed (console e-mail backend)."""
    pattern = re.compile(r"http://telco\.localhost:\d+/accounts/confirm-email/[^\s/]+/")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        output = server.output()
        start = output.rfind(f"To: {email}")
        if start != -1 and (found := pattern.search(output, start)):
            return found.group()
        time.sleep(0.2)
    raise AssertionError(f"no confirmation e-mail to {email} in the server output")


def test_consumer_sees_where_they_are_signed_in_and_signs_out_everywhere(
    e2e_server: E2EServer, page: Any, pages: Pages
) -> None:
    sign_in(page, e2e_server, "bank", "priya@bank.example", pages)
    page.get_by_role("link", name="Sessions and devices").click()
    expect(page.get_by_role("heading", name="Sessions and devices")).to_be_visible()
    expect(page.get_by_text("(this browser)")).to_be_visible()
    pages.check(page, "sessions-and-devices")

    page.get_by_role("button", name="Sign out everywhere").click()

    page.goto(e2e_server.url("bank", "/complaints/"))
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
