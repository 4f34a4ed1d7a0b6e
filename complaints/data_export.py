"""Everything the portal holds about a consumer, as they may read it: the data export."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from allauth.account.models import EmailAddress
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import User
from complaints.models import Attachment, Complaint, Event
from tenancy.models import Tenant


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def consumer_data(user: User, tenant: Tenant) -> dict[str, Any]:
    """The consumer's account and complaints with what they can see of them, never internal."""
    complaints = (
        Complaint.objects.visible_to(user)
        .select_related("category", "category__parent")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=Event.objects.visible_to(user).order_by("created_at", "id"),
                to_attr="public_events",
            ),
            Prefetch(
                "attachments",
                queryset=Attachment.objects.visible_to(user).order_by("created_at", "id"),
                to_attr="public_attachments",
            ),
        )
        .order_by("received_at", "id")
    )
    return {
        "exported_at": timezone.now().isoformat(),
        "organisation": tenant.name,
        "account": {
            "email": user.email,
            "full_name": user.full_name,
            "phone": user.phone,
            "postal_address": user.postal_address,
            "preferred_channel": user.preferred_channel,
            "accessibility_needs": user.accessibility_needs,
            "joined_at": _when(user.date_joined),
            "last_sign_in_at": _when(user.last_login),
            "email_addresses": [
                {"email": address.email, "verified": address.verified, "primary": address.primary}
                for address in EmailAddress.objects.filter(user=user).order_by("pk")
            ],
        },
        "complaints": [_complaint(complaint, user, tenant) for complaint in complaints],
    }


def _complaint(complaint: Complaint, user: User, tenant: Tenant) -> dict[str, Any]:
    rating = (
        {"score": complaint.satisfaction_score, "comment": complaint.satisfaction_comment}
        if complaint.satisfaction_score is not None
        else None
    )
    return {
        "reference": complaint.reference,
        "subject": complaint.subject,
        "description": complaint.description,
        "desired_outcome": complaint.desired_outcome,
        "category": str(complaint.category) if complaint.category else None,
        "channel": complaint.get_channel_display(),
        "status": complaint.get_status_display(),
        "received_at": _when(complaint.received_at),
        "acknowledged_at": _when(complaint.acknowledged_at),
        "resolved_at": _when(complaint.resolved_at),
        "closed_at": _when(complaint.closed_at),
        "outcome": complaint.get_outcome_display() if complaint.outcome else None,
        "redress": (
            {"amount": str(complaint.redress_amount), "currency": complaint.redress_currency}
            if complaint.redress_amount is not None
            else None
        ),
        "resolution_summary": complaint.resolution_summary,
        "rating": rating,
        "timeline": [
            {
                "at": _when(event.created_at),
                "what": event.headline,
                "by": "you" if event.actor_id == user.pk else tenant.name,
                "message": event.body,
                "status_from": event.get_from_status_display() if event.from_status else None,
                "status_to": event.get_to_status_display() if event.to_status else None,
            }
            for event in complaint.public_events  # type: ignore[attr-defined]
        ],
        "attachments": [
            {
                "name": attachment.original_name,
                "content_type": attachment.content_type,
                "size_bytes": attachment.size,
                "uploaded_at": _when(attachment.created_at),
                "uploaded_by": "you" if attachment.uploaded_by_id == user.pk else tenant.name,
            }
            for attachment in complaint.public_attachments  # type: ignore[attr-defined]
        ],
    }
