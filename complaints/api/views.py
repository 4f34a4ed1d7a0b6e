"""Complaints in the API: the list with the console's filters, one complaint, intake,
correspondence, files and clocks. Every read goes through ``visible_to``; every change is
one existing service call."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from django import forms
from django.core.files.storage import FileSystemStorage
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied, ValidationError
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import BaseParser, FormParser, MultiPartParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from accounts.models import Role, User
from complaints import services
from complaints.api.common import (
    ACT,
    LOG,
    READ,
    ScopedView,
    complaint_for,
    etag_for,
    form_errors,
    form_input,
    if_match,
)
from complaints.api.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    ComplaintCreateSerializer,
    ConsumerComplaintDetailSerializer,
    ConsumerComplaintSerializer,
    DeadlineSerializer,
    MessageCreateSerializer,
    MessageSerializer,
    StaffComplaintDetailSerializer,
    StaffComplaintSerializer,
    shows_staff_view,
)
from complaints.forms import BEST_MATCH, CalendarDateField, MessageForm, QueueFilterForm
from complaints.idempotency import idempotent
from complaints.models import Attachment, Complaint, ComplaintQuerySet, Event, Status
from complaints.pagination import CursorError, bounded_page, keyset_page
from configuration.models import TenantSettings

PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# The list's orders: newest received first (the default), oldest received first, next
# deadline first, and best match first for a search.
SORTS = {"-received": ("received_at", True), "received": ("received_at", False)}
SORTS["due"] = ("next_due_at", False)
STAFF_FILTERS = ("priority", "team", "assignee", "at_risk", "breached")
MULTIPART: list[type[BaseParser]] = [
    *api_settings.DEFAULT_PARSER_CLASSES,  # type: ignore[list-item]
    MultiPartParser,
    FormParser,
]


# Plain yes and no, the one vocabulary of every yes/no value the API takes (query filters and
# form fields; JSON bodies may also send a boolean). Anything else (``maybe``, ``2``, ``yes``)
# is a 400, never silently read as one or the other.
FLAG_WORDS = {"true": True, "1": True, "on": True, "false": False, "0": False, "off": False}
SAY_YES_OR_NO = "Say true or false."


def yes_or_no(value: object) -> bool:
    """``value`` read as plain yes or no: a JSON boolean or one of ``FLAG_WORDS`` (any case,
    outer spaces ignored). Raises ``ValueError`` for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in FLAG_WORDS:
        return FLAG_WORDS[value.strip().lower()]
    raise ValueError(value)


class YesNoField(forms.Field):
    """An optional yes/no query value read by ``yes_or_no``; empty is ``None`` (either)."""

    def to_python(self, value: object) -> bool | None:
        if value in (None, ""):
            return None
        try:
            return yes_or_no(value)
        except ValueError:
            raise forms.ValidationError(SAY_YES_OR_NO, code="invalid") from None


class ComplaintFilterForm(QueueFilterForm):
    """The console's queue filters for the API: every status, the at-risk and breached
    queues, and the list's orders. Unlike the console, a value that does not fit is a 400."""

    status = forms.ChoiceField(required=False, choices=[("", "Any"), *Status.choices])
    at_risk = YesNoField(required=False)
    breached = YesNoField(required=False)
    sort = forms.ChoiceField(
        required=False,
        choices=[("", "Newest first"), *[(name, name) for name in SORTS], (BEST_MATCH, "best")],
    )
    received_from = CalendarDateField(required=False)
    received_to = CalendarDateField(required=False)


def _detail_queryset(user: Any) -> ComplaintQuerySet:
    events = Event.objects.visible_to(user).select_related("actor", "complaint")
    return Complaint.objects.select_related(
        "consumer", "category", "category__parent", "team", "assignee", "specialist"
    ).prefetch_related(Prefetch("events", queryset=events, to_attr="visible_events"))


def represent(request: Request, complaint: Complaint, *, status_code: int = 200) -> Response:
    """The complaint with its timeline as the caller may read it, and its ETag."""
    fresh = complaint_for(
        request, complaint.reference, "complaints.view_complaint", _detail_queryset(request.user)
    )
    serializer_class = (
        StaffComplaintDetailSerializer
        if shows_staff_view(request.user)
        else ConsumerComplaintDetailSerializer
    )
    response = Response(
        serializer_class(fresh, context={"request": request}).data, status=status_code
    )
    response["ETag"] = etag_for(fresh)
    if status_code == 201:
        response["Location"] = reverse("complaint-detail", kwargs={"reference": fresh.reference})
    return response


COMPLAINT = PolymorphicProxySerializer(
    component_name="ComplaintRow",
    serializers=[StaffComplaintSerializer, ConsumerComplaintSerializer],
    resource_type_field_name=None,
)
COMPLAINT_DETAIL = PolymorphicProxySerializer(
    component_name="ComplaintDetail",
    serializers=[StaffComplaintDetailSerializer, ConsumerComplaintDetailSerializer],
    resource_type_field_name=None,
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201],
    description="The complaint's version, for If-Match.",
)
LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description="The new complaint's address in this API.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag the change is based on; 412 when the complaint changed since.",
)
CURSOR = OpenApiParameter("cursor", OpenApiTypes.STR, description="From the previous page's next.")
PAGE_SIZE_PARAMETER = OpenApiParameter(
    "page_size", OpenApiTypes.INT, description=f"1 to {MAX_PAGE_SIZE}; {PAGE_SIZE} by default."
)


def page_size(request: Request) -> int:
    """The page size asked for: 1 to ``MAX_PAGE_SIZE``; a bad value is a 400."""
    raw = request.query_params.get("page_size")
    if raw is None:
        return PAGE_SIZE
    if not (raw.isascii() and raw.isdigit() and 1 <= int(raw[:4]) <= MAX_PAGE_SIZE):
        raise ValidationError({"page_size": [f"Give a whole number from 1 to {MAX_PAGE_SIZE}."]})
    return int(raw)


def paginated(request: Request, rows: list[Any], next_cursor: str | None, data: Any) -> Response:
    """A page of results with the link to the next one (None on the last page)."""
    next_url = None
    if next_cursor is not None:
        query = request.query_params.copy()
        query["cursor"] = next_cursor
        next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return Response({"next": next_url, "results": data})


def page_schema(name: str, item: Any) -> Any:
    return inline_serializer(
        name,
        {
            "next": serializers.URLField(allow_null=True),
            "results": item if not isinstance(item, type) else item(many=True),
        },
    )


@extend_schema_view(
    get=extend_schema(
        operation_id="complaints_list",
        summary="List the complaints the caller may see",
        description=(
            "Consumers see their own, staff their queues. Filters are the console's; dates are "
            "local dates in the organisation's time zone. Priority, team, assignee, at_risk and "
            "breached are staff filters. Sorted newest received first unless `sort` says "
            "otherwise; `best` orders a search by relevance."
        ),
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description='Words, "a phrase", -exclude'),
            OpenApiParameter("status", OpenApiTypes.STR, enum=[s.value for s in Status]),
            OpenApiParameter(
                "priority", OpenApiTypes.STR, enum=["low", "normal", "high", "urgent"]
            ),
            OpenApiParameter("category", OpenApiTypes.INT),
            OpenApiParameter("team", OpenApiTypes.INT),
            OpenApiParameter("assignee", OpenApiTypes.INT),
            OpenApiParameter("channel", OpenApiTypes.STR),
            OpenApiParameter("received_from", OpenApiTypes.DATE),
            OpenApiParameter("received_to", OpenApiTypes.DATE),
            OpenApiParameter("at_risk", OpenApiTypes.BOOL),
            OpenApiParameter("breached", OpenApiTypes.BOOL),
            OpenApiParameter("sort", OpenApiTypes.STR, enum=[*SORTS, BEST_MATCH]),
            CURSOR,
            PAGE_SIZE_PARAMETER,
        ],
        responses={200: page_schema("ComplaintPage", COMPLAINT)},
    ),
    post=extend_schema(
        summary="Log a complaint",
        description=(
            "Consumers log their own (channel `api`); staff log one on a consumer's behalf "
            "with the channel and time it was received. Honours `Idempotency-Key`."
        ),
        request=ComplaintCreateSerializer,
        parameters=[ETAG, LOCATION],
        responses={201: OpenApiResponse(COMPLAINT_DETAIL)},
    ),
)
class ComplaintListView(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    """``GET``: the complaints list. ``POST``: intake (``submit_complaint`` for a consumer,
    ``log_complaint_on_behalf`` for staff). API clients read with the "read" scope, or with
    "log" the complaints they logged themselves (the read rule says which)."""

    client_scope = (READ, LOG)
    change_scope = LOG
    serializer_class = ComplaintCreateSerializer

    def get(self, request: Request) -> Response:
        user = request.user
        now = timezone.now()
        staff = shows_staff_view(user)
        params = request.query_params
        if not staff and (given := [name for name in STAFF_FILTERS if params.get(name)]):
            raise ValidationError({name: ["Only staff may filter by this."] for name in given})
        filters = ComplaintFilterForm(params)
        if not filters.is_valid():
            raise form_errors(filters)
        data = filters.cleaned_data
        queryset = Complaint.objects.visible_to(user).for_list(
            "description",
            "desired_outcome",
            "outcome",
            "resolution_summary",
            "specialist",
        )
        if data.get("at_risk"):
            queryset = queryset.at_risk(now, TenantSettings.current().at_risk_margin)
        if data.get("breached"):
            queryset = queryset.breached(now)
        sort = data.get("sort") or ("best" if (data.get("q") or "").strip() else "-received")
        if sort == BEST_MATCH and not (data.get("q") or "").strip():
            raise ValidationError({"sort": ["Sort by best match only with a search (q)."]})
        queryset = filters.apply(queryset, actor=user, now=now)
        size = page_size(request)
        cursor = params.get("cursor")
        try:
            if sort == BEST_MATCH:
                ranked = filters.ranked(queryset, actor=user, now=now)
                page = bounded_page(ranked, after=cursor, size=size, strict=True)
            else:
                field, descending = SORTS[sort]
                page = keyset_page(
                    queryset,
                    field=field,
                    after=cursor,
                    size=size,
                    descending=descending,
                    strict=True,
                )
        except CursorError as error:
            raise ParseError("The cursor is not valid; start again from the first page.") from error
        serializer_class = StaffComplaintSerializer if staff else ConsumerComplaintSerializer
        rows = serializer_class(page.rows, many=True, context={"request": request}).data
        return paginated(request, page.rows, page.next_cursor, rows)

    @idempotent
    def post(self, request: Request) -> Response:
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
                complaint = services.submit_complaint(actor=cast(User, user), **details)
            else:
                complaint = services.log_complaint_on_behalf(
                    consumer_email=email, open_account=False, actor=cast(User, user), **details
                )
        except services.UnknownConsumer as error:
            raise ValidationError({"consumer_email": [str(error)]}) from error
        except services.ComplaintError as error:
            raise ValidationError({"non_field_errors": [str(error)]}) from error
        return represent(request, complaint, status_code=201)


@extend_schema_view(
    get=extend_schema(
        summary="One complaint with its timeline",
        parameters=[ETAG],
        responses={200: OpenApiResponse(COMPLAINT_DETAIL)},
    )
)
class ComplaintDetailView(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    # A client that logged the complaint reads it back with its "log" scope.
    client_scope = (READ, LOG)

    def get(self, request: Request, reference: str) -> Response:
        complaint = complaint_for(request, reference, "complaints.view_complaint")
        return represent(request, complaint)


@extend_schema_view(
    get=extend_schema(
        summary="The complaint's correspondence",
        description="Public replies; internal notes too for staff who may read them.",
        responses={200: MessageSerializer(many=True)},
    ),
    post=extend_schema(
        summary="Reply, or (staff) add an internal note",
        description=(
            "JSON, or multipart with up to five `attachments` checked by content as on the "
            "pages. Honours `If-Match` and `Idempotency-Key`."
        ),
        parameters=[IF_MATCH],
        request={
            "application/json": MessageCreateSerializer,
            "multipart/form-data": AttachmentUploadSerializer,
        },
        responses={201: MessageSerializer},
    ),
)
class MessageListView(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    """Replies through ``reply_to_complaint``, notes through ``add_internal_note``."""

    client_scope = READ
    change_scope = ACT
    parser_classes = MULTIPART
    serializer_class = MessageSerializer
    pagination_class = None

    def get(self, request: Request, reference: str) -> Response:
        complaint = complaint_for(request, reference, "complaints.view_complaint")
        return Response(MessageSerializer(self._messages(complaint), many=True).data)

    def _messages(self, complaint: Complaint) -> list[Event]:
        user = self.request.user
        attachments = Attachment.objects.visible_to(user).select_related("complaint")
        return list(
            Event.objects.visible_to(user)
            .filter(complaint=complaint, kind__in=[Event.Kind.REPLY, Event.Kind.NOTE])
            .select_related("actor", "complaint")
            .prefetch_related(Prefetch("attachments", queryset=attachments))
        )

    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        return post_message(request, reference, require_files=False)


MESSAGE_FIELDS = frozenset({"body", "internal", "attachments", "seen", "token"})


def _flag(data: Any, name: str) -> bool:
    """The yes/no field ``name`` of a message body (``yes_or_no``; absent is no); raises
    ``ValidationError`` for a body that is not an object, an unknown field, or a value that is
    not plainly yes or no."""
    if not hasattr(data, "keys"):
        raise ValidationError({"non_field_errors": ["Send the message as an object."]})
    unknown = sorted(str(key) for key in data if key not in MESSAGE_FIELDS)
    if unknown:
        raise ValidationError({key: ["This endpoint does not take this field."] for key in unknown})
    try:
        return yes_or_no(data.get(name, False))
    except ValueError:
        raise ValidationError({name: [SAY_YES_OR_NO]}) from None


def post_message(request: Request, reference: str, *, require_files: bool) -> Response:
    """A reply or an internal note with its files: the page's form, then the one service.

    ``internal`` must say yes or no plainly (a JSON boolean, or true/false, 1/0, on/off in a
    form); anything else, and any field the endpoint does not take, is a 400: a note meant to
    be internal never goes out as a reply because a flag was misspelt.
    """
    internal = _flag(request.data, "internal")
    action = "note" if internal else "reply"
    permission = "complaints.add_internal_note" if internal else "complaints.reply_to_complaint"
    complaint = complaint_for(request, reference, permission)
    files = request.FILES.getlist("attachments") if hasattr(request, "FILES") else []
    if require_files and not files:
        raise ValidationError({"attachments": ["Attach at least one file."]})
    data = {key: value for key, value in form_input(request.data).items() if key != "internal"}
    uploads = MultiValueDict({"attachments": files})
    form = MessageForm(data, uploads, complaint=complaint, actor=request.user)
    if not form.is_valid():
        raise form_errors(form)
    run = services.add_internal_note if action == "note" else services.reply_to_complaint
    try:
        event = if_match(
            request,
            complaint,
            lambda: run(
                complaint,
                form.cleaned_data["body"],
                actor=cast(User, request.user),
                files=form.cleaned_data["attachments"],
            ),
        )
    except services.ComplaintError as error:
        raise ValidationError({"non_field_errors": [str(error)]}) from error
    created = (
        Event.objects.filter(pk=event.pk)
        .select_related("actor", "complaint", "complaint__consumer")
        .prefetch_related("attachments", "attachments__complaint")
        .get()
    )
    response = Response(MessageSerializer(created, context={"request": request}).data, status=201)
    response["ETag"] = etag_for(created.complaint)
    return response


class AnyFileRenderer(JSONRenderer):
    """Lets a download be asked for with any ``Accept``: the file is its own body, and a
    refusal is still JSON problem details."""

    media_type = "*/*"
    format = "file"


@extend_schema_view(
    get=extend_schema(
        summary="The complaint's files",
        responses={200: AttachmentSerializer(many=True)},
    ),
    post=extend_schema(
        summary="Upload files with a message",
        description=(
            "Multipart: `body` (the message the files come with), `attachments` (one to five "
            "files: PDF, images, Word, Excel or text, checked by content, within the "
            "organisation's size limit) and, for staff, `internal`."
        ),
        parameters=[IF_MATCH],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: MessageSerializer},
    ),
)
class AttachmentListView(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    client_scope = READ
    change_scope = ACT
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = AttachmentSerializer
    pagination_class = None

    def get(self, request: Request, reference: str) -> Response:
        complaint = complaint_for(request, reference, "complaints.view_complaint")
        files = Attachment.objects.visible_to(request.user).filter(complaint=complaint)
        return Response(AttachmentSerializer(files.select_related("complaint"), many=True).data)

    @idempotent
    def post(self, request: Request, reference: str) -> Response:
        return post_message(request, reference, require_files=True)


@extend_schema_view(
    get=extend_schema(
        summary="Download one file",
        description=(
            "The same permission check as the pages; with S3 storage, a redirect to a "
            "presigned URL valid for a minute, issued after the check."
        ),
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY),
            302: OpenApiResponse(description="Redirect to a short-lived presigned URL."),
        },
    )
)
class AttachmentDownloadView(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    client_scope = READ
    renderer_classes = [JSONRenderer, AnyFileRenderer]
    # Seconds a presigned URL stays valid.
    PRESIGNED_SECONDS = 60

    def get(self, request: Request, reference: str, attachment_id: int) -> Any:
        complaint = complaint_for(request, reference, "complaints.view_complaint")
        attachment = (
            Attachment.objects.visible_to(request.user)
            .filter(complaint=complaint, pk=attachment_id)
            .first()
        )
        if attachment is None:
            raise NotFound("No such file on this complaint.")
        storage = attachment.file.storage
        if not isinstance(storage, FileSystemStorage):
            return HttpResponseRedirect(
                storage.url(attachment.file.name, expire=self.PRESIGNED_SECONDS)  # type: ignore[call-arg]
            )
        return attachment.download()


@extend_schema_view(
    get=extend_schema(
        summary="Every clock of the complaint",
        description="Due, met and breached, with the rule each clock implements.",
        responses={200: DeadlineSerializer(many=True)},
    )
)
class DeadlineListView(ScopedView, GenericAPIView):  # type: ignore[type-arg]
    client_scope = READ
    serializer_class = DeadlineSerializer
    pagination_class = None

    def get(self, request: Request, reference: str) -> Response:
        complaint = complaint_for(
            request,
            reference,
            "complaints.view_complaint",
            Complaint.objects.select_related("category", "category__parent"),
        )
        now: datetime = timezone.now()
        clocks = services.clocks_on_page(complaint)
        if getattr(request.user, "role", None) == Role.CONSUMER:
            # The organisation's own targets follow the complaint's priority, which consumers
            # are not told: they see the regulator's clocks only.
            clocks = [clock for clock in clocks if clock.deadline.regulatory]
        return Response(DeadlineSerializer(clocks, many=True, context={"now": now}).data)
