"""What the browser journeys share: the server handle, page checks, signing in, small helpers."""

from __future__ import annotations

import re
import struct
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from operations.management.commands.seed_demo import DEMO_PASSWORD, current_demo_code

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TOTP_STEP_SECONDS = 30
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PHONE_375 = {"width": 375, "height": 812}  # the narrowest phone the pages are checked at
REFERENCE = re.compile(r"C-\d{4}-\d{6}")
# Third-party pages whose accessibility is not ours to assert (Swagger UI).
AXE_EXEMPT_PATHS = ("/api/v1/docs/",)


@dataclass
class E2EServer:
    port: int
    log: Path

    def url(self, slug: str | None, path: str = "/") -> str:
        """The address of a tenant's site, or of the platform console when ``slug`` is None."""
        host = f"{slug}.localhost" if slug else "localhost"
        return f"http://{host}:{self.port}{path}"

    def output(self) -> str:
        """Everything the server printed, e-mails included (console e-mail backend)."""
        return self.log.read_text(errors="replace")


def _artifact_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-")


# What axe checks: WCAG 2.0, 2.1 and 2.2 at levels A and AA, and axe's best practices (the
# tags axe-core 4.14 knows for them).
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@dataclass
class Pages:
    """Checks each page a journey visits: axe, a screenshot, and JavaScript errors."""

    test_name: str
    axe: Path
    violations: list[str] = field(default_factory=list)
    script_errors: list[str] = field(default_factory=list)

    def screenshot(self, page: Any, label: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{_artifact_name(self.test_name)}--{_artifact_name(label)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    def check(self, page: Any, label: str, *, screenshot: bool = True) -> None:
        """Run axe on the page as it is now; serious or critical findings fail the test."""
        page.wait_for_load_state("load")
        if screenshot:
            self.screenshot(page, label)
        if any(path in page.url for path in AXE_EXEMPT_PATHS):
            return
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(self.axe))
        result = page.evaluate(
            "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})",
            AXE_TAGS,
        )
        for violation in result["violations"]:
            if violation["impact"] in ("serious", "critical"):
                targets = "; ".join(
                    " ".join(node["target"][:1]) + " " + node["html"][:120]
                    for node in violation["nodes"][:3]
                )
                self.violations.append(
                    f"{label} ({page.url}): [{violation['impact']}] {violation['id']}: "
                    f"{violation['help']} -> {targets}"
                )


# --- Signing in ----------------------------------------------------------------------------

_last_totp_step: dict[str, int] = {}


def fresh_demo_code(account: str) -> str:
    """The current demo code, waiting for the next one if ``account`` already used this one.

    django-otp accepts each code once per device.
    """
    step = int(time.time() // TOTP_STEP_SECONDS)
    if _last_totp_step.get(account, -1) >= step:
        time.sleep((step + 1) * TOTP_STEP_SECONDS - time.time() + 0.5)
        step = int(time.time() // TOTP_STEP_SECONDS)
    _last_totp_step[account] = step
    return current_demo_code()


def sign_in(
    page: Any, server: E2EServer, slug: str | None, email: str, pages: Pages | None = None
) -> None:
    """Sign in with the demo password and, when the site asks for it, the demo TOTP code."""
    page.goto(server.url(slug, "/accounts/login/"))
    if pages is not None:
        pages.check(page, f"sign-in-{slug or 'platform'}", screenshot=False)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.IGNORECASE)).click()
    page.wait_for_load_state("load")
    if "/account/two-factor/" in page.url:
        if pages is not None:
            pages.check(page, f"two-factor-{slug or 'platform'}", screenshot=False)
        page.get_by_label("Code").fill(fresh_demo_code(f"{slug}:{email}"))
        page.get_by_role("button", name="Verify").click()
        page.wait_for_load_state("load")
    assert "/accounts/login/" not in page.url, f"sign-in of {email} failed: {page.url}"
    assert "/account/two-factor/" not in page.url, f"second factor of {email} failed"


def png_bytes(width: int = 8, height: int = 8) -> bytes:
    """A small valid PNG (a grey square), made without an imaging library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def submit_complaint(page: Any, subject: str, attachment: bytes | None = None) -> str:
    """Fill in the new-complaint form already open on ``page``; returns the new reference."""
    page.get_by_label("Summary").fill(subject)
    page.get_by_label("What happened?").fill("The payment left my account twice on Monday.")
    page.get_by_label("What would put it right for you?").fill("Refund the second payment.")
    if attachment is not None:
        page.get_by_label("Documents or photos").set_input_files(
            {"name": "statement.png", "mimeType": "image/png", "buffer": attachment}
        )
    page.get_by_role("button", name="Send complaint").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(subject)
    found = REFERENCE.search(page.locator("main").inner_text())
    assert found, "the complaint page shows no reference"
    return found.group()


def new_complaint(e2e_server: E2EServer, signed_in_page: Callable[..., Any], subject: str) -> str:
    """The demo bank's consumer submits a complaint through the portal; returns its reference."""
    consumer = signed_in_page("bank", "consumer@bank.example")
    consumer.goto(e2e_server.url("bank", "/complaints/new/"))
    return submit_complaint(consumer, subject)


def open_complaint_taking_replies(page: Any) -> None:
    """From the consumer's list, open the first complaint whose page offers the reply form."""
    links = page.locator("main a[href*='/complaints/C-']")
    addresses = list(dict.fromkeys(links.evaluate_all("links => links.map(a => a.href)")))
    for address in addresses:
        page.goto(address)
        if page.get_by_role("button", name="Send reply").count():
            return
    raise AssertionError(f"none of these complaints takes a reply: {addresses}")


def form_with_button(page: Any, button: str | re.Pattern[str]) -> Any:
    """The form holding a submit button, to fill fields whose labels repeat on the page.

    Hidden buttons count too: some forms sit folded in a <details> until opened.
    """
    submit = page.get_by_role("button", name=button, include_hidden=True)
    return page.locator("form").filter(has=submit).first


def open_fold(page: Any, summary: str) -> Any:
    """Open the folded action whose summary is ``summary`` and return its form, which the
    page fetches when the fold is first opened (``complaints.views.LAZY_FOLDS``)."""
    pattern = re.compile(rf"^\s*{re.escape(summary)}\s*$")
    heading = page.locator("details > summary", has_text=pattern).first
    fold = heading.locator("xpath=..")
    if fold.get_attribute("open") is None:
        heading.click()
    form = fold.locator("form").first
    expect(form).to_be_visible()
    return form


def reveal(form: Any) -> Any:
    """Open the folded section (<details>) a form sits in, if it is folded."""
    if not form.is_visible():
        form.locator("xpath=ancestor::details[1]/summary").click()
    expect(form).to_be_visible()
    return form


def has_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("() => document.documentElement.scrollWidth > window.innerWidth"))


def mark_document(page: Any) -> None:
    """Tag the current document, so a later check can tell whether the page was reloaded."""
    page.evaluate("() => { window.__e2eKept = true; }")


def document_was_kept(page: Any) -> bool:
    return bool(page.evaluate("() => window.__e2eKept === true"))
