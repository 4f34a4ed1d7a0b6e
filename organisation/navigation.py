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
    # Other addresses under the settings that belong to this page (root causes are edited
    # on the categories page), relative to the settings' own address.
    also_under: tuple[str, ...] = ()


SETTINGS = "organisation.manage_settings"

SETTINGS_PAGES = (
    SettingsPage("Overview", "settings_home", SETTINGS),
    SettingsPage("Branding", "settings_branding", SETTINGS),
    SettingsPage("Categories", "settings_categories", SETTINGS, also_under=("root-causes/",)),
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
    page itself, or the page whose address (or one of its ``also_under``) starts it, the
    longest such (a webhook's page marks Webhooks)."""
    home = reverse("settings_home")
    pages = [
        (page, reverse(page.url_name), [f"{home}{prefix}" for prefix in page.also_under])
        for page in SETTINGS_PAGES
        if user.has_perm(page.permission)
    ]
    within = [
        (prefix, url)
        for _, url, others in pages
        for prefix in ([url] if url != home else []) + others
        if path.startswith(prefix)
    ]
    current = (
        home if path == home else max(within, key=lambda hit: len(hit[0]), default=("", None))[1]
    )
    return [NavLink(page.label, url, url == current) for page, url, _ in pages]
