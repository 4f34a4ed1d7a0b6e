"""Unsent replies and internal notes, kept per person, complaint and box.

The page saves the box as the person types (htmx, debounced) and when a send is refused;
the box is filled from the draft when the page is opened again; sending deletes it. Text
posted while the session had expired waits in the new session (``accounts.middleware``)
and becomes a draft when the person, signed in again, opens the complaint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

from accounts.middleware import UNSENT_POSTS
from complaints.models import Complaint, Draft
from complaints.text import clean_text


def save_draft(user: Any, complaint: Complaint, box: str, body: str) -> None:
    """Keep ``body`` as ``user``'s draft in ``box`` ("reply" or "note"); empty text deletes it."""
    body = clean_text(body)
    if not body:
        discard_draft(user, complaint, box)
        return
    Draft.objects.update_or_create(user=user, complaint=complaint, box=box, defaults={"body": body})


def discard_draft(user: Any, complaint: Complaint, box: str) -> None:
    """Forget ``user``'s draft in ``box``: it was sent."""
    Draft.objects.filter(user=user, complaint=complaint, box=box).delete()


def drafts_for(
    user: Any, complaint: Complaint, session: SessionBase, boxes: Mapping[str, str]
) -> dict[str, str]:
    """``user``'s drafts on ``complaint`` by box, after taking up the text posted to the box's
    addresses (``boxes`` maps each address, its action and its draft beacon, to the box) while
    signed out; that text is newer than any saved draft."""
    unsent: dict[str, dict[str, str]] = dict(session.get(UNSENT_POSTS) or {})
    for path, box in boxes.items():
        kept = unsent.pop(path, None)
        if kept and kept.get("body"):
            save_draft(user, complaint, box, kept["body"])
            session[UNSENT_POSTS] = unsent
    return dict(
        Draft.objects.filter(user=user, complaint=complaint, box__in=boxes.values()).values_list(
            "box", "body"
        )
    )
