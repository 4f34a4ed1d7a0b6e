"""The complaints part of the integration API."""

from __future__ import annotations

from typing import Any, cast

from django.db.models import Prefetch, QuerySet
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ClientScope, Role, User
from complaints.api_fields import IdField, TextField
from complaints.idempotency import idempotent
from complaints.models import (
    REFERENCE_PATTERN,
    SUBJECT_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    Category,
    Channel,
    Complaint,
    Event,
)
from complaints.predicates import sees_internal
from complaints.services import ComplaintError, log_complaint_on_behalf, submit_complaint
from tenancy import current


class EventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

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


class ComplaintSerializer(serializers.ModelSerializer):
    category: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="name",
        read_only=True,
        allow_null=True,
        help_text="Name of the category, if any.",
    )
    consumer_email = serializers.EmailField(source="consumer.email", read_only=True)

    class Meta:
        model = Complaint
        fields = [
            "reference",
            "subject",
            "description",
            "desired_outcome",
            "category",
            "status",
            "priority",
            "channel",
            "consumer_email",
            "received_at",
            "updated_at",
        ]
        read_only_fields = fields


class ComplaintDetailSerializer(ComplaintSerializer):
    timeline = EventSerializer(many=True, read_only=True, source="visible_events")

    class Meta(ComplaintSerializer.Meta):
        fields = [*ComplaintSerializer.Meta.fields, "timeline"]
        read_only_fields = fields


class ComplaintCreateSerializer(serializers.Serializer):
    subject = TextField(max_length=SUBJECT_MAX_LENGTH)
    description = TextField(max_length=TEXT_MAX_LENGTH)
    desired_outcome = TextField(
        max_length=TEXT_MAX_LENGTH, required=False, allow_blank=True, default=""
    )
    category_id = IdField(
        queryset=Category.objects.filter(is_active=True),
        source="category",
        required=False,
        allow_null=True,
        default=None,
    )
    consumer_email = serializers.EmailField(
        required=False, help_text="Staff only: the consumer the complaint is logged for."
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
        if not User.objects.filter(email__iexact=email, role=Role.CONSUMER).exists():
            raise serializers.ValidationError(
                {"consumer_email": "No consumer account has this e-mail address."}
            )
        # The account itself is found by staff intake (``consumer_for_intake``), which never
        # adopts an address nobody has proven, as the console does.
        attrs["consumer_email"] = email
        attrs.setdefault("channel", Channel.API)
        return attrs


class ComplaintCursorPagination(CursorPagination):
    ordering = ("-received_at", "-id")
    page_size = 25
    max_page_size = 100
    page_size_query_param = "page_size"

    def decode_cursor(self, request: Request) -> Cursor | None:
        """The cursor of ``request``; a malformed or forged one (its position not a time of
        receipt) is a 400 with a readable message, not a 404 or a server error."""
        try:
            cursor = super().decode_cursor(request)
        except NotFound as error:
            raise ParseError("The cursor is not valid; start again from the first page.") from error
        if cursor is not None and cursor.position is not None:
            position = str(cursor.position)
            moment = parse_datetime(position) if len(position) < 40 else None
            if moment is None or moment.tzinfo is None:
                raise ParseError("The cursor is not valid; start again from the first page.")
        return cursor


@extend_schema_view(
    list=extend_schema(summary="List the complaints the caller may see, newest first"),
    retrieve=extend_schema(summary="One complaint with its timeline"),
    create=extend_schema(
        summary="Log a complaint",
        request=ComplaintCreateSerializer,
        responses={201: ComplaintDetailSerializer},
    ),
)
class ComplaintViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    lookup_field = "reference"
    lookup_value_regex = REFERENCE_PATTERN
    pagination_class = ComplaintCursorPagination

    def get_client_scope(self, request: Request) -> str | tuple[str, ...]:
        """API clients log complaints with the "log" scope; they read them with "read", or
        with "log" the complaints they logged themselves (the read rule says which)."""
        if self.action == "create":
            return ClientScope.LOG_COMPLAINTS
        return (ClientScope.READ_COMPLAINTS, ClientScope.LOG_COMPLAINTS)

    def get_queryset(self) -> QuerySet[Complaint]:
        visible = Complaint.objects.visible_to(self.request.user)
        if self.action == "list":
            return visible.for_list("description", "desired_outcome")
        queryset = visible.select_related("consumer", "category")
        if self.action == "retrieve":
            events = Event.objects.visible_to(self.request.user).select_related(
                "actor", "complaint"
            )
            queryset = queryset.prefetch_related(
                Prefetch("events", queryset=events, to_attr="visible_events")
            )
        return queryset

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "create":
            return ComplaintCreateSerializer
        if self.action == "retrieve":
            return ComplaintDetailSerializer
        return ComplaintSerializer

    def get_object(self) -> Complaint:
        complaint = super().get_object()
        if not self.request.user.has_perm("complaints.view_complaint", complaint):
            raise PermissionDenied("You may not see this complaint.")
        return complaint

    @idempotent
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = request.user
        may_log = user.has_perm("complaints.submit_complaint") or user.has_perm(
            "complaints.log_on_behalf"
        )
        if not may_log:
            raise PermissionDenied("You may not log complaints.")
        serializer = ComplaintCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        details = dict(serializer.validated_data)
        email = details.pop("consumer_email", None)
        try:
            if email is None:
                complaint = submit_complaint(actor=cast(User, user), **details)
            else:
                complaint = log_complaint_on_behalf(
                    consumer_email=email, actor=cast(User, user), **details
                )
        except ComplaintError as error:
            raise serializers.ValidationError({"non_field_errors": [str(error)]}) from error
        self.kwargs["reference"] = complaint.reference
        self.action = "retrieve"
        detail = ComplaintDetailSerializer(self.get_object(), context={"request": request})
        return Response(detail.data, status=201)
