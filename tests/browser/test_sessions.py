"""An expired session during an htmx request takes the whole page to the sign-in form."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.support import E2EServer, Pages, form_with_button, open_complaint_taking_replies

pytestmark = pytest.mark.browser


def test_expired_session_on_an_htmx_action_lands_the_whole_page_on_sign_in(
    e2e_server: E2EServer, signed_in_page: Callable[..., Any], pages: Pages
) -> None:
    page = signed_in_page("bank", "jordan@bank.example")
    page.goto(e2e_server.url("bank", "/complaints/"))
    open_complaint_taking_replies(page)

    page.context.clear_cookies(name="sessionid")
    reply_form = form_with_button(page, "Send reply")
    reply_form.get_by_label("Message").fill("Is anyone there?")
    reply_form.get_by_role("button", name="Send reply").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile("sign in", re.I))
    expect(page.locator("#workspace")).to_have_count(0)
    pages.check(page, "expired-session-sign-in")
