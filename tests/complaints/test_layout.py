"""The site's layout in both template engines: a page Jinja2 renders (``render_page``: the
queue, the console's complaint page) reads exactly as a Django page extending
``templates/base.html``, for every kind of person, with the tenant's branding and messages;
the site header itself is one macro (``jinja2/layout.jinja``) that both show."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import constants
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest
from django.template import engines
from django.templatetags.static import static
from django.test import Client, RequestFactory, override_settings
from django.urls import NoReverseMatch, set_script_prefix
from django.utils.safestring import mark_safe

from accounts.models import Role, User
from accounts.sessions import SessionStore
from complaints.fragments import render_page, static_url, url
from configuration.models import TenantSettings
from tenancy.models import Tenant
from tests.conftest import sign_in, tenant_client

DJANGO_PAGE = (
    '{% extends "base.html" %}{% block head_title %}{{ title }}{% endblock %}'
    "{% block main_class %}wrap wide{% endblock %}"
    "{% block content %}<p>The content</p>{% endblock %}"
    '{% block extra_body %}<script src="/static/js/page.js" defer></script>{% endblock %}'
)


def normalised(html: str) -> str:
    """Markup without whitespace between tags or runs of it, with every CSRF token (masked
    afresh at each use) replaced by one word, and both escapes of ``'`` read alike."""
    html = re.sub(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[A-Za-z0-9]+', r"\1T", html)
    html = re.sub(r">\s+<", "><", html.replace("&#39;", "&#x27;"))
    return re.sub(r"\s+", " ", html).strip()


def request_for(tenant: Tenant, user: User | AnonymousUser) -> HttpRequest:
    """A request as the middleware leaves it: tenant, person, session and messages."""
    request = RequestFactory().get("/console/", HTTP_HOST=tenant.host)
    request.tenant = tenant  # type: ignore[attr-defined]
    request.user = user
    request.session = SessionStore()  # type: ignore[attr-defined]
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    return request


def both(request: HttpRequest) -> tuple[str, str]:
    """The same page from Django's base template and from the Jinja2 layout."""
    django_page = engines["django"].from_string(DJANGO_PAGE).render({"title": "Queue <&>"}, request)
    jinja_page = render_page(
        request,
        mark_safe("<p>The content</p>"),
        title="Queue <&>",
        main_class="wrap wide",
        extra_body=mark_safe('<script src="/static/js/page.js" defer></script>'),
    ).content.decode()
    return normalised(django_page), normalised(jinja_page)


@pytest.mark.parametrize(
    "role", [Role.CONSUMER, Role.AGENT, Role.SPECIALIST, Role.MANAGER, Role.ADMIN]
)
def test_a_jinja2_page_reads_as_a_django_page_for_every_role(
    bank: Tenant, make_user: Callable[..., User], role: Role
) -> None:
    user = make_user(role, f"{role}@example.com", full_name="Robin O'Reilly <Ops>")
    django_page, jinja_page = both(request_for(bank, user))

    assert jinja_page == django_page
    assert "Robin O&#x27;Reilly &lt;Ops&gt;" in jinja_page
    assert "Queue &lt;&amp;&gt; · " in jinja_page
    assert ("Notifications" in jinja_page) == (
        role in (Role.AGENT, Role.SPECIALIST, Role.MANAGER, Role.ADMIN)
    )
    assert ("Dashboard" in jinja_page) == (role in (Role.MANAGER, Role.ADMIN))
    assert ("Settings</a>" in jinja_page) == (role == Role.ADMIN)
    assert ("My complaints" in jinja_page) == (role == Role.CONSUMER)


def test_a_signed_out_page_reads_the_same(bank: Tenant) -> None:
    django_page, jinja_page = both(request_for(bank, AnonymousUser()))

    assert jinja_page == django_page
    assert "Sign in" in jinja_page and "Sign out" not in jinja_page


def test_branding_messages_and_unread_notifications_read_the_same(
    bank: Tenant, manager: User
) -> None:
    settings = TenantSettings.current()
    settings.display_name = "Bank & Co"
    settings.accent_colour = "#ffcc00"
    settings.logo = SimpleUploadedFile("logo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")
    settings.save()
    pages = []
    for _ in range(2):  # a request each: the first page uses up its messages
        request = request_for(bank, manager)
        request._messages.add(constants.SUCCESS, "Saved <the> view.")  # type: ignore[attr-defined]
        pages.append(request)
    django_page = normalised(
        engines["django"].from_string(DJANGO_PAGE).render({"title": "Queue <&>"}, pages[0])
    )
    jinja_page = normalised(
        render_page(
            pages[1],
            mark_safe("<p>The content</p>"),
            title="Queue <&>",
            main_class="wrap wide",
            extra_body=mark_safe('<script src="/static/js/page.js" defer></script>'),
        ).content.decode()
    )

    assert "Saved &lt;the&gt; view." in django_page
    assert jinja_page == django_page
    assert "Bank &amp; Co" in jinja_page and 'class="logo"' in jinja_page
    assert "--on-brand: #111827" in jinja_page


def test_the_console_pages_are_in_the_layout(agent_client: Client, complaint: object) -> None:
    queue = agent_client.get("/console/").content.decode()
    page = agent_client.get(f"/console/complaints/{complaint.reference}/").content.decode()  # type: ignore[attr-defined]

    for html, title in ((queue, "Queue"), (page, complaint.reference)):  # type: ignore[attr-defined]
        assert html.startswith("<!DOCTYPE html>")
        assert f"<title>{title} · " in html
        assert 'id="notification-badge"' in html and "Alex Agent" in html
        assert 'id="shortcuts-help"' in html and "js/console.js" in html


def test_before_the_second_factor_the_header_offers_only_sign_out(
    bank: Tenant, agent: User
) -> None:
    client = sign_in(tenant_client(bank), agent, second_factor=False)

    html = client.get("/account/two-factor/").content.decode()

    header = html[html.index("<header") : html.index("</header>")]
    assert "Alex Agent" in header and "Sign out" in header
    for link in ("notification-badge", "Queue", "Sessions and devices", "· Agent"):
        assert link not in header
    # Proven: the whole header.
    signed_in = sign_in(tenant_client(bank), agent).get("/console/").content.decode()
    assert 'id="notification-badge"' in signed_in and "Sessions and devices" in signed_in


def test_paths_built_once_are_those_of_the_url_configuration_in_use(bank: Tenant) -> None:

    assert url("console_complaint", "C-2026-000001") == "/console/complaints/C-2026-000001/"
    assert url("console_complaint", "C-2026-000001") == "/console/complaints/C-2026-000001/"
    set_script_prefix("/complaints/")
    try:
        assert url("console_complaint", "C-2026-000001") == (
            "/complaints/console/complaints/C-2026-000001/"
        )
    finally:
        set_script_prefix("/")
    # The platform's own pages are not a tenant's: a path built under one configuration is
    # never given under another.
    with override_settings(ROOT_URLCONF="project.urls_public"):
        platform = url("tenant_list")
    assert platform.startswith("/")
    with pytest.raises(NoReverseMatch):
        url("tenant_list")


def test_static_urls_remembered_are_those_django_gives(bank: Tenant) -> None:
    assert static_url("css/app.css") == static("css/app.css") == "/static/css/app.css"
    with override_settings(STATIC_URL="assets/"):  # relative: under the script prefix
        set_script_prefix("/complaints/")
        try:
            assert static_url("css/app.css") == static("css/app.css")
            assert static_url("css/app.css").endswith("/assets/css/app.css")
        finally:
            set_script_prefix("/")
    with override_settings(STATIC_URL="https://assets.example/"):
        assert static_url("css/app.css") == "https://assets.example/css/app.css"
    assert static_url("css/app.css") == "/static/css/app.css"
