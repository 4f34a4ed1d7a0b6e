from __future__ import annotations

from typing import Any

from django import template

from organisation.navigation import NavLink, settings_nav

register = template.Library()


@register.simple_tag(takes_context=True)
def settings_links(context: dict[str, Any]) -> list[NavLink]:
    """The settings navigation for the page being rendered (``organisation.navigation``)."""
    request = context["request"]
    return settings_nav(request.user, request.path)
