"""The settings navigation lists every settings page the person may open, the current one
marked."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.middleware import answers_get
from organisation.navigation import SETTINGS_PAGES

NAV = re.compile(r'<nav class="settings-nav" aria-label="Settings">(.*?)</nav>', re.S)


def _settings_pages_without_arguments() -> list[str]:
    """Every settings address that shows a page and needs no argument (no object's id)."""
    found: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif (
                "<" not in route
                and route.startswith("settings/")
                and pattern.name
                and answers_get(pattern.callback)
                and not route.endswith(".csv")
            ):
                found.append(reverse(pattern.name))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_settings_page_an_admin_opens_is_in_the_navigation_and_marked_current(
    admin_client: Client,
) -> None:
    pages = [*_settings_pages_without_arguments(), reverse("canned_responses")]
    assert len(pages) >= 14

    listed = {reverse(page.url_name) for page in SETTINGS_PAGES}
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        nav = NAV.search(response.content.decode())
        assert nav is not None, url
        # Each page is in the navigation or within a section of it, marked current.
        assert nav.group(1).count('aria-current="page"') == 1, url
        if url in listed:
            assert f'<a href="{url}" aria-current="page">' in nav.group(1), url


@pytest.mark.parametrize(
    ("url", "section"),
    [
        ("/settings/sla/urgent/", '<a href="/settings/sla/" aria-current="page">SLA targets</a>'),
        (
            "/settings/root-causes/new/",
            '<a href="/settings/categories/" aria-current="page">Categories</a>',
        ),
        (
            "/settings/hours/closures/",
            '<a href="/settings/hours/" aria-current="page">Business hours</a>',
        ),
    ],
)
def test_a_page_inside_a_section_marks_its_section(
    admin_client: Client, url: str, section: str
) -> None:
    nav = NAV.search(admin_client.get(url).content.decode())

    assert nav is not None
    assert section in nav.group(1)
    assert nav.group(1).count('aria-current="page"') == 1


def test_navigation_lists_the_canned_responses_api_clients_and_webhooks(
    admin_client: Client,
) -> None:
    nav = NAV.search(admin_client.get("/settings/").content.decode())

    assert nav is not None
    labels = re.findall(r">([^<]+)</a>", nav.group(1))
    assert labels == [page.label for page in SETTINGS_PAGES]
    assert {"Canned responses", "API clients", "Webhooks"} <= set(labels)


def test_a_manager_sees_the_canned_responses_without_a_settings_navigation(
    manager_client: Client,
) -> None:
    response = manager_client.get("/console/canned-responses/")

    assert response.status_code == 200
    assert NAV.search(response.content.decode()) is None
