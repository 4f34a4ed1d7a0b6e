"""The platform operator's console on the bare domain, in a real browser.

This module suspends a tenant, so it runs last in the package (modules run in name order).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import E2EServer, Pages

pytestmark = pytest.mark.browser


def test_operator_lists_creates_suspends_and_resumes_tenants(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    operator = signed_in_page(None, "operator@example.com")
    operator.goto(e2e_server.url(None, "/"))
    expect(operator.get_by_role("heading", name="Tenants")).to_be_visible()
    for name in ("Northwind Bank", "Contoso Telecom", "Fabrikam Air"):
        expect(operator.locator("main")).to_contain_text(name)
    pages.check(operator, "tenant-list")

    operator.get_by_role("link", name="New tenant").click()
    operator.get_by_label("Organisation name").fill("Tailspin Toys")
    operator.get_by_label("Address").fill("Not A Slug!")
    operator.get_by_label("First administrator's e-mail").fill("admin@tailspin.example")
    operator.get_by_role("button", name="Create tenant").click()
    address = operator.locator(".field").filter(has=operator.get_by_label("Address"))
    expect(address.locator(".error")).to_be_visible()
    expect(operator.get_by_role("alert")).to_contain_text("Address:")
    pages.check(operator, "create-tenant-bad-slug")

    telco = operator.context.new_page()
    operator.goto(e2e_server.url(None, "/"))
    operator.once("dialog", lambda dialog: dialog.accept())
    operator.get_by_role("button", name="Suspend Contoso Telecom").click()
    expect(operator.get_by_role("button", name="Resume Contoso Telecom")).to_be_visible()
    try:
        telco.goto(e2e_server.url("telco", "/"))
        expect(telco.get_by_role("heading", level=1)).to_contain_text(
            re.compile("unavailable|suspended", re.I)
        )
        pages.check(telco, "telco-suspended")
    finally:
        operator.get_by_role("button", name="Resume Contoso Telecom").click()
    expect(operator.get_by_role("button", name="Suspend Contoso Telecom")).to_be_visible()
    telco.goto(e2e_server.url("telco", "/"))
    expect(telco.get_by_role("heading", level=1)).not_to_contain_text(
        re.compile("unavailable|suspended", re.I)
    )
