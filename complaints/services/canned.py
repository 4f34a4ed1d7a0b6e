"""Canned responses: the replies agents start from."""

from __future__ import annotations

from complaints.models import CannedResponse
from complaints.placeholders import CANNED_RESPONSE_PLACEHOLDERS
from complaints.services.gate import Actor, ComplaintError, may


def save_canned_response(
    canned: CannedResponse | None, *, title: str, body: str, actor: Actor
) -> CannedResponse:
    """Create a canned response (``canned`` is None) or change one. Raises ``ComplaintError``
    for a missing title or text, or a placeholder the product does not know."""
    if not may(actor, "complaints.manage_canned_responses"):
        raise ComplaintError("You may not manage canned responses.")
    canned = canned or CannedResponse()
    canned.title, canned.body = title.strip(), body.strip()
    if not canned.title or not canned.body:
        raise ComplaintError("A canned response needs a title and a text.")
    if problem := CANNED_RESPONSE_PLACEHOLDERS.problem(canned.body):
        raise ComplaintError(problem)
    canned.save()
    return canned


def delete_canned_response(canned: CannedResponse, *, actor: Actor) -> None:
    """Remove a canned response. Raises ``ComplaintError`` for those who may not."""
    if not may(actor, "complaints.manage_canned_responses"):
        raise ComplaintError("You may not manage canned responses.")
    canned.delete()
