from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def unread(request: HttpRequest) -> dict[str, Any]:
    """``unread_notifications``: the signed-in staff member's unread count, computed only when
    a template shows it (the console header), from the cache when it can be."""
    from notifications.services import unread_count

    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_staff_member", False):
        return {}
    return {"unread_notifications": lambda: unread_count(user)}
