"""How complaints, their correspondence, files and clocks are written in the API.

A consumer's representation never carries the priority, the team or any staff name: staff
get ``StaffComplaintSerializer``, everyone else ``ConsumerComplaintSerializer``.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from accounts.models import EMAIL_MAX_LENGTH, Role, User
from complaints.api_fields import IdField, TextField
from complaints.models import (
    SUBJECT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Attachment,
    Category,
    Channel,
    Complaint,
    Event,
    active_categories,
)
from complaints.predicates import sees_internal
from tenancy import current


def shows_staff_view(user: Any) -> bool:
    """Whether ``user`` reads complaints as staff do (priority, team, colleagues' names)."""
    return bool(sees_internal(user))


class PersonSerializer(serializers.Serializer):
    """A member of staff as staff see them."""

    id = serializers.IntegerField()
    name = serializers.CharField(source="display_name")


class NamedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField(
        help_text="\"consumer\", a colleague's name for staff, or the organisation's name."
    )

    class Meta:
        model = Event
        fields = ["kind", "actor", "body", "from_status", "to_status", "is_internal", "created_at"]

    def get_actor(self, event: Event) -> str | None:
        """Who made the entry: "consumer", a colleague's name for staff, and for the consumer
        the organisation (as on the portal): staff names are not given out."""
        if event.actor is None:
            return None
        if event.by_consumer:
            return "consumer"
        viewer = self.context["request"].user if "request" in self.context else None
        if viewer is None or not sees_internal(viewer):
            return current.tenant().name
        return event.actor.display_name


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ["id", "original_name", "content_type", "size", "is_internal", "created_at"]
        fields = [*fields, "download_url"]

    def get_download_url(self, attachment: Attachment) -> str:
        """The permission-checked download of the file, relative to the tenant's host."""
        reference = attachment.complaint.reference
        return f"/api/v1/complaints/{reference}/attachments/{attachment.pk}/"


class MessageSerializer(EventSerializer):
    """A reply (public) or an internal note (staff only), with its files."""

    id = serializers.IntegerField(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(EventSerializer.Meta):
        fields = ["id", "kind", "actor", "body", "is_internal", "created_at", "attachments"]


class MessageCreateSerializer(serializers.Serializer):
    """A reply, or (staff) an internal note. Files come as multipart ``attachments`` parts."""

    body = TextField(max_length=TEXT_MAX_LENGTH)
    internal = serializers.BooleanField(
        default=False, help_text="Staff only: an internal note the consumer never sees."
    )


class AttachmentUploadSerializer(MessageCreateSerializer):
    attachments = serializers.ListField(
        child=serializers.FileField(), min_length=1, help_text="One to five files."
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A complaint as its consumer reads it",
            value={
                "reference": "C-2026-000042",
                "subject": "Card payment taken twice",
                "description": "I was charged twice for one purchase.",
                "desired_outcome": "Refund the second payment.",
                "category": "Cards / Duplicate payment",
                "category_id": 7,
                "status": "open",
                "channel": "api",
                "consumer_email": "casey@example.com",
                "received_at": "2026-03-02T09:15:00Z",
                "updated_at": "2026-03-02T09:20:00Z",
                "outcome": "",
                "resolution_summary": "",
            },
            response_only=True,
        )
    ]
)
class ConsumerComplaintSerializer(serializers.ModelSerializer):
    """A complaint as its consumer reads it."""

    category = serializers.SerializerMethodField(help_text="Name of the category, if any.")
    category_id = serializers.IntegerField(allow_null=True, read_only=True)
    consumer_email = serializers.EmailField(source="consumer.email", read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "reference",
            "subject",
            "description",
            "desired_outcome",
            "category",
            "category_id",
            "status",
            "channel",
            "consumer_email",
            "received_at",
            "updated_at",
            "outcome",
            "resolution_summary",
        ]
        read_only_fields = fields

    def get_category(self, complaint: Complaint) -> str | None:
        return complaint.category.name if complaint.category is not None else None


class StaffComplaintSerializer(ConsumerComplaintSerializer):
    """A complaint as staff read it: also its priority, queue, handlers and next deadline."""

    team = NamedSerializer(allow_null=True, read_only=True)
    assignee = PersonSerializer(allow_null=True, read_only=True)
    specialist = PersonSerializer(allow_null=True, read_only=True)

    class Meta(ConsumerComplaintSerializer.Meta):
        fields = [
            *ConsumerComplaintSerializer.Meta.fields,
            "priority",
            "team",
            "assignee",
            "specialist",
            "escalation_level",
            "next_due_at",
        ]
        read_only_fields = fields


class ConsumerComplaintDetailSerializer(ConsumerComplaintSerializer):
    timeline = EventSerializer(many=True, read_only=True, source="visible_events")

    class Meta(ConsumerComplaintSerializer.Meta):
        fields = [*ConsumerComplaintSerializer.Meta.fields, "timeline"]
        read_only_fields = fields


class StaffComplaintDetailSerializer(StaffComplaintSerializer):
    timeline = EventSerializer(many=True, read_only=True, source="visible_events")

    class Meta(StaffComplaintSerializer.Meta):
        fields = [*StaffComplaintSerializer.Meta.fields, "timeline"]
        read_only_fields = fields


class ComplaintCreateSerializer(serializers.Serializer):
    subject = TextField(max_length=SUBJECT_MAX_LENGTH)
    description = TextField(max_length=TEXT_MAX_LENGTH)
    desired_outcome = TextField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    category_id = IdField(
        queryset=Category.objects.filter(is_active=True),
        lookup=lambda pk: active_categories().get(pk),
        source="category",
        required=False,
        allow_null=True,
        default=None,
    )
    consumer_email = serializers.EmailField(
        required=False,
        max_length=EMAIL_MAX_LENGTH,
        help_text="Staff only: the consumer the complaint is logged for.",
    )
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text="Staff only: how the complaint was received. Consumers always use 'api'.",
    )
    received_at = serializers.DateTimeField(
        required=False, help_text="Staff only: when the complaint was received (clock start)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Raises ``ValidationError`` for a field the endpoint does not take (``category``
        for ``category_id``, say: a complaint is never logged without what was sent), and for
        staff fields a consumer sends."""
        if hasattr(self.initial_data, "keys"):
            unknown = sorted(str(key) for key in self.initial_data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {key: "This endpoint does not take this field." for key in unknown}
                )
        user: User = self.context["request"].user
        staff_fields = {"consumer_email", "channel", "received_at"} & attrs.keys()
        if user.role == Role.CONSUMER:
            if staff_fields:
                raise serializers.ValidationError(
                    {field: "Only staff may set this field." for field in staff_fields}
                )
            attrs["consumer"] = user
            attrs["channel"] = Channel.API
            return attrs
        email = attrs.pop("consumer_email", None)
        if not email:
            raise serializers.ValidationError(
                {"consumer_email": "Staff must say which consumer the complaint is for."}
            )
        # The account is found by staff intake (``consumer_for_intake``, which refuses an
        # address no consumer account has), and never adopted unproven, as in the console.
        attrs["consumer_email"] = email
        attrs.setdefault("channel", Channel.API)
        return attrs


class DeadlineSerializer(serializers.Serializer):
    """One clock of a complaint, with the rule it implements in plain words."""

    clock = serializers.CharField(source="deadline.clock")
    name = serializers.CharField(source="deadline.get_clock_display")
    due_at = serializers.DateTimeField(source="deadline.due_at")
    met_at = serializers.DateTimeField(source="deadline.met_at", allow_null=True)
    breached_at = serializers.DateTimeField(source="deadline.breached_at", allow_null=True)
    stopped_at = serializers.DateTimeField(source="deadline.stopped_at", allow_null=True)
    regulatory = serializers.BooleanField(source="deadline.regulatory")
    enforced = serializers.BooleanField(source="deadline.enforced")
    met = serializers.SerializerMethodField()
    breached = serializers.SerializerMethodField()
    rule = serializers.CharField()

    def get_met(self, row: Any) -> bool:
        return row.deadline.met_at is not None

    def get_breached(self, row: Any) -> bool:
        """Due and not met (``Deadline.objects.breached``'s rule), or flagged by the scan."""
        deadline = row.deadline
        if deadline.breached_at is not None:
            return True
        return bool(
            deadline.met_at is None
            and deadline.stopped_at is None
            and deadline.enforced
            and deadline.due_at <= self.context["now"]
        )
