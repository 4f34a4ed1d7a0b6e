"""The settings navigation: every settings page an admin (or a manager) reaches, in one list."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from accounts.models import User


@dataclass(frozen=True)
class SettingsPage:
    label: str
    url_name: str
    permission: str


SETTINGS = "organisation.manage_settings"

SETTINGS_PAGES = (
    SettingsPage("Overview", "settings_home", SETTINGS),
    SettingsPage("Branding", "settings_branding", SETTINGS),
    SettingsPage("Categories", "settings_categories", SETTINGS),
    SettingsPage("Teams", "settings_teams", SETTINGS),
    SettingsPage("SLA targets", "settings_sla", SETTINGS),
    SettingsPage("Business hours", "settings_hours", SETTINGS),
    SettingsPage("Regulatory profile", "settings_profile", SETTINGS),
    SettingsPage("Complaint policy", "settings_policy", SETTINGS),
    SettingsPage("Two-factor", "settings_security", SETTINGS),
    SettingsPage("Staff", "settings_staff", SETTINGS),
    SettingsPage("Letters", "settings_letters", SETTINGS),
    SettingsPage("Canned responses", "canned_responses", "complaints.manage_canned_responses"),
    SettingsPage("API clients", "settings_api_clients", "integrations.manage_integrations"),
    SettingsPage("Webhooks", "settings_webhooks", "integrations.manage_integrations"),
    SettingsPage("Audit log", "settings_audit", SETTINGS),
)


@dataclass(frozen=True)
class NavLink:
    label: str
    url: str
    current: bool


def settings_nav(user: User, path: str) -> list[NavLink]:
    """The settings pages ``user`` may open, the one ``path`` belongs to marked current: the
    page itself or the page whose address starts it (a webhook's page marks Webhooks)."""
    pages = [
        (page, reverse(page.url_name)) for page in SETTINGS_PAGES if user.has_perm(page.permission)
    ]
    home = reverse("settings_home")
    within = [url for _, url in pages if path == url or (url != home and path.startswith(url))]
    current = max(within, key=len, default=None)
    return [NavLink(page.label, url, url == current) for page, url in pages]
