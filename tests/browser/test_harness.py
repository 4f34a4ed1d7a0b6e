"""The page checks themselves: an accessibility failure must be caught."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.support import Pages

pytestmark = pytest.mark.browser


def test_axe_check_reports_serious_violations(page: Any, pages: Pages) -> None:
    page.set_content('<html><body><main><img src="data:,"><button></button></main></body></html>')
    probe = Pages(test_name="harness", axe=pages.axe)

    probe.check(page, "known-violations", screenshot=False)

    found = "\n".join(probe.violations)
    assert "image-alt" in found
    assert "button-name" in found
