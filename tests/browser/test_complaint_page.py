"""The console complaint page over a working day, in a real browser: a reply typed as the
session expires survives sign-in and the second factor, confirmations appear (and are read
out) beside the form, a double click sends once, long threads fold."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from operations.management.commands.seed_demo import DEMO_PASSWORD
from tests.browser.support import (
    PHONE_375,
    E2EServer,
    Pages,
    form_with_button,
    fresh_demo_code,
    has_horizontal_scroll,
    new_complaint,
    open_fold,
)

pytestmark = pytest.mark.browser

AGENT = "agent@bank.example"


def agent_on(
    e2e_server: E2EServer,
    signed_in_page: Callable[..., Any],
    reference: str,
    viewport: dict[str, int] | None = None,
) -> Any:
    """The demo agent, signed in, on the console page of complaint ``reference``."""
    agent = signed_in_page("bank", AGENT, viewport)
    agent.goto(e2e_server.url("bank", f"/console/complaints/{reference}/"))
    return agent


def test_reply_typed_as_the_session_expires_is_back_after_sign_in_and_the_second_factor(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    reference = new_complaint(e2e_server, signed_in_page, "Standing order paid twice")
    agent = agent_on(e2e_server, signed_in_page, reference)
    complaint_url = agent.url
    text = "We have stopped the second standing order and will refund it today."
    reply_form = form_with_button(agent, "Send reply")
    box = reply_form.get_by_label("Message")
    with agent.expect_response(re.compile(r"/draft/reply/$")):
        box.fill("We have stopped")  # saved as a draft while the session lasts

    agent.context.clear_cookies(name="sessionid")  # the session expires while typing
    box.fill(text)
    reply_form.get_by_role("button", name="Send reply").click()

    expect(agent).to_have_url(re.compile(r"/accounts/login/\?next=%2Fconsole%2Fcomplaints%2F"))
    agent.get_by_label("Email").fill(AGENT)
    agent.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    agent.get_by_role("button", name=re.compile(r"^sign in$", re.IGNORECASE)).click()
    expect(agent).to_have_url(re.compile(r"/account/two-factor/"))
    agent.get_by_label("Code").fill(fresh_demo_code(f"bank:{AGENT}"))
    agent.get_by_role("button", name="Verify").click()

    expect(agent).to_have_url(complaint_url)
    expect(form_with_button(agent, "Send reply").get_by_label("Message")).to_have_value(text)
    pages.check(agent, "reply-restored-after-sign-in")

    form_with_button(agent, "Send reply").get_by_role("button", name="Send reply").click()
    expect(agent.get_by_role("list", name="Timeline")).to_contain_text(text)
    agent.reload()
    expect(form_with_button(agent, "Send reply").get_by_label("Message")).to_have_value("")


def test_priority_change_is_confirmed_beside_its_form_with_the_focus_on_the_message(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    reference = new_complaint(e2e_server, signed_in_page, "Card declined abroad")
    agent = agent_on(e2e_server, signed_in_page, reference)

    priority_form = open_fold(agent, "Priority")
    priority_form.get_by_label("Priority").select_option(label="High")
    priority_form.get_by_role("button", name="Change priority").click()

    feedback = agent.locator("#feedback")
    expect(feedback).to_have_text("Priority changed.")
    expect(feedback).to_be_focused()
    expect(feedback).to_have_attribute("role", "status")
    expect(feedback).to_be_in_viewport()
    # It sits right after the priority section, in the actions column.
    assert feedback.evaluate(
        "el => !!el.previousElementSibling"
        " && el.previousElementSibling.matches('details[data-action$=\"/priority/\"]')"
    )
    pages.check(agent, "priority-confirmed")


def test_double_clicked_reply_is_sent_once(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    reference = new_complaint(e2e_server, signed_in_page, "Overdraft fee charged in error")
    agent = agent_on(e2e_server, signed_in_page, reference)
    text = "We are looking into the overdraft fee now."

    reply_form = form_with_button(agent, "Send reply")
    reply_form.get_by_label("Message").fill(text)
    reply_form.get_by_role("button", name="Send reply").dblclick()

    timeline = agent.get_by_role("list", name="Timeline")
    expect(timeline).to_contain_text(text)
    agent.reload()
    expect(agent.get_by_role("list", name="Timeline").get_by_text(text)).to_have_count(1)


def test_complaint_page_at_desktop_and_phone_widths(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    reference = new_complaint(e2e_server, signed_in_page, "Mortgage statement missing")
    for label, viewport in (("1280", None), ("375", PHONE_375)):
        agent = agent_on(e2e_server, signed_in_page, reference, viewport)
        expect(agent.get_by_role("link", name=re.compile("Jump to the reply box"))).to_be_visible()
        assert not has_horizontal_scroll(agent)
        pages.check(agent, f"complaint-page-{label}")

        resolve_form = open_fold(agent, "Resolve")
        resolve_form.get_by_label("Outcome").select_option(label="Upheld")
        resolve_form.get_by_label("Resolution summary for the consumer").fill(
            "We found the statement and sent it again."
        )
        # The preview button disables itself while its letter loads (htmx says in the console
        # when the element to disable is not found).
        console_errors: list[str] = []
        agent.on(
            "console",
            lambda m, seen=console_errors: seen.append(m.text) if m.type == "error" else None,
        )
        resolve_form.get_by_role("button", name="Preview the letter").click()
        preview = agent.get_by_role("region", name=re.compile("Preview of the"))
        expect(preview).to_contain_text("We found the statement and sent it again.")
        assert console_errors == []
        expect(preview.locator("mark").first).to_be_visible()
        pages.check(agent, f"letter-preview-{label}")


def test_send_and_resolve_from_the_reply_box(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    reference = new_complaint(e2e_server, signed_in_page, "Card declined abroad")
    agent = agent_on(e2e_server, signed_in_page, reference)
    text = "Your card works abroad again; we refunded the fee."

    reply_form = form_with_button(agent, "Send reply")
    reply_form.get_by_label("Message").fill(text)
    reply_form.get_by_text("Send and resolve…").click()
    reply_form.get_by_label("Outcome").select_option(label="Upheld")
    reply_form.get_by_label("Root cause").select_option(index=1)
    reply_form.get_by_label("Redress").fill("15.00")
    pages.check(agent, "send-and-resolve-open")
    reply_form.get_by_role("button", name="Send and resolve").click()

    expect(agent.get_by_text("Your reply was sent and the complaint is resolved")).to_be_visible()
    timeline = agent.get_by_role("list", name="Timeline")
    expect(timeline).to_contain_text(text)
    expect(timeline).to_contain_text("Resolved")
    pages.check(agent, "send-and-resolve-done")


def test_a_fold_that_cannot_load_says_why(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any]
) -> None:
    reference = new_complaint(e2e_server, signed_in_page, "Cheque not credited")
    agent = agent_on(e2e_server, signed_in_page, reference)
    manager = signed_in_page("bank", "manager@bank.example")
    manager.goto(e2e_server.url("bank", f"/console/complaints/{reference}/"))
    move = open_fold(manager, "Move to another queue")
    move.get_by_label("Team").select_option(label="Lending")
    move.get_by_role("button", name="Move").click()
    expect(manager.get_by_text("Moved to another queue.")).to_be_visible()

    # The agent's page still shows the complaint, which is now in another team's queue.
    agent.locator("details > summary", has_text="Category").click()

    alert = agent.locator("details[data-action$='/category/'] .fold-error")
    expect(alert).to_have_text(
        "This complaint is no longer in your queues. Reload the page to see where it is."
    )
    expect(alert).to_have_attribute("role", "alert")
