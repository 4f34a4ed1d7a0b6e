"""Staff journeys in a tenant's console, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import (
    E2EServer,
    Pages,
    document_was_kept,
    form_with_button,
    mark_document,
    open_fold,
    submit_complaint,
)

pytestmark = pytest.mark.browser


def test_agent_works_a_complaint_to_resolution_and_the_consumer_accepts(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    consumer = signed_in_page("bank", "consumer@bank.example")
    consumer.goto(e2e_server.url("bank", "/complaints/new/"))
    reference = submit_complaint(consumer, "Direct debit collected early")

    agent = signed_in_page("bank", "agent@bank.example")
    agent.goto(e2e_server.url("bank", "/console/"))
    expect(agent.get_by_role("heading", name="Queue")).to_be_visible()
    pages.check(agent, "agent-queue")
    link = agent.get_by_role("link", name=reference)
    if link.count():
        link.first.click()
    else:  # not on the queue's first page
        agent.goto(e2e_server.url("bank", f"/console/complaints/{reference}/"))
    expect(agent.get_by_role("heading", name="Direct debit collected early")).to_be_visible()
    pages.check(agent, "agent-complaint")
    mark_document(agent)

    agent.get_by_role("button", name="Claim this complaint").click()
    expect(agent.get_by_text("The complaint is yours.")).to_be_visible()
    expect(agent.locator("#workspace")).to_contain_text("Alex Agent")

    note = "Checked the mandate: the collection date was wrong."
    note_form = form_with_button(agent, "Add note")
    note_form.get_by_label("Message").fill(note)
    note_form.get_by_role("button", name="Add note").click()
    timeline = agent.get_by_role("list", name="Timeline")
    expect(timeline.get_by_role("listitem").filter(has_text=note)).to_contain_text("Internal")

    reply = "We are sorry: we collected the payment too early and are putting it right."
    reply_form = form_with_button(agent, "Send reply")
    reply_form.get_by_label("Message").fill(reply)
    reply_form.get_by_role("button", name="Send reply").click()
    expect(timeline).to_contain_text(reply)

    priority_form = open_fold(agent, "Priority")
    priority_form.get_by_label("Priority").select_option(label="High")
    priority_form.get_by_role("button", name="Change priority").click()
    expect(agent.get_by_text("Priority changed.")).to_be_visible()
    expect(timeline).to_contain_text(re.compile(r"Priority.*High", re.I))

    summary = "We collected the direct debit early by mistake and refunded the charges."
    resolve_form = open_fold(agent, "Resolve")
    resolve_form.get_by_label("Outcome").select_option(label="Upheld")
    resolve_form.get_by_label("Root cause").select_option(label="Staff error")
    resolve_form.get_by_label("Redress").fill("15.00")
    resolve_form.get_by_label("Currency").fill("GBP")
    resolve_form.get_by_label("Resolution summary for the consumer").fill(summary)
    pages.check(agent, "agent-resolve-form", screenshot=False)
    resolve_form.get_by_role("button", name="Send resolution").click()
    expect(agent.get_by_text("Resolution sent to the consumer.")).to_be_visible()
    expect(agent.locator("#workspace")).to_contain_text("Resolved")
    assert document_was_kept(agent), "a console action reloaded the whole page instead of htmx"
    pages.check(agent, "agent-resolved")

    consumer.reload()
    expect(consumer.locator("#workspace")).to_contain_text(summary)
    expect(consumer.locator("#workspace")).to_contain_text(reply)
    expect(consumer.locator("#workspace")).not_to_contain_text(note)
    pages.check(consumer, "consumer-sees-resolution")
    consumer.get_by_role("button", name=re.compile(r"^Accept", re.I)).click()
    expect(consumer.get_by_text("Thank you. Your complaint is closed.")).to_be_visible()
    expect(consumer.get_by_role("button", name=re.compile(r"^Accept", re.I))).to_have_count(0)
    pages.check(consumer, "consumer-accepted")


def test_manager_queue_shows_every_team(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    manager = signed_in_page("bank", "manager@bank.example")
    manager.goto(e2e_server.url("bank", "/console/"))
    expect(manager.get_by_role("link", name="All teams")).to_be_visible()
    main = manager.locator("main")
    expect(main).to_contain_text("Front line")
    expect(main).to_contain_text("Lending")
    pages.check(manager, "manager-queue")


def open_if_built(page: Any, url: str) -> None:
    response = page.goto(url)
    if response is not None and response.status == 404:
        pytest.skip(f"{url} answers 404: the page is not built yet")
    assert response is not None and response.ok, f"{url} answered {response and response.status}"


def test_manager_dashboard(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    manager = signed_in_page("bank", "manager@bank.example")
    open_if_built(manager, e2e_server.url("bank", "/dashboard/"))
    expect(manager.get_by_role("heading", level=1)).to_be_visible()
    pages.check(manager, "manager-dashboard")


def test_admin_signs_in_and_opens_settings(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    admin = signed_in_page("bank", "admin@bank.example")
    expect(admin.get_by_role("button", name="Sign out")).to_be_visible()
    pages.check(admin, "admin-home")
    open_if_built(admin, e2e_server.url("bank", "/settings/"))
    expect(admin.get_by_role("heading", level=1)).to_be_visible()
    pages.check(admin, "admin-settings")


def test_a_category_added_twice_is_refused_beside_its_form_on_an_address_that_reloads(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    admin = signed_in_page("bank", "admin@bank.example")
    admin.goto(e2e_server.url("bank", "/settings/categories/"))
    nav = admin.get_by_role("navigation", name="Settings")
    expect(nav.get_by_role("link", name="Categories")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Canned responses")).to_be_visible()
    form = admin.locator("form", has=admin.get_by_role("button", name="Add category"))
    form.get_by_label("Name").fill("Current account")
    form.get_by_role("button", name="Add category").click()

    errors = admin.locator("form .form-errors")
    expect(errors).to_contain_text("already")
    expect(errors).to_be_focused()
    expect(errors).to_be_in_viewport()
    pages.check(admin, "category-added-twice")
    response = admin.goto(admin.url)  # the address the form was sent to, fetched again
    assert response is not None and response.status == 200
    expect(admin.get_by_role("heading", level=1)).to_have_text("Categories")
