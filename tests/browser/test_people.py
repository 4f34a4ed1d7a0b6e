"""People in the product, in a real browser: the consumer's name and details, the customer
behind a complaint, and the staff's notifications. Each page is checked at 1280 and 375 px."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    DESKTOP,
    PHONE_375,
    E2EServer,
    Pages,
    form_with_button,
    has_horizontal_scroll,
    open_fold,
)

pytestmark = pytest.mark.browser


def check_both_widths(
    signed_in_page: Callable[..., Any], pages: Pages, slug: str, email: str, url: str, label: str
) -> None:
    """Open ``url`` at 1280 and 375 px: axe, a screenshot each, no sideways scrolling."""
    for name, viewport in (("1280", DESKTOP), ("375", PHONE_375)):
        page = signed_in_page(slug, email, viewport)
        page.goto(url)
        pages.check(page, f"{label}-{name}")
        assert not has_horizontal_scroll(page), f"{label} scrolls sideways at {name} px"


def test_consumer_keeps_their_name_and_needs_on_the_account_page(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    page = signed_in_page("bank", "jordan@bank.example", PHONE_375)
    page.goto(e2e_server.url("bank", "/account/"))
    page.get_by_label("Name").fill("Jordan  Example ")
    page.get_by_label("How should we contact you?").select_option(label="Phone")
    page.get_by_role("button", name="Save my details").click()
    expect(page.get_by_role("alert")).to_contain_text("Phone number")
    expect(
        page.get_by_text("Give a phone number to be contacted by phone.", exact=True)
    ).to_be_visible()
    pages.check(page, "account-error-375")

    page.get_by_label("Phone number").fill("020 7946 0018")
    page.get_by_label("Accessibility or other needs").fill("Large print letters, please.")
    page.get_by_role("button", name="Save my details").click()
    expect(page.get_by_text("Your details are saved.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_value("Jordan Example")
    expect(page.locator("header")).to_contain_text("Jordan Example")
    check_both_widths(
        signed_in_page,
        pages,
        "bank",
        "jordan@bank.example",
        e2e_server.url("bank", "/account/"),
        "account",
    )


def open_first(page: Any, server: E2EServer, query: str = "") -> str:
    """Open the first complaint of the console queue (with ``query``); returns its reference."""
    page.goto(server.url("bank", f"/console/{query}"))
    link = page.locator("a.row-link").first
    reference = link.inner_text().strip()
    link.click()
    expect(page.locator("#workspace")).to_be_visible()
    return reference


def test_agent_reads_the_customer_behind_a_complaint_and_keeps_a_note(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    agent = signed_in_page("bank", "agent@bank.example")
    reference = open_first(agent, e2e_server)
    pages.check(agent, "complaint-with-customer-1280")
    consumer_link = agent.locator("#workspace aside .details dd a").first
    consumer_link.click()
    expect(agent).to_have_url(re.compile(r"/console/customers/\d+/$"))
    expect(agent.get_by_role("link", name=reference)).to_be_visible()

    note = "Asked us to call after 5pm; hard of hearing, speak clearly."
    note_form = form_with_button(agent, "Add note")
    note_form.get_by_label(re.compile("Note about this customer")).fill(note)
    note_form.get_by_role("button", name="Add note").click()
    expect(agent.get_by_text("Note added.")).to_be_visible()
    expect(agent.locator(".customer-notes")).to_contain_text(note)
    check_both_widths(signed_in_page, pages, "bank", "agent@bank.example", agent.url, "customer")

    # The consumer sees nothing of it.
    consumer = signed_in_page("bank", "consumer@bank.example")
    consumer.goto(e2e_server.url("bank", "/account/"))
    expect(consumer.locator("main")).not_to_contain_text("hard of hearing")


def test_agent_is_notified_of_an_assignment_and_marks_it_read(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    manager = signed_in_page("bank", "manager@bank.example")
    reference = open_first(manager, e2e_server, "?view=unassigned")
    assign = open_fold(manager, "Assign")
    alex = assign.locator("option", has_text="Alex").first.get_attribute("value")
    assign.get_by_label("Assignee").select_option(value=alex)
    assign.get_by_role("button", name="Assign").click()
    expect(manager.get_by_text("Assignment updated.")).to_be_visible()

    agent = signed_in_page("bank", "agent@bank.example")
    agent.goto(e2e_server.url("bank", "/console/"))
    badge = agent.locator("#notification-badge")
    expect(badge.locator(".count-badge")).to_be_visible(timeout=15_000)
    badge.click()
    expect(agent.get_by_role("heading", name="Notifications")).to_be_visible()
    expect(
        agent.get_by_role("link", name=re.compile(f"{reference} is assigned to you"))
    ).to_be_visible()
    check_both_widths(
        signed_in_page,
        pages,
        "bank",
        "agent@bank.example",
        e2e_server.url("bank", "/console/notifications/"),
        "notifications",
    )

    agent.get_by_role("button", name="Mark all as read").click()
    expect(agent.get_by_text("Nothing unread.")).to_be_visible()
    # The header's count follows without a reload (htmx event from the response).
    expect(agent.locator("#notification-badge .count-badge")).to_have_count(0)
    agent.get_by_role("link", name=re.compile(f"{reference} is assigned to you")).click()
    expect(agent).to_have_url(re.compile(f"/console/complaints/{reference}/$"))
