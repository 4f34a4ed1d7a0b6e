"""The console queue in a real browser: dense columns, sorting, search, saved views and the
dashboard's figures opening the queue they count."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import DESKTOP, PHONE_375, E2EServer, Pages

pytestmark = pytest.mark.browser


# Headers and cells whose words must each stay on one line: a word broken in the middle
# shows as a text node with more line boxes than the text has words.
BROKEN_WORDS = """
() => [...document.querySelectorAll('table.table th, table.table td')].flatMap(cell => {
  const broken = [];
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    for (const match of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      if (range.getClientRects().length > 1) broken.push(match[0]);
    }
  }
  return broken;
})
"""


def test_the_queue_fills_the_screen_and_breaks_no_word(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    agent = signed_in_page("bank", "agent@bank.example", DESKTOP)
    agent.goto(e2e_server.url("bank", "/console/?status=all"))
    expect(agent.get_by_role("heading", name="Queue")).to_be_visible()
    assert agent.evaluate(BROKEN_WORDS) == []
    width = agent.evaluate("() => document.querySelector('table.queue').offsetWidth")
    assert width > 1200
    pages.check(agent, "queue-1280")


@pytest.mark.parametrize(
    ("account", "path"),
    [
        ("admin@bank.example", "/settings/staff/"),
        ("manager@bank.example", "/dashboard/return/"),
    ],
)
def test_other_wide_tables_break_no_word(
    e2e_server: E2EServer,
    signed_in_page: Callable[..., Any],
    pages: Pages,
    account: str,
    path: str,
) -> None:
    page = signed_in_page("bank", account, DESKTOP)
    page.goto(e2e_server.url("bank", path))
    assert page.evaluate(BROKEN_WORDS) == []
    pages.check(page, f"wide-table-{path}")


def test_a_column_header_sorts_the_queue_and_a_second_click_reverses_it(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    agent = signed_in_page("bank", "agent@bank.example", DESKTOP)
    agent.goto(e2e_server.url("bank", "/console/"))
    received = agent.locator("th.sortable").filter(has_text="Received")
    expect(received).to_have_attribute("aria-sort", "ascending")
    received.get_by_role("link").click()
    expect(agent).to_have_url(re.compile(r"sort=-received"))
    received = agent.locator("th.sortable").filter(has_text="Received")
    expect(received).to_have_attribute("aria-sort", "descending")
    deadline = agent.locator("th.sortable").filter(has_text="Next deadline")
    deadline.get_by_role("link").click()
    expect(agent).to_have_url(re.compile(r"sort=due"))
    expect(agent.locator("th.sortable").filter(has_text="Next deadline")).to_have_attribute(
        "aria-sort", "ascending"
    )
    pages.check(agent, "queue-sorted")


def test_a_reference_typed_without_its_prefix_finds_the_complaint(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    agent = signed_in_page("bank", "agent@bank.example", DESKTOP)
    agent.goto(e2e_server.url("bank", "/console/?status=all"))
    reference = agent.locator("table.queue a.row-link").first.inner_text()
    search = agent.get_by_role("searchbox", name="Search")
    search.fill(reference.removeprefix("C-").lower())
    search.press("Enter")
    rows = agent.locator("table.queue a.row-link")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_text(reference)
    pages.check(agent, "queue-search-reference")


def test_an_agent_saves_a_view_with_fewer_columns_and_opens_it_again(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    agent = signed_in_page("bank", "agent@bank.example", DESKTOP)
    agent.goto(e2e_server.url("bank", "/console/?view=unassigned&sort=-received"))
    agent.get_by_text("Save this view").click()
    agent.get_by_label("Name of the view").fill("Newest unassigned")
    agent.get_by_role("checkbox", name="Consumer").uncheck()
    agent.get_by_role("button", name="Save view").click()
    expect(agent.get_by_text("View “Newest unassigned” saved.")).to_be_visible()
    saved = agent.get_by_role("navigation", name="Saved views").get_by_role(
        "link", name=re.compile("Newest unassigned")
    )
    expect(saved).to_have_attribute("aria-current", "page")
    expect(saved.locator(".count")).to_have_text(re.compile(r"^\d+\+? complaints$"))
    expect(agent.locator("table.queue th", has_text="Consumer")).to_have_count(0)
    pages.check(agent, "saved-view-1280")

    agent.goto(e2e_server.url("bank", "/console/"))
    agent.get_by_role("navigation", name="Saved views").get_by_role(
        "link", name=re.compile("Newest unassigned")
    ).click()
    expect(agent).to_have_url(re.compile(r"view=unassigned.*sort=-received.*saved="))
    expect(agent.locator("table.queue th", has_text="Consumer")).to_have_count(0)

    agent.get_by_text("Rename or remove “Newest unassigned”").click()
    agent.get_by_label("New name").fill("Unassigned, newest first")
    agent.get_by_role("button", name="Rename view").click()
    expect(
        agent.get_by_text("View “Newest unassigned” renamed to “Unassigned, newest first”.")
    ).to_be_visible()
    expect(
        agent.get_by_role("navigation", name="Saved views").get_by_role(
            "link", name=re.compile("Unassigned, newest first")
        )
    ).to_have_attribute("aria-current", "page")

    phone = signed_in_page("bank", "agent@bank.example", PHONE_375)
    phone.goto(agent.url)
    assert not phone.evaluate(
        "() => document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )
    pages.check(phone, "saved-view-375")


def test_a_view_saved_after_filtering_in_place_keeps_those_filters_and_errors_follow(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    manager = signed_in_page("bank", "manager@bank.example", DESKTOP)
    manager.goto(e2e_server.url("bank", "/console/"))
    filters = manager.get_by_role("search", name="Filter the queue")
    filters.get_by_label("Priority").select_option("urgent")
    expect(manager).to_have_url(re.compile(r"priority=urgent"))

    manager.get_by_text("Save this view").click()
    manager.get_by_label("Name of the view").fill("Urgent only")
    manager.get_by_role("button", name="Save view").click()
    expect(manager.get_by_text("View “Urgent only” saved.")).to_be_visible()
    expect(manager).to_have_url(re.compile(r"priority=urgent.*saved="))
    filters = manager.get_by_role("search", name="Filter the queue")
    expect(filters.get_by_label("Priority")).to_have_value("urgent")

    filters.get_by_text("More filters").click()
    filters.get_by_label("Received from").fill("2026-03-02")
    filters.get_by_label("Received to").fill("2026-03-01")
    filters.get_by_label("Received to").dispatch_event("change")
    beside = manager.locator("#filter-errors-received_to .error")
    expect(beside).to_have_text("Received to must be on or after Received from.")
    expect(manager.get_by_text("Save this view")).to_have_count(0)  # nothing to save
    pages.check(manager, "queue-filter-error-in-place")

    filters.get_by_label("Received to").fill("2026-03-03")
    filters.get_by_label("Received to").dispatch_event("change")
    expect(beside).to_have_count(0)
    expect(manager.get_by_text(re.compile(r"^Save this view"))).to_be_visible()

    # Back shows the filters the list was filtered by, and the next change keeps them.
    filters.get_by_label("Status").select_option("open")
    expect(manager).to_have_url(re.compile(r"status=open"))
    manager.go_back()
    expect(manager).not_to_have_url(re.compile(r"status=open"))
    expect(filters.get_by_label("Priority")).to_have_value("urgent")
    expect(filters.get_by_label("Received to")).to_have_value("2026-03-03")
    expect(filters.get_by_label("Status")).to_have_value("")

    # A column header's order shows in the Sort box and stays through the next filtering.
    manager.locator("table.queue th a", has_text="Reference").click()
    expect(manager).to_have_url(re.compile(r"sort=reference"))
    expect(filters.get_by_label("Sort")).to_have_value("reference")
    filters.get_by_label("Status").select_option("open")
    expect(manager).to_have_url(re.compile(r"status=open.*sort=reference"))


def test_a_dashboard_figure_opens_the_queue_it_counts(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    manager = signed_in_page("bank", "manager@bank.example", DESKTOP)
    manager.goto(e2e_server.url("bank", "/dashboard/"))
    backlog = manager.locator("section", has=manager.get_by_role("heading", name="Backlog by age"))
    figure = backlog.locator("td a").first
    count = int(figure.inner_text())
    figure.click()
    expect(manager.get_by_role("heading", name="Queue")).to_be_visible()
    expect(manager).to_have_url(re.compile(r"age_min="))
    if count <= 25:
        expect(manager.locator("table.queue a.row-link")).to_have_count(count)
    pages.check(manager, "dashboard-drill-down")
    expect(manager.get_by_role("link", name="Awaiting my approval")).to_be_visible()

    manager.goto(e2e_server.url("bank", "/dashboard/"))
    manager.locator("svg.chart .chart-link").first.click()
    expect(manager.get_by_role("heading", name="Queue")).to_be_visible()


def test_back_after_claiming_shows_the_queue_as_it_is_now(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    agent = signed_in_page("bank", "agent@bank.example", DESKTOP)
    agent.goto(e2e_server.url("bank", "/console/?view=unassigned&sort=-received"))
    first = agent.locator("table.queue a.row-link").first
    reference = first.inner_text()
    first.click()
    agent.get_by_role("button", name="Claim this complaint").click()
    expect(agent.locator("#feedback")).to_contain_text("The complaint is yours.")

    agent.go_back()
    expect(agent).to_have_url(re.compile(r"view=unassigned"))
    expect(agent.locator("table.queue a.row-link", has_text=reference)).to_have_count(0)
    pages.check(agent, "queue-after-back")
